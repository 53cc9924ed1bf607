#include "util/interrupt.hpp"

#include "util/error.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <list>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace lockstep::interrupt {

namespace {

std::atomic<int> g_signal{0};
int g_pipe[2] = {-1, -1};
std::mutex g_mutex;
std::condition_variable g_wake;
// One entry per live CancelScope: a fleet runs a statement per thread, and a
// signal must cancel every one of them.
std::list<std::function<void()>> g_cancels;

extern "C" void on_signal(int signo)
{
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, signo)) {
    _exit(128 + signo);  // the second signal: no more waiting
  }
  char byte = static_cast<char>(signo);
  ssize_t ignored = write(g_pipe[1], &byte, 1);
  (void)ignored;
}

void watch()
{
  char byte = 0;
  while (read(g_pipe[0], &byte, 1) < 0) {
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& cancel : g_cancels) {
    cancel();
  }
  g_wake.notify_all();
}

} // namespace

void install()
{
  static std::once_flag once;
  std::call_once(once, [] {
    if (pipe(g_pipe) != 0) {
      return;
    }
    std::thread(watch).detach();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
  });
}

int received()
{
  return g_signal.load();
}

void check()
{
  if (int signo = received(); signo != 0) {
    throw Error(static_cast<ExitCode>(128 + signo),
                std::string("stopped by signal ") + (signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "") +
                  " (" + std::to_string(signo) + ")");
  }
}

bool sleep_for(std::chrono::milliseconds duration)
{
  std::unique_lock<std::mutex> lock(g_mutex);
  return !g_wake.wait_for(lock, duration, [] { return received() != 0; });
}

CancelScope::CancelScope(std::function<void()> cancel)
{
  std::lock_guard<std::mutex> lock(g_mutex);
  g_cancels.push_front(std::move(cancel));
  m_entry = g_cancels.begin();
}

CancelScope::~CancelScope()
{
  std::lock_guard<std::mutex> lock(g_mutex);
  g_cancels.erase(m_entry);
}

} // namespace lockstep::interrupt

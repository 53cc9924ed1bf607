#include "support/process.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace lockstep::test {

namespace {

std::string slurp(const std::string& path)
{
  std::ifstream in(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int decode(int status)
{
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

} // namespace

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                 const std::string& output_dir)
{
  static int counter = 0;
  std::string stem = output_dir + "/proc-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  m_out_path = stem + ".out";
  m_err_path = stem + ".err";

  std::vector<std::string> env_strings;
  for (const auto& [key, value] : env) {
    env_strings.push_back(key + "=" + value);
  }
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  m_pid = fork();
  if (m_pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (m_pid == 0) {
    int out = open(m_out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(m_err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::Process(Process&& other) noexcept
  : m_pid(other.m_pid), m_status(other.m_status), m_out_path(std::move(other.m_out_path)),
    m_err_path(std::move(other.m_err_path))
{
  other.m_pid = -1;
}

Process::~Process()
{
  if (m_pid > 0 && m_status < 0) {
    kill(m_pid, SIGKILL);
    waitpid(m_pid, nullptr, 0);
  }
}

void Process::signal(int signo) const
{
  if (m_pid > 0) {
    kill(m_pid, signo);
  }
}

bool Process::running()
{
  if (m_status >= 0) {
    return false;
  }
  int status = 0;
  pid_t r = waitpid(m_pid, &status, WNOHANG);
  if (r == m_pid) {
    m_status = status;
    return false;
  }
  return true;
}

int Process::wait(int timeout_ms)
{
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return decode(m_status);
}

std::string Process::out() const
{
  return slurp(m_out_path);
}

std::string Process::err() const
{
  return slurp(m_err_path);
}

std::map<std::string, std::string> child_env(const std::map<std::string, std::string>& extra)
{
  std::map<std::string, std::string> env{{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", "/tmp"}};
  for (const auto& [k, v] : extra) {
    env[k] = v;
  }
  return env;
}

} // namespace lockstep::test

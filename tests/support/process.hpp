// Background processes for tests that need to signal or kill a run while it
// works (SIGTERM, kill -9, stampedes). Output goes to files so a process
// that is killed leaves what it printed behind.
#pragma once

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace lockstep::test {

class Process {
public:
  // Starts `argv` (argv[0] is a path) with exactly `env` as its environment.
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& output_dir);
  ~Process();  // kills (SIGKILL) and reaps a process still running
  Process(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return m_pid; }
  void signal(int signo) const;
  // Waits for the exit; returns the exit code, or 128+N when killed by signal N.
  // Returns -1 after `timeout_ms` (the process keeps running).
  int wait(int timeout_ms = 120'000);
  bool running();
  std::string out() const;
  std::string err() const;

private:
  pid_t m_pid = -1;
  int m_status = -1;
  std::string m_out_path;
  std::string m_err_path;
};

// The environment a lockstep child gets: PATH and HOME plus `extra`.
std::map<std::string, std::string> child_env(const std::map<std::string, std::string>& extra);

} // namespace lockstep::test

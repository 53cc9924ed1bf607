#include "support/test_env.hpp"

#include "util/sha256.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace lockstep::test {

namespace {

std::string pg_dir()
{
  const char* dir = std::getenv("LOCKSTEP_TEST_PG_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("LOCKSTEP_TEST_PG_DIR is not set: run the integration tests through ctest, which starts "
                             "the PostgreSQL fixture (scripts/test)");
  }
  return dir;
}

std::string trimmed(std::string text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// postgresql://user:pw@host:port/postgres -> .../<dbname>
std::string with_database(const std::string& url, const std::string& dbname)
{
  size_t slash = url.rfind('/');
  return url.substr(0, slash + 1) + dbname;
}

} // namespace

std::string read_text(const std::string& path)
{
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string server_url()
{
  return trimmed(read_text(pg_dir() + "/url"));
}

std::string server_password()
{
  return trimmed(read_text(pg_dir() + "/password"));
}

ScratchDatabase::ScratchDatabase()
  : m_name("lockstep_test_" + util::random_hex(6)), m_url(with_database(server_url(), m_name))
{
  pqxx::connection admin(server_url());
  pqxx::nontransaction(admin).exec("CREATE DATABASE " + m_name);
}

ScratchDatabase::~ScratchDatabase()
{
  try {
    pqxx::connection admin(server_url());
    pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The server may be gone already; the fixture cleans it up.
  }
}

std::vector<std::vector<std::string>> ScratchDatabase::query(const std::string& sql) const
{
  pqxx::connection conn(m_url);
  pqxx::nontransaction tx(conn);
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::string> values;
    for (const auto& field : row) {
      values.emplace_back(field.is_null() ? "<NULL>" : field.c_str());
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

std::string ScratchDatabase::scalar(const std::string& sql) const
{
  auto rows = query(sql);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0];
}

void ScratchDatabase::exec(const std::string& sql) const
{
  pqxx::connection conn(m_url);
  pqxx::nontransaction(conn).exec(sql);
}

TempDir::TempDir()
{
  std::string pattern = (std::filesystem::temp_directory_path() / "lockstep-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = pattern;
}

TempDir::~TempDir()
{
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

void TempDir::write(const std::string& name, const std::string& content) const
{
  std::filesystem::path path = std::filesystem::path(m_path) / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

RunResult run_lockstep(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                       const std::string& cwd, int timeout_ms)
{
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> argv_strings{LOCKSTEP_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"};
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (auto& a : argv_strings) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      _exit(126);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  RunResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) {
        continue;
      }
      char buffer[4096];
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) {
      close(fd.fd);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) {
    throw std::runtime_error("lockstep did not finish within " + std::to_string(timeout_ms) + " ms; stderr: " +
                             result.err);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

} // namespace lockstep::test

#include "support/test_env.hpp"

#include "support/process.hpp"
#include "util/sha256.hpp"

#include <pqxx/pqxx>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace lockstep::test {

namespace fs = std::filesystem;

namespace {

std::string pg_dir()
{
  const char* dir = std::getenv("LOCKSTEP_TEST_PG_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("LOCKSTEP_TEST_PG_DIR is not set: integration tests need the PostgreSQL server that "
                             "the ctest fixture pg_server_start starts; run them through ctest (scripts/test)");
  }
  return dir;
}

std::string without_trailing_space(std::string text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// The content of a file the fixture wrote, without its trailing newline.
std::string fixture_file(const std::string& name)
{
  const std::string path = pg_dir() + "/" + name;
  if (!fs::exists(path)) {
    throw std::runtime_error(path + " does not exist: the PostgreSQL test server is not running (did the ctest "
                             "fixture pg_server_start run and pass? see " + pg_dir() + "/log)");
  }
  return without_trailing_space(read_text(path));
}

std::string errno_text(const std::string& what)
{
  return what + ": " + std::strerror(errno);
}

} // namespace

std::string read_text(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string server_url()
{
  return fixture_file("url");
}

std::string server_password()
{
  return fixture_file("password");
}

std::string pgbouncer_url()
{
  const std::string dir = (fs::path(pg_dir()).parent_path() / "test-pgbouncer").string();
  const std::string path = dir + "/url";
  if (!fs::exists(path)) {
    throw std::runtime_error(path + " does not exist: PgBouncer is not running (did the ctest fixture "
                             "pgbouncer_start run and pass? see " + dir + "/log and " + dir + "/start.log)");
  }
  return without_trailing_space(read_text(path));
}

std::string url_with_database(const std::string& url, const std::string& dbname)
{
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    throw std::invalid_argument("not a URL: the scheme is missing");  // never echo the URL: it holds a password
  }
  const size_t slash = url.find('/', scheme + 3);
  const size_t query = url.find('?', scheme + 3);
  if (slash == std::string::npos || (query != std::string::npos && query < slash)) {
    return url.substr(0, query) + "/" + dbname + (query == std::string::npos ? "" : url.substr(query));
  }
  return url.substr(0, slash + 1) + dbname + (query == std::string::npos ? "" : url.substr(query));
}

// ---------------------------------------------------------------------------------------------

ScratchDatabase::ScratchDatabase()
  : m_name("lockstep_test_" + util::random_hex(6)), m_url(url_with_database(server_url(), m_name))
{
  pqxx::connection admin(server_url());
  pqxx::nontransaction(admin).exec0("CREATE DATABASE " + m_name);
}

ScratchDatabase::~ScratchDatabase()
{
  try {
    pqxx::connection admin(server_url());
    pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The server is gone already (the fixture stops it); nothing is left to drop.
  }
}

std::vector<std::vector<std::string>> ScratchDatabase::query(const std::string& sql) const
{
  pqxx::connection conn(m_url);
  pqxx::nontransaction tx(conn);
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::string> values;
    values.reserve(row.size());
    for (const auto& field : row) {
      values.emplace_back(field.is_null() ? null_marker : field.c_str());
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

// ---------------------------------------------------------------------------------------------

TempDir::TempDir()
{
  std::string pattern = (fs::temp_directory_path() / "lockstep-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(errno_text("mkdtemp " + pattern));
  }
  m_path = pattern;
}

TempDir::~TempDir()
{
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const
{
  const fs::path path = fs::path(m_path) / name;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
  return path.string();
}

// ---------------------------------------------------------------------------------------------

std::string revision_file_text(const std::string& id, const std::vector<std::string>& parents,
                               const std::string& upgrade_sql, const std::string& downgrade_sql,
                               const std::vector<std::string>& extra_headers)
{
  std::string revises;
  for (const auto& parent : parents) {
    revises += (revises.empty() ? "" : ", ") + parent;
  }
  std::string text = "-- Revision ID: " + id + "\n-- Revises: " + revises + "\n-- Message: revision " + id + "\n";
  for (const auto& header : extra_headers) {
    text += (header.rfind("--", 0) == 0 ? "" : "-- ") + header + "\n";
  }
  text += "\n-- +upgrade\n" + upgrade_sql + "\n\n-- +downgrade\n" + downgrade_sql + "\n";
  return text;
}

std::string write_revision_file(const std::string& folder, const std::string& id,
                                const std::vector<std::string>& parents, const std::string& upgrade_sql,
                                const std::string& downgrade_sql, const std::vector<std::string>& extra_headers)
{
  fs::create_directories(folder);
  const std::string path = (fs::path(folder) / (id + ".sql")).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << revision_file_text(id, parents, upgrade_sql, downgrade_sql, extra_headers);
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
  return path;
}

int copy_migrations(const std::string& from, const std::string& to)
{
  if (!fs::is_directory(from)) {
    throw std::runtime_error("no migrations folder " + from);
  }
  fs::create_directories(to);
  int copied = 0;
  for (const auto& entry : fs::directory_iterator(from)) {
    const std::string name = entry.path().filename().string();
    // is_regular_file follows symlinks, as the loader does (a ConfigMap's entries are symlinks).
    if (name.empty() || name[0] == '.' || entry.path().extension() != ".sql" || !entry.is_regular_file()) {
      continue;
    }
    fs::copy_file(fs::canonical(entry.path()), fs::path(to) / name, fs::copy_options::overwrite_existing);
    ++copied;
  }
  return copied;
}

std::string source_migrations_dir()
{
  return std::string(LOCKSTEP_SOURCE_DIR) + "/migrations";
}

// ---------------------------------------------------------------------------------------------

RunResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const std::string& cwd, std::chrono::milliseconds timeout)
{
  if (argv.empty()) {
    throw std::invalid_argument("run_command: empty argv");
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  const std::map<std::string, std::string> full_env = child_env(env);
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : full_env) {
    env_strings.push_back(key + "=" + value);
  }
  std::vector<std::string> argv_strings = argv;
  std::vector<char*> child_argv;
  for (auto& a : argv_strings) {
    child_argv.push_back(a.data());
  }
  child_argv.push_back(nullptr);
  std::vector<char*> child_envp;
  for (auto& e : env_strings) {
    child_envp.push_back(e.data());
  }
  child_envp.push_back(nullptr);
  static const char exec_failed[] = "run_command: execve failed\n";
  static const char chdir_failed[] = "run_command: chdir failed\n";

  // Close-on-exec, so a child started concurrently (another thread) cannot hold our pipes open.
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(errno_text("pipe2"));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::runtime_error(errno_text("pipe2"));
  }

  const pid_t pid = fork();
  if (pid < 0) {
    const std::string error = errno_text("fork");
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    throw std::runtime_error(error);
  }
  if (pid == 0) {
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, 0);
    }
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      (void)!write(2, chdir_failed, sizeof chdir_failed - 1);
      _exit(126);
    }
    execve(child_argv[0], child_argv.data(), child_envp.data());
    (void)!write(2, exec_failed, sizeof exec_failed - 1);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  RunResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left_ms = [&deadline] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  };
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const int wait_ms = left_ms();
    if (wait_ms == 0) {
      timed_out = true;
      break;
    }
    const int ready = poll(fds, 2, wait_ms);
    if (ready < 0 && errno != EINTR) {
      timed_out = true;  // cannot watch it any more: treat as hung
      break;
    }
    for (int i = 0; i < 2 && ready > 0; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      char buffer[65536];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_fds;
      } else {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) {
      close(fd.fd);
    }
  }

  // Both pipes are closed; the child may still be running (it closed them itself).
  int status = 0;
  while (!timed_out) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      break;
    }
    if (done < 0 && errno != EINTR) {
      throw std::runtime_error(errno_text("waitpid"));
    }
    if (left_ms() == 0) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (timed_out) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::runtime_error(argv[0] + " did not finish within " + std::to_string(timeout.count()) +
                             " ms and was killed; stdout: " + result.out + "\nstderr: " + result.err);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

RunResult run_lockstep(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                       const std::string& cwd, int timeout_ms)
{
  std::vector<std::string> argv{LOCKSTEP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env, cwd, std::chrono::milliseconds(timeout_ms));
}

} // namespace lockstep::test

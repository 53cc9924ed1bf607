// The integration-test harness: the PostgreSQL server the suite started
// (scripts/pg-server, a CTest fixture), scratch databases on it, temporary
// folders, and running the real lockstep binary. Integration tests never
// skip: without the server they fail, saying why.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lockstep::test {

// postgresql://lockstep:<password>@127.0.0.1:<port>/postgres, from
// $LOCKSTEP_TEST_PG_DIR/url.
std::string server_url();
// The superuser's password (to check it never leaks).
std::string server_password();

std::string read_text(const std::string& path);

// A fresh database, dropped (WITH (FORCE)) on destruction.
class ScratchDatabase {
public:
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return m_name; }
  const std::string& url() const { return m_url; }

  // Rows as text; SQL NULL reads as "<NULL>".
  std::vector<std::vector<std::string>> query(const std::string& sql) const;
  // The first column of the first row ("" when there is no row).
  std::string scalar(const std::string& sql) const;
  void exec(const std::string& sql) const;

private:
  std::string m_name;
  std::string m_url;
};

class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return m_path; }
  // Writes `content` to path()/name, creating folders on the way.
  void write(const std::string& name, const std::string& content) const;

private:
  std::string m_path;
};

struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs the lockstep binary with PATH and HOME plus `env` as its whole
// environment (nothing of the test's own, such as DATABASE_URL, leaks in),
// in `cwd` when given. Kills it and fails after `timeout_ms`.
RunResult run_lockstep(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                       const std::string& cwd = "", int timeout_ms = 120'000);

} // namespace lockstep::test

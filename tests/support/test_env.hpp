// The integration-test harness: the PostgreSQL server the suite started
// (scripts/pg-server, a CTest fixture), scratch databases on it, temporary
// folders, migration files, and running the real lockstep binary.
//
// Integration tests never skip: without the server every helper that needs it
// throws, saying why, and the test fails. Nothing here is a mock: databases
// are real databases on a real server, and runs are real processes.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace lockstep::test {

// postgresql://lockstep:<password>@127.0.0.1:<port>/postgres, read from
// $LOCKSTEP_TEST_PG_DIR/url. Throws when the variable is unset or the file is
// missing (the pg_server_start fixture did not run).
std::string server_url();
// The superuser's password ($LOCKSTEP_TEST_PG_DIR/password), so tests can
// check that it never leaks.
std::string server_password();
// postgresql://lockstep:<password>@127.0.0.1:<port>/postgres through the
// PgBouncer the pgbouncer_start fixture runs (tests/support/pgbouncer-server)
// in front of that server: transaction pooling for every database name but
// `lockstep_session_pool`, which is session pooling. Read from test-pgbouncer/url
// beside $LOCKSTEP_TEST_PG_DIR; throws when that fixture did not run.
std::string pgbouncer_url();
// `url` with its database name replaced by `dbname`.
std::string url_with_database(const std::string& url, const std::string& dbname);

// A file's whole content; throws naming the path when it cannot be read.
std::string read_text(const std::string& path);

// A fresh database `lockstep_test_<12 hex digits>` on the test server,
// dropped WITH (FORCE) on destruction (open sessions are terminated).
// Each call of query/exec/scalar opens its own short connection.
class ScratchDatabase {
public:
  // The marker query() returns for SQL NULL.
  static constexpr const char* null_marker = "<NULL>";

  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return m_name; }
  const std::string& url() const { return m_url; }

  // Every row as text, each NULL as null_marker ("<NULL>").
  std::vector<std::vector<std::string>> query(const std::string& sql) const;
  // The first column of the first row; "" when there is no row.
  std::string scalar(const std::string& sql) const;
  // Runs `sql` (several statements allowed) outside a transaction block.
  void exec(const std::string& sql) const;

private:
  std::string m_name;
  std::string m_url;
};

// A fresh folder under $TMPDIR (mode 0700), removed with everything in it on
// destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return m_path; }
  // Writes `content` to path()/name (name may contain folders, which are
  // created), replacing any previous file; returns the file's full path.
  std::string write(const std::string& name, const std::string& content) const;

private:
  std::string m_path;
};

// The text of a revision file in lockstep's format: the Revision ID and
// Revises headers (`parents` joined with ", "; none for a root), a Message,
// then each of `extra_headers` as written (e.g. "Transactional: false"; a
// leading "-- " is added when missing), then the two sections.
std::string revision_file_text(const std::string& id, const std::vector<std::string>& parents,
                               const std::string& upgrade_sql, const std::string& downgrade_sql,
                               const std::vector<std::string>& extra_headers = {});
// Writes revision_file_text(...) to folder/<id>.sql; returns the file's path.
std::string write_revision_file(const std::string& folder, const std::string& id,
                                const std::vector<std::string>& parents, const std::string& upgrade_sql,
                                const std::string& downgrade_sql,
                                const std::vector<std::string>& extra_headers = {});

// Copies the migration files of `from` into the folder `to` (created when
// missing) as the loader sees them: top-level `*.sql` entries, symlinks
// followed and copied as plain files, dot-names and sub-folders (such as
// migrations/schema) left out. Returns how many files were copied.
int copy_migrations(const std::string& from, const std::string& to);
// The repository's example migrations (LOCKSTEP_SOURCE_DIR/migrations).
std::string source_migrations_dir();

struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

constexpr std::chrono::milliseconds default_run_timeout{120'000};

// Runs argv (argv[0] is a path; no PATH search) and collects its stdout and
// stderr separately (read concurrently, so a child that fills one pipe never
// deadlocks). Its environment is clean: PATH and HOME plus (overriding them)
// `env`, nothing of the test process's own (DATABASE_URL, PG*, LOCKSTEP_* do
// not leak in). stdin is /dev/null; it runs in `cwd` when given. When it
// runs longer than `timeout` it is killed (SIGKILL) and reaped, and
// std::runtime_error is thrown with what it printed.
RunResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                      const std::string& cwd = "", std::chrono::milliseconds timeout = default_run_timeout);

// run_command with the built lockstep binary (LOCKSTEP_BINARY) as argv[0].
RunResult run_lockstep(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                       const std::string& cwd = "", int timeout_ms = 120'000);

} // namespace lockstep::test

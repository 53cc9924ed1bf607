// README.md's table of SQLSTATE classes and exit codes, row by row, against
// the suite's real PostgreSQL: each row is provoked for real (a role without
// CREATE, a search_path naming no schema, a backend terminated mid-step, a
// table another session holds locked...) and the exit code and message checked.
// db/sqlstate.hpp is the one place that decides them.

#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <future>
#include <thread>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using lockstep::test::write_revision_file;
using Catch::Matchers::ContainsSubstring;

namespace {

// `url` with its user and password replaced.
std::string url_as(const std::string& url, const std::string& user, const std::string& password)
{
  const size_t scheme = url.find("://") + 3;
  const size_t at = url.find('@', scheme);
  return url.substr(0, scheme) + user + ":" + password + url.substr(at);
}

// A LOGIN role of its own, without superuser, dropped with what it owns.
class Role {
public:
  Role(const ScratchDatabase& db, const std::string& extra = "") : m_db(db), m_name("r_" + db.name().substr(14))
  {
    m_db.exec("CREATE ROLE " + m_name + " LOGIN PASSWORD 'role-secret' " + extra + "; GRANT CONNECT ON DATABASE " +
              m_db.name() + " TO " + m_name);
  }
  ~Role()
  {
    try {
      m_db.exec("DROP OWNED BY " + m_name + " CASCADE; DROP ROLE " + m_name);
    } catch (const std::exception&) {
    }
  }
  const std::string& name() const { return m_name; }
  std::string url() const { return url_as(m_db.url(), m_name, "role-secret"); }

private:
  const ScratchDatabase& m_db;
  std::string m_name;
};

RunResult upgrade(const std::string& url, const std::string& folder, std::vector<std::string> extra = {})
{
  std::vector<std::string> args{"upgrade", "head", "--database-url", url, "--migrations", folder};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_lockstep(args);
}

// Whether a session other than the test's own waits for a lock in `db`.
bool someone_waits_for_a_lock(const ScratchDatabase& db)
{
  return db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                   "wait_event_type = 'Lock' AND pid <> pg_backend_pid()") != "0";
}

// Polls until someone_waits_for_a_lock(db) is `until`, failing the test if `run` ends first.
void wait_while_running(const std::future<RunResult>& run, const ScratchDatabase& db, bool until)
{
  while (someone_waits_for_a_lock(db) != until) {
    REQUIRE(run.wait_for(std::chrono::milliseconds(20)) == std::future_status::timeout);
  }
}

} // namespace

TEST_CASE("42501 on lockstep's own tables: a role without CREATE on the schema is exit 2 with a GRANT hint",
          "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  Role role(db);  // PostgreSQL 15: only the owner may create in public
  write_revision_file(dir.path(), "r1", {}, "CREATE TABLE t (id int);", "DROP TABLE t;");
  RunResult r = upgrade(role.url(), dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring("42501") && ContainsSubstring("GRANT USAGE, CREATE ON SCHEMA public TO " +
                                                                      role.name()));
  CHECK_THAT(r.err, !ContainsSubstring("internal error"));
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename IN ('t', 'lockstep_version')") == "0");

  SECTION("the hint works")
  {
    db.exec("GRANT USAGE, CREATE ON SCHEMA public TO " + role.name());
    RunResult again = upgrade(role.url(), dir.path());
    CHECK(again.exit_code == 0);
    CHECK(db.scalar("SELECT version_num FROM lockstep_version") == "r1");
  }
}

TEST_CASE("42501 when lockstep must create version_table_schema is exit 2 naming GRANT CREATE ON DATABASE",
          "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  Role role(db);
  write_revision_file(dir.path(), "r1", {}, "SELECT 1;", "SELECT 1;");
  RunResult r = upgrade(role.url(), dir.path(), {"--version-table-schema", "ops"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring("GRANT CREATE ON DATABASE " + db.name() + " TO " + role.name()));
}

TEST_CASE("3F000: a search_path naming no schema is exit 2 pointing at version_table_schema", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  Role role(db);
  db.exec("ALTER ROLE " + role.name() + " IN DATABASE " + db.name() + " SET search_path = nowhere");
  write_revision_file(dir.path(), "r1", {}, "SELECT 1;", "SELECT 1;");
  RunResult r = upgrade(role.url(), dir.path());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring("3F000") && ContainsSubstring("version_table_schema"));
}

TEST_CASE("42501 inside a user's revision is exit 5, rolled back, with the revision named", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  Role role(db);
  db.exec("GRANT USAGE, CREATE ON SCHEMA public TO " + role.name());
  write_revision_file(dir.path(), "r1", {}, "CREATE TABLE t (id int);\nCREATE ROLE not_allowed_here;",
                      "DROP TABLE t;");
  RunResult r = upgrade(role.url(), dir.path());
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, ContainsSubstring("r1.sql:") && ContainsSubstring("42501"));
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
}

TEST_CASE("class 08/57P01: the backend terminated during a step is exit 3, not 5", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  write_revision_file(dir.path(), "r1", {}, "CREATE TABLE t (id int);\nSELECT pg_terminate_backend(pg_backend_pid());",
                      "DROP TABLE t;");
  RunResult r = upgrade(db.url(), dir.path());
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, ContainsSubstring("lost the connection"));
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
}

TEST_CASE("class 53: too many connections is retried until connect_timeout, then exit 3", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  Role role(db, "CONNECTION LIMIT 0");
  write_revision_file(dir.path(), "r1", {}, "SELECT 1;", "SELECT 1;");
  RunResult r = upgrade(role.url(), dir.path(), {"--connect-timeout", "1s"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, ContainsSubstring("too many connections") && ContainsSubstring("attempt"));
  CHECK_THAT(r.err, !ContainsSubstring("role-secret"));
}

TEST_CASE("class 28: wrong credentials are exit 3 at once, the password never printed", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  Role role(db);
  write_revision_file(dir.path(), "r1", {}, "SELECT 1;", "SELECT 1;");
  RunResult r = upgrade(url_as(db.url(), role.name(), "wrong-secret"), dir.path(), {"--connect-timeout", "60s"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, ContainsSubstring("password authentication failed") && !ContainsSubstring("wrong-secret"));
  CHECK_THAT(r.err, !ContainsSubstring("attempt 2"));
}

TEST_CASE("55P03 under ddl_lock_timeout: a busy table is retried, and the revision runs once the lock is free",
          "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE busy (id int)");
  write_revision_file(dir.path(), "r1", {}, "ALTER TABLE busy ADD COLUMN note text;",
                      "ALTER TABLE busy DROP COLUMN note;");
  pqxx::connection holder(db.url());
  pqxx::work lock(holder);
  lock.exec("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE");

  auto run = std::async(std::launch::async, [&] { return upgrade(db.url(), dir.path(), {"--ddl-lock-timeout", "100ms"}); });
  // The first attempt waits on the lock and gives up (55P03); wait until a
  // lock wait has been seen and has ended, then free the table.
  wait_while_running(run, db, true);
  wait_while_running(run, db, false);
  lock.abort();
  RunResult r = run.get();
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err + r.out, ContainsSubstring("55P03") && ContainsSubstring("retry 1"));
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' AND "
                  "column_name = 'note'") == "1");
}

TEST_CASE("any other class on lockstep's own tables is exit 1, an unexpected database error", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE lockstep_version (something_else int)");  // not lockstep's layout: 42703 on read
  write_revision_file(dir.path(), "r1", {}, "SELECT 1;", "SELECT 1;");
  RunResult r = upgrade(db.url(), dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, ContainsSubstring("unexpected database error") && ContainsSubstring("42703"));
}

TEST_CASE("40P01: a revision chosen as a deadlock's victim rolls back and runs again", "[sqlstate]")
{
  ScratchDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE a (id int); CREATE TABLE b (id int)");
  write_revision_file(dir.path(), "r1", {}, "LOCK TABLE b IN ACCESS EXCLUSIVE MODE;\nLOCK TABLE a IN ACCESS EXCLUSIVE MODE;\n"
                                           "CREATE TABLE after_deadlock (id int);",
                      "DROP TABLE after_deadlock;");
  pqxx::connection holder(db.url());
  pqxx::work tx(holder);
  tx.exec("LOCK TABLE a IN ACCESS EXCLUSIVE MODE");

  auto run = std::async(std::launch::async, [&] { return upgrade(db.url(), dir.path()); });
  // lockstep holds b and waits for a; taking b now closes the cycle. lockstep
  // has waited longer, so its deadlock check runs first and it is the victim.
  wait_while_running(run, db, true);
  tx.exec("LOCK TABLE b IN ACCESS EXCLUSIVE MODE");
  tx.abort();
  RunResult r = run.get();
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err + r.out, ContainsSubstring("40P01") && ContainsSubstring("retry 1"));
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'after_deadlock'") == "1");
}

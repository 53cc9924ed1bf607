// Cluster-safe runtime: many processes, kills, signals, restarts, timeouts,
// bad configuration and the dirty flow, with real processes against a real
// PostgreSQL.

#include "db/state_sql.hpp"
#include "util/sql_quote.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <pqxx/pqxx>

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <filesystem>
#include <csignal>
#include <random>
#include <thread>

using lockstep::test::Process;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::child_env;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

using Clock = std::chrono::steady_clock;

std::string revision(const std::string& id, const std::string& parent, const std::string& up, const std::string& down,
                     const std::string& headers = "")
{
  return "-- Revision ID: " + id + "\n-- Revises: " + parent + "\n-- Message: " + id + "\n" + headers +
         "\n-- +upgrade\n" + up + "\n\n-- +downgrade\n" + down + "\n";
}

// `count` revisions in a chain; each creates a table and counts itself in
// `applied_log`, so a revision applied twice shows up as two rows.
void write_counting_chain(TempDir& dir, int count, const std::string& extra_sql = "")
{
  dir.write("000.sql", revision("r000", "", "CREATE TABLE applied_log (revision text NOT NULL);",
                                "DROP TABLE applied_log;"));
  for (int i = 1; i <= count; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "r%03d", i);
    char parent[8];
    std::snprintf(parent, sizeof parent, "r%03d", i - 1);
    dir.write(std::string(id) + ".sql",
              revision(id, parent,
                       "CREATE TABLE t_" + std::string(id) + " (id int);\nINSERT INTO applied_log VALUES ('" + id +
                         "');\n" + extra_sql,
                       "DROP TABLE t_" + std::string(id) + ";\nDELETE FROM applied_log WHERE revision = '" + id + "';"));
  }
}

std::vector<std::string> base_args(const ScratchDatabase& db, const TempDir& dir)
{
  return {LOCKSTEP_BINARY, "--database-url", db.url(), "--migrations", dir.path()};
}

RunResult run(const ScratchDatabase& db, const TempDir& dir, std::vector<std::string> args,
              std::map<std::string, std::string> env = {})
{
  std::vector<std::string> full{"--database-url", db.url(), "--migrations", dir.path()};
  full.insert(full.end(), args.begin(), args.end());
  return run_lockstep(full, env);
}

// Every applied revision's effect is there, and no other: never half-applied.
void check_consistent(ScratchDatabase& db)
{
  if (db.scalar("SELECT to_regclass('lockstep_version') IS NOT NULL") != "t") {
    CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'") == "0");
    return;
  }
  std::string version = db.scalar("SELECT coalesce(max(version_num), '') FROM lockstep_version");
  int applied = version.empty() ? -1 : std::stoi(version.substr(1));
  int tables = std::stoi(db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'"));
  CHECK(tables == std::max(applied, 0));
  if (applied >= 0) {
    CHECK(db.scalar("SELECT count(*) FROM applied_log") == std::to_string(applied));
    CHECK(db.scalar("SELECT count(*) FROM (SELECT revision FROM applied_log GROUP BY revision HAVING count(*) > 1) d") ==
          "0");
  }
}

// Holds lockstep's advisory lock for `db` on a connection of the test's own.
std::unique_ptr<pqxx::connection> hold_migration_lock(const ScratchDatabase& db, const std::string& application_name = "")
{
  auto holder = std::make_unique<pqxx::connection>(
    db.url() + (application_name.empty() ? "" : "?application_name=" + application_name));
  lockstep::db::TableNames names;
  pqxx::nontransaction(*holder).exec("SELECT pg_advisory_lock(" + std::to_string(lockstep::db::lock_key(names)) + ")");
  return holder;
}

// Waits until the process has written `text` to stderr.
void wait_for_stderr(Process& p, const std::string& text)
{
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (p.err().find(text) == std::string::npos) {
    REQUIRE(Clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Waits until `sql` (a count) on `db` is not "0": the observable event a test
// waits for instead of sleeping. The ceiling only stops a broken run.
void wait_until_nonzero(ScratchDatabase& db, const std::string& sql)
{
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (db.scalar(sql) == "0") {
    REQUIRE(Clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Waits until signal `signo` sent to `pid` is no longer pending: a thread
// of the process has taken it (its handler ran or is running).
void wait_for_signal_taken(pid_t pid, int signo)
{
  const unsigned long long bit = 1ULL << (signo - 1);
  auto deadline = Clock::now() + std::chrono::seconds(60);
  for (;;) {
    std::string status = lockstep::test::read_text("/proc/" + std::to_string(pid) + "/status");
    size_t at = status.find("ShdPnd:");
    REQUIRE(at != std::string::npos);
    if ((std::stoull(status.substr(at + 7), nullptr, 16) & bit) == 0) {
      return;
    }
    REQUIRE(Clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string advisory_locks(ScratchDatabase& db)
{
  return db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                   "(SELECT oid FROM pg_database WHERE datname = current_database())");
}

// Waits until no other session is connected to `db`: the backend of a
// killed client finishes the query it was given (a COMMIT may still land)
// and ends when it finds the client gone. Checking before that reads a
// moving database, one query at a time.
void wait_for_other_sessions_to_end(ScratchDatabase& db)
{
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                   "pid <> pg_backend_pid()") != "0") {
    REQUIRE(Clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void stampede(const std::string& lock_mode)
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 30);
  std::vector<Process> runs;
  for (int i = 0; i < 32; ++i) {
    std::vector<std::string> args = base_args(db, dir);
    args.insert(args.end(), {"--lock-mode", lock_mode, "upgrade", "heads"});
    runs.emplace_back(args, child_env({{"POD_NAME", "pod-" + std::to_string(i)}}), dir.path());
  }
  for (auto& p : runs) {
    int code = p.wait();
    INFO(p.err());
    CHECK(code == 0);
  }
  CHECK(db.scalar("SELECT count(*) FROM applied_log") == "30");
  CHECK(db.scalar("SELECT count(DISTINCT revision) FROM applied_log") == "30");
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "r030");
  CHECK(db.scalar("SELECT count(*) FROM lockstep_history WHERE outcome = 'applied'") == "31");
  CHECK(db.scalar("SELECT count(DISTINCT run_by) FROM lockstep_history") == "1");  // one run migrated everything
}

} // namespace

TEST_CASE("32 processes started together on 31 revisions migrate exactly once (advisory lock)", "[runtime][stampede]")
{
  stampede("advisory");
}

TEST_CASE("32 processes started together on 31 revisions migrate exactly once (lease)", "[runtime][stampede]")
{
  stampede("lease");
}

TEST_CASE("16 runs with their own version tables create lockstep's shared tables at once", "[runtime][stampede]")
{
  // Different version tables take different locks, so nothing serialises
  // their CREATE TABLE IF NOT EXISTS of the shared bookkeeping tables.
  ScratchDatabase db;
  TempDir dir;
  dir.write("1.sql", revision("one", "", "SELECT 1;", "SELECT 1;"));
  for (const char* mode : {"advisory", "lease"}) {
    std::vector<Process> runs;
    for (int i = 0; i < 16; ++i) {
      std::vector<std::string> args = base_args(db, dir);
      args.insert(args.end(), {"--lock-mode", mode, "--version-table", std::string("v_") + mode + std::to_string(i),
                               "upgrade", "heads"});
      runs.emplace_back(args, child_env({}), dir.path());
    }
    for (auto& p : runs) {
      int code = p.wait();
      INFO(p.err());
      CHECK(code == 0);
    }
    CHECK(db.scalar(std::string("SELECT count(*) FROM lockstep_applied WHERE version_table LIKE 'v\\_") + mode +
                    "%'") == "16");
  }
}

TEST_CASE("kill -9 at random moments never leaves a half-applied revision or a lock", "[runtime][kill]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 12, "SELECT pg_sleep(0.02);");
  std::mt19937 rng(20261124);
  // The moments are random steps, not random delays: each trial lets 0 to 2
  // more revisions commit (their tables appear), then kills while a step's
  // statement runs, so the kill lands mid-step however loaded the machine is.
  const std::string committed = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'";
  const std::string in_step = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                              "'%pg_sleep(0.02)%' AND pid <> pg_backend_pid()";
  int killed_in_step = 0;
  for (int trial = 0; trial < 12; ++trial) {
    std::vector<std::string> args = base_args(db, dir);
    args.insert(args.end(), {"upgrade", "heads"});
    const int target = std::stoi(db.scalar(committed)) + static_cast<int>(rng() % 3);
    Process p(args, child_env({}), dir.path());
    auto deadline = Clock::now() + std::chrono::seconds(60);
    bool in_a_step = false;
    while (p.running()) {  // a run that reaches the head first just ends
      if (std::stoi(db.scalar(committed)) >= target && db.scalar(in_step) != "0") {
        in_a_step = true;
        break;
      }
      REQUIRE(Clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    p.signal(SIGKILL);
    const int code = p.wait();
    killed_in_step += in_a_step && code == 128 + SIGKILL ? 1 : 0;
    wait_for_other_sessions_to_end(db);
    check_consistent(db);
    // Reset some trials to base so kills land in different places.
    if (trial % 3 == 2) {
      RunResult down = run(db, dir, {"downgrade", "base"});
      INFO(down.err);
      REQUIRE(down.exit_code == 0);
      check_consistent(db);
    }
  }
  // A killed run's backend ends soon after its client; its lock goes with it.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (advisory_locks(db) != "0" && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(advisory_locks(db) == "0");
  RunResult last = run(db, dir, {"upgrade", "heads"});
  INFO(last.err);
  CHECK(last.exit_code == 0);
  check_consistent(db);
  CHECK(db.scalar("SELECT count(*) FROM applied_log") == "12");
  CHECK(killed_in_step >= 6);  // most trials killed a run in the middle of a step
}

TEST_CASE("kill -9 while a step's statement runs: the step leaves no trace, the next run completes", "[runtime][kill]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 3);
  dir.write("004.sql", revision("r004", "r003", "CREATE TABLE t_r004 (id int);\nINSERT INTO applied_log VALUES ('r004');\n"
                                                "SELECT pg_sleep(600);",
                                "DROP TABLE t_r004;"));
  std::vector<std::string> args = base_args(db, dir);
  args.insert(args.end(), {"upgrade", "heads"});
  Process p(args, child_env({}), dir.path());
  // The kill lands during the step: its last statement is running.
  wait_until_nonzero(db, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(600)%'");
  p.signal(SIGKILL);
  CHECK(p.wait() == 128 + SIGKILL);
  // The server notices the client is gone only when the statement ends; end it.
  db.scalar("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%' AND "
            "pid <> pg_backend_pid()");
  wait_for_other_sessions_to_end(db);
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "r003");
  CHECK(db.scalar("SELECT to_regclass('t_r004') IS NULL") == "t");
  CHECK(db.scalar("SELECT count(*) FROM applied_log WHERE revision = 'r004'") == "0");
  check_consistent(db);
  CHECK(advisory_locks(db) == "0");
  dir.write("004.sql", revision("r004", "r003", "CREATE TABLE t_r004 (id int);\nINSERT INTO applied_log VALUES ('r004');",
                                "DROP TABLE t_r004;"));
  RunResult next = run(db, dir, {"upgrade", "heads"});
  INFO(next.err);
  CHECK(next.exit_code == 0);
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "r004");
}

TEST_CASE("SIGTERM during a long statement: cancelled, rolled back, lock released, exit 143", "[runtime][signal]")
{
  ScratchDatabase db;
  TempDir dir;
  dir.write("1.sql", revision("one", "", "CREATE TABLE t_one (id int);", "DROP TABLE t_one;"));
  dir.write("2.sql", revision("two", "one", "CREATE TABLE t_two (id int);\nSELECT pg_sleep(600);", "DROP TABLE t_two;"));
  std::vector<std::string> args = base_args(db, dir);
  args.insert(args.end(), {"upgrade", "heads"});
  Process p(args, child_env({}), dir.path());
  // Wait until the long statement runs.
  wait_until_nonzero(db, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%'");
  p.signal(SIGTERM);
  // Without the cancel the statement would run for ten minutes: an exit
  // within the ceiling is the statement being cancelled.
  int code = p.wait(60'000);
  INFO(p.err());
  CHECK(code == 143);
  CHECK(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%' AND state = 'active'") ==
        "0");
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "one");
  CHECK(db.scalar("SELECT to_regclass('t_two') IS NULL") == "t");
  CHECK(advisory_locks(db) == "0");
  CHECK(db.scalar("SELECT outcome FROM lockstep_history WHERE revision = 'two'") == "interrupted");
}

TEST_CASE("a held lock times out with exit 4 and names its holder", "[runtime][lock]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 2);
  auto holder = hold_migration_lock(db, "the-holder");
  RunResult r = run(db, dir, {"--lock-timeout", "1s", "upgrade"});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, ContainsSubstring("the-holder"));
  check_consistent(db);
}

TEST_CASE("the holder named is this database's: the same lock held in another database is not it", "[runtime][lock]")
{
  // Advisory locks are per database; the same key is free to be held in each. The campaign found
  // lockstep naming another database's holder (a parallel test's) when its own lock timed out.
  ScratchDatabase db;
  ScratchDatabase neighbour;
  TempDir dir;
  write_counting_chain(dir, 2);
  auto elsewhere = hold_migration_lock(neighbour, "the-neighbour");
  auto holder = hold_migration_lock(db, "the-holder");
  RunResult r = run(db, dir, {"--lock-timeout", "1s", "upgrade"});
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, ContainsSubstring("the-holder"));
  CHECK_THAT(r.err, !ContainsSubstring("the-neighbour"));
  check_consistent(db);
}

TEST_CASE("an unreachable database is exit 3 after connect_timeout", "[runtime][connect]")
{
  TempDir dir;
  write_counting_chain(dir, 1);
  auto started = Clock::now();
  RunResult r = run_lockstep({"--database-url", "postgresql://nobody:s3cret-pw@127.0.0.1:1/db", "--migrations",
                              dir.path(), "--connect-timeout", "1s", "upgrade"});
  CHECK(r.exit_code == 3);
  CHECK(Clock::now() - started < std::chrono::seconds(40));  // the default connect_timeout, 60 s, was not used
  CHECK_THAT(r.err, ContainsSubstring("127.0.0.1"));
  CHECK(r.err.find("s3cret-pw") == std::string::npos);
}

TEST_CASE("PostgreSQL restarted in the middle of a run: that run exits 3 or 5, the next completes",
          "[runtime][restart]")
{
  // A private server: restarting the shared one would disturb other tests.
  TempDir server_dir;
  // The server runs as another user when the suite runs as root.
  std::filesystem::permissions(server_dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                    std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                                    std::filesystem::perms::others_exec);
  std::string pg = std::string(LOCKSTEP_SOURCE_DIR) + "/scripts/pg-server";
  REQUIRE(std::system((pg + " start " + server_dir.path() + "/pg >/dev/null").c_str()) == 0);
  struct Stop {
    std::string cmd;
    ~Stop() { std::system(cmd.c_str()); }
  } stop{pg + " stop " + server_dir.path() + "/pg >/dev/null 2>&1"};
  std::string url = lockstep::test::read_text(server_dir.path() + "/pg/url");
  url.erase(url.find_last_not_of("\n") + 1);

  TempDir dir;
  write_counting_chain(dir, 5, "SELECT pg_sleep(0.5);");
  Process p({LOCKSTEP_BINARY, "--database-url", url, "--migrations", dir.path(), "--connect-timeout", "2s", "upgrade"},
            child_env({}), dir.path());
  // Restart once a step runs: lockstep is connected and in the middle of its work.
  {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    pqxx::connection watcher(url);
    while (pqxx::nontransaction(watcher)
             .exec("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(0.5)%' AND pid <> pg_backend_pid()")[0][0]
             .as<int>() == 0) {
      REQUIRE(Clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  REQUIRE(std::system((pg + " restart " + server_dir.path() + "/pg >/dev/null").c_str()) == 0);
  int code = p.wait();
  INFO(p.err());
  CHECK((code == 3 || code == 5));
  RunResult next = run_lockstep({"--database-url", url, "--migrations", dir.path(), "upgrade"});
  INFO(next.err);
  CHECK(next.exit_code == 0);
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  CHECK(tx.exec("SELECT count(*) FROM applied_log")[0][0].as<int>() == 5);
}

TEST_CASE("each kind of bad configuration is exit 2 naming the key and its source", "[runtime][config]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 1);
  SECTION("a duration from the environment")
  {
    RunResult r = run(db, dir, {"upgrade"}, {{"LOCKSTEP_LOCK_TIMEOUT", "5 minutes"}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring("lock_timeout") && ContainsSubstring("LOCKSTEP_LOCK_TIMEOUT"));
  }
  SECTION("an unknown YAML key, with its line")
  {
    dir.write("config.yaml", "migrations: x\nlock_timout: 5m\n");
    RunResult r = run(db, dir, {"--config", dir.path() + "/config.yaml", "upgrade"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring("config.yaml:2") && ContainsSubstring("lock_timout"));
  }
  SECTION("a missing config file")
  {
    RunResult r = run(db, dir, {"upgrade"}, {{"LOCKSTEP_CONFIG", "/nonexistent/config.yaml"}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring("LOCKSTEP_CONFIG"));
  }
  SECTION("a bad value in .env")
  {
    dir.write(".env", "# local settings\nexport LOCKSTEP_LOG_FORMAT=xml\n");
    RunResult r = run_lockstep({"--database-url", db.url(), "--migrations", dir.path(), "upgrade"}, {}, dir.path());
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring("log_format") && ContainsSubstring(".env"));
  }
  SECTION("an unreadable password file")
  {
    RunResult r = run(db, dir, {"upgrade"}, {{"LOCKSTEP_DATABASE_PASSWORD_FILE", "/nonexistent/password"}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring("password file"));
  }
  SECTION("flags beat the environment, which beats .env and YAML")
  {
    dir.write("config.yaml", "migrations: /nonexistent-from-yaml\n");
    RunResult r = run_lockstep({"--database-url", db.url(), "--config", dir.path() + "/config.yaml", "upgrade"},
                               {{"LOCKSTEP_MIGRATIONS", dir.path()}});
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  CHECK(db.scalar("SELECT to_regclass('lockstep_version') IS NULL") == (db.scalar("SELECT to_regclass('t_r001') IS NULL")));
}

TEST_CASE("the dirty flow: a failed non-transactional revision is 5, then 6 until repair", "[runtime][dirty]")
{
  ScratchDatabase db;
  TempDir dir;
  dir.write("1.sql", revision("one", "", "CREATE TABLE items (id int, name text);", "DROP TABLE items;"));
  dir.write("2.sql", revision("two", "one",
                              "CREATE INDEX CONCURRENTLY items_name ON items (name);\n"
                              "CREATE INDEX CONCURRENTLY items_bad ON no_such_table (name);",
                              "DROP INDEX CONCURRENTLY items_bad;\nDROP INDEX CONCURRENTLY items_name;",
                              "-- Transactional: false\n"));
  RunResult failed = run(db, dir, {"upgrade"});
  CHECK(failed.exit_code == 5);
  CHECK_THAT(failed.err, ContainsSubstring("2.sql:8") && ContainsSubstring("dirty"));
  CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'items_name'") == "1");  // committed
  RunResult refused = run(db, dir, {"upgrade"});
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.err, ContainsSubstring("repair"));
  CHECK(run(db, dir, {"validate"}).exit_code == 6);
  // A human fixes things: drops the half-built index and corrects the file.
  db.exec("DROP INDEX items_name");
  dir.write("2.sql", revision("two", "one", "CREATE INDEX CONCURRENTLY items_name ON items (name);",
                              "DROP INDEX CONCURRENTLY items_name;", "-- Transactional: false\n"));
  RunResult repaired = run(db, dir, {"repair"});
  CHECK(repaired.exit_code == 0);
  CHECK_THAT(repaired.out, ContainsSubstring("two") && ContainsSubstring("2.sql:8"));
  RunResult done = run(db, dir, {"upgrade"});
  INFO(done.err);
  CHECK(done.exit_code == 0);
  CHECK(db.scalar("SELECT version_num FROM lockstep_version") == "two");
}

TEST_CASE("CREATE INDEX CONCURRENTLY in a transactional revision is refused before anything runs", "[runtime]")
{
  ScratchDatabase db;
  TempDir dir;
  dir.write("1.sql", revision("one", "", "CREATE TABLE items (id int);", "DROP TABLE items;"));
  dir.write("2.sql", revision("two", "one", "CREATE INDEX CONCURRENTLY items_id ON items (id);", "DROP INDEX items_id;"));
  RunResult r = run(db, dir, {"upgrade"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring("2.sql:6") && ContainsSubstring("Transactional: false"));
  CHECK(db.scalar("SELECT to_regclass('items') IS NULL") == "t");
}

TEST_CASE("an edited applied revision is exit 6 unless --ignore-checksums", "[runtime][checksum]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 2);
  REQUIRE(run(db, dir, {"upgrade"}).exit_code == 0);
  dir.write("r001.sql", revision("r001", "r000", "CREATE TABLE t_r001 (id bigint);", "DROP TABLE t_r001;"));
  RunResult r = run(db, dir, {"upgrade"});
  CHECK(r.exit_code == 6);
  CHECK_THAT(r.err, ContainsSubstring("r001") && ContainsSubstring("r001.sql"));
  CHECK(run(db, dir, {"validate"}).exit_code == 6);
  CHECK(run(db, dir, {"upgrade", "--ignore-checksums"}).exit_code == 0);
}

TEST_CASE("a lock_not_available failure is retried until the blocking session ends", "[runtime][ddl-lock]")
{
  ScratchDatabase db;
  TempDir dir;
  dir.write("1.sql", revision("one", "", "CREATE TABLE busy (id int);", "DROP TABLE busy;"));
  REQUIRE(run(db, dir, {"upgrade"}).exit_code == 0);
  dir.write("2.sql", revision("two", "one", "ALTER TABLE busy ADD COLUMN note text;", "ALTER TABLE busy DROP COLUMN note;"));

  pqxx::connection blocker(db.url());
  pqxx::work hold(blocker);
  hold.exec("LOCK TABLE busy IN ACCESS SHARE MODE");
  std::vector<std::string> args = base_args(db, dir);
  args.insert(args.end(), {"--ddl-lock-timeout", "200ms", "upgrade"});
  Process p(args, child_env({}), dir.path());
  wait_for_stderr(p, "retry 1");  // the first attempt gave up on the lock
  hold.commit();
  int code = p.wait();
  INFO(p.err());
  CHECK(code == 0);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'note'") ==
        "1");
}

TEST_CASE("wait blocks until another run has migrated, and times out with 7", "[runtime][wait]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 3);
  RunResult timeout = run(db, dir, {"wait", "--timeout", "1s"});
  CHECK(timeout.exit_code == 7);
  CHECK(db.scalar("SELECT to_regclass('lockstep_version') IS NULL") == "t");  // wait never migrates

  std::vector<std::string> args = base_args(db, dir);
  args.insert(args.end(), {"wait", "--timeout", "30s"});
  Process waiter(args, child_env({}), dir.path());
  wait_for_stderr(waiter, "waiting for the database to reach its heads");
  CHECK(waiter.running());
  REQUIRE(run(db, dir, {"upgrade"}).exit_code == 0);
  CHECK(waiter.wait(10000) == 0);
}

TEST_CASE("a known password never appears in output on failing paths", "[runtime][secrets]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 1);
  const std::string password = lockstep::test::server_password();
  REQUIRE_FALSE(password.empty());
  REQUIRE(db.url().find(password) != std::string::npos);
  std::string wrong = db.url();
  wrong.replace(wrong.find(password), password.size(), "Wr0ng-" + password);
  std::vector<RunResult> results{
    run_lockstep({"--database-url", wrong, "--migrations", dir.path(), "--connect-timeout", "1s", "upgrade"}),
    run_lockstep({"--database-url", db.url() + (db.url().find('?') == std::string::npos ? "?" : "&") + "bogus_option=1",
                  "--migrations", dir.path(), "upgrade"}),
    run_lockstep({"--migrations", dir.path(), "--lock-timeout", "bad", "upgrade"}, {{"DATABASE_URL", db.url()}}),
    run_lockstep({"--database-url", db.url(), "--migrations", "/nonexistent", "upgrade"}),
    run_lockstep({"--database-url", db.url(), "--migrations", dir.path(), "downgrade", "nosuchrev"}),
  };
  dir.write("r001.sql", revision("r001", "r000", "SELECT * FROM missing_table;", "SELECT 1;"));
  results.push_back(run_lockstep({"--database-url", db.url(), "--migrations", dir.path(), "upgrade"}));
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.out.find(password) == std::string::npos);
    CHECK(r.err.find(password) == std::string::npos);
  }
  CHECK_THAT(results[0].err, ContainsSubstring("password authentication failed"));
}

TEST_CASE("log_format json writes one JSON object per line with fields", "[runtime][logging]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 2);
  RunResult r = run(db, dir, {"upgrade"}, {{"LOCKSTEP_LOG_FORMAT", "json"}, {"POD_NAME", "web-0"}});
  REQUIRE(r.exit_code == 0);
  size_t lines = 0;
  size_t start = 0;
  bool saw_duration = false;
  while (start < r.err.size()) {
    size_t end = r.err.find('\n', start);
    std::string line = r.err.substr(start, end - start);
    start = end + 1;
    ++lines;
    INFO(line);
    // Valid JSON, checked by the server's own parser.
    CHECK(db.scalar("SELECT (" + lockstep::util::quote_literal(line) + "::jsonb ->> 'pod')") == "web-0");
    CHECK(db.scalar("SELECT (" + lockstep::util::quote_literal(line) + "::jsonb ? 'time')::text") == "true");
    saw_duration = saw_duration ||
                   db.scalar("SELECT (" + lockstep::util::quote_literal(line) + "::jsonb ->> 'duration_ms') IS NOT NULL") == "t";
  }
  CHECK(lines >= 4);
  CHECK(saw_duration);
}

TEST_CASE("validate --single-head fails with the merge command; validate works without a database", "[runtime][validate]")
{
  TempDir dir;
  dir.write("1.sql", revision("one", "", "SELECT 1;", "SELECT 1;"));
  dir.write("2.sql", revision("two", "one", "SELECT 2;", "SELECT 2;"));
  dir.write("3.sql", revision("three", "one", "SELECT 3;", "SELECT 3;"));
  RunResult plain = run_lockstep({"--migrations", dir.path(), "validate"});
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.out, ContainsSubstring("files only"));
  RunResult single = run_lockstep({"--migrations", dir.path(), "validate", "--single-head"});
  CHECK(single.exit_code == 2);
  CHECK_THAT(single.err, ContainsSubstring("lockstep merge") && ContainsSubstring("two") && ContainsSubstring("three"));
  dir.write("4.sql", revision("four", "one", "SELEC 4;", "SELECT 4;"));
  RunResult syntax = run_lockstep({"--migrations", dir.path(), "validate"});
  CHECK(syntax.exit_code == 2);
  CHECK_THAT(syntax.err, ContainsSubstring("4.sql:6") && ContainsSubstring("syntax error"));
}

TEST_CASE("a signal while waiting for the lock exits 128+N without migrating", "[runtime][signal]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 1);
  auto holder = hold_migration_lock(db);
  std::vector<std::string> args = base_args(db, dir);
  args.insert(args.end(), {"upgrade"});
  Process p(args, child_env({}), dir.path());
  wait_for_stderr(p, "waiting for the migration lock");
  p.signal(SIGINT);
  CHECK(p.wait(2000) == 130);
  CHECK(db.scalar("SELECT to_regclass('t_r001') IS NULL") == "t");
}

TEST_CASE("a second signal exits at once, even when the first cannot finish", "[runtime][signal]")
{
  // A server that accepts connections and never answers: the connection
  // attempt hangs in libpq, where the first signal cannot cut it short.
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener, 16) == 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  // libpq would give up on the attempt after connect_timeout: ten minutes.
  std::string url = "postgresql://nobody@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/db?connect_timeout=600";

  TempDir dir;
  write_counting_chain(dir, 1);
  Process p({LOCKSTEP_BINARY, "--database-url", url, "--migrations", dir.path(), "upgrade"}, child_env({}), dir.path());
  int client = accept(listener, nullptr, nullptr);  // lockstep is now inside libpq's connect
  REQUIRE(client >= 0);
  p.signal(SIGTERM);
  wait_for_signal_taken(p.pid(), SIGTERM);
  REQUIRE(p.running());
  p.signal(SIGTERM);
  // The attempt would hang for ten minutes: an exit within the ceiling is the second signal's.
  CHECK(p.wait(60'000) == 143);
  close(client);
  close(listener);
}

TEST_CASE("statement_timeout stops a migration statement that runs too long", "[runtime][timeout]")
{
  ScratchDatabase db;
  TempDir dir;
  // Ten minutes of sleep: the run ends long before only if statement_timeout cut it.
  dir.write("1.sql", revision("slow", "", "CREATE TABLE t_slow (id int);\nSELECT pg_sleep(600);", "DROP TABLE t_slow;"));
  RunResult r = run(db, dir, {"--statement-timeout", "300ms", "upgrade"});
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, ContainsSubstring("57014") && ContainsSubstring("1.sql:7"));
  CHECK(db.scalar("SELECT to_regclass('t_slow') IS NULL") == "t");
}

TEST_CASE("a connection lost between statements is exit 3 (database unreachable), not an internal error",
          "[runtime][connect]")
{
  ScratchDatabase db;
  TempDir dir;
  write_counting_chain(dir, 1);
  auto holder = hold_migration_lock(db);
  std::vector<std::string> args = base_args(db, dir);
  args.insert(args.end(), {"upgrade"});
  Process p(args, child_env({{"POD_NAME", "doomed-0"}}), dir.path());
  wait_for_stderr(p, "waiting for the migration lock");
  // What a failover or an administrator does to the session.
  CHECK(db.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
                  "'lockstep/doomed-0'") == "1");
  int code = p.wait(10000);
  INFO(p.err());
  CHECK(code == 3);
  CHECK(p.err().find("lost the connection") != std::string::npos);
}

// The lock modes behind a real PgBouncer (Debian's, started by the
// pgbouncer_start fixture in front of the suite's PostgreSQL): lease mode
// works in transaction pooling, advisory mode is refused there (exit 2, the
// hint to use lease), and session pooling or a direct connection are never
// refused. What lockstep sends must hold in transaction pooling: no session
// state relied on across transactions.
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <pqxx/pqxx>

#include <cstdio>
#include <string>
#include <vector>

using Catch::Matchers::ContainsSubstring;
using lockstep::test::Process;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::child_env;
using lockstep::test::revision_file_text;
using lockstep::test::run_lockstep;
using lockstep::test::url_with_database;

namespace {

// r000 (the log table) .. r<count>, each creating a table and counting
// itself in applied_log, so a revision applied twice shows as two rows. The
// last one is non-transactional (CREATE INDEX CONCURRENTLY), the path that
// would rely on a session SET.
void write_chain(const TempDir& dir, int count)
{
  dir.write("000.sql", revision_file_text("r000", {}, "CREATE TABLE applied_log (revision text NOT NULL);",
                                          "DROP TABLE applied_log;"));
  for (int i = 1; i <= count; ++i) {
    char id_text[8];
    char parent[8];
    std::snprintf(id_text, sizeof id_text, "r%03d", i);
    std::snprintf(parent, sizeof parent, "r%03d", i - 1);
    const std::string id = id_text;
    const std::string table = "t_" + id;
    if (i == count) {
      dir.write(id + ".sql",
                revision_file_text(id, {parent},
                                   "CREATE INDEX CONCURRENTLY i_last ON applied_log (revision);\n"
                                   "INSERT INTO applied_log VALUES ('" + id + "');",
                                   "DROP INDEX CONCURRENTLY i_last;\nDELETE FROM applied_log WHERE revision = '" + id + "';",
                                   {"Transactional: false"}));
    } else {
      dir.write(id + ".sql",
                revision_file_text(id, {parent},
                                   "CREATE TABLE " + table + " (id int);\nINSERT INTO applied_log VALUES ('" + id + "');",
                                   "DROP TABLE " + table + ";\nDELETE FROM applied_log WHERE revision = '" + id + "';"));
    }
  }
}

// The same database reached through PgBouncer (transaction pooling).
std::string through_bouncer(const ScratchDatabase& db)
{
  return url_with_database(lockstep::test::pgbouncer_url(), db.name());
}

std::vector<std::string> args(const std::string& url, const TempDir& dir, std::vector<std::string> rest)
{
  std::vector<std::string> all{"--database-url", url, "--migrations", dir.path()};
  all.insert(all.end(), rest.begin(), rest.end());
  return all;
}

// lockstep with those arguments, started in the background.
Process start(const std::string& url, const TempDir& dir, std::vector<std::string> rest)
{
  std::vector<std::string> argv{LOCKSTEP_BINARY};
  for (auto& arg : args(url, dir, std::move(rest))) {
    argv.push_back(std::move(arg));
  }
  return Process(argv, child_env({}), dir.path());
}

// Every revision ran exactly once and the database is at the head.
void check_applied_once(const ScratchDatabase& db, int count)
{
  char head[8];
  std::snprintf(head, sizeof head, "r%03d", count);
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == head);
  CHECK(db.scalar("SELECT count(*) FROM applied_log") == std::to_string(count));
  CHECK(db.scalar("SELECT count(DISTINCT revision) FROM applied_log") == std::to_string(count));
  CHECK(db.scalar("SELECT count(*) FROM lockstep_history WHERE direction = 'up' AND outcome = 'applied'") ==
        std::to_string(count + 1));
  CHECK(db.scalar("SELECT count(*) FROM lockstep_applied") == std::to_string(count + 1));
}

} // namespace

TEST_CASE("lease mode through PgBouncer in transaction pooling: 30 processes at once migrate exactly once, all exit 0",
          "[pgbouncer]")
{
  ScratchDatabase db;
  TempDir dir;
  const int count = 4;
  write_chain(dir, count);
  std::vector<Process> herd;
  for (int i = 0; i < 30; ++i) {
    herd.push_back(start(through_bouncer(db), dir,
                         {"--lock-mode", "lease", "--statement-timeout", "60s", "--log-level", "debug", "upgrade",
                          "heads"}));
  }
  int pooled = 0;
  int warned = 0;
  for (auto& p : herd) {
    const int code = p.wait();
    INFO(p.err());
    CHECK(code == 0);
    CHECK_THAT(p.err(), !ContainsSubstring(lockstep::test::server_password()));
    pooled += p.err().find("pooler in transaction pooling") != std::string::npos ? 1 : 0;
    warned += p.err().find("do not apply to the non-transactional revision r004") != std::string::npos ? 1 : 0;
  }
  check_applied_once(db, count);
  CHECK(pooled >= 1);     // the runs that reached the lock saw the pooler for what it is
  CHECK(warned == 1);     // the one that ran r004 sent no session SET, and said so
  CHECK(db.scalar("SELECT count(*) FROM lockstep_lease") == "0");  // released
  // The index of the non-transactional revision is there and valid.
  CHECK(db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'i_last'::regclass") == "t");

  // The other commands through the pooler: read, step down, step up again.
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"current"}, {"history"}, {"status"}, {"downgrade", "-1"}, {"upgrade", "heads"}}) {
    std::vector<std::string> full{"--database-url", through_bouncer(db), "--migrations", dir.path(), "--lock-mode",
                                  "lease"};
    full.insert(full.end(), command.begin(), command.end());
    RunResult r = run_lockstep(full);
    INFO(command[0] + ": " + r.err);
    CHECK(r.exit_code == 0);
  }
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "r004");
  CHECK(db.scalar("SELECT count(*) FROM applied_log") == std::to_string(count));
}

TEST_CASE("advisory mode through PgBouncer in transaction pooling is refused with exit 2 and the lease hint",
          "[pgbouncer]")
{
  ScratchDatabase db;
  TempDir dir;
  write_chain(dir, 2);
  auto refused = [&](const std::string& err) {
    CHECK_THAT(err, ContainsSubstring("transaction pooling"));
    CHECK_THAT(err, ContainsSubstring("lock_mode: lease"));
    CHECK_THAT(err, !ContainsSubstring(lockstep::test::server_password()));
  };
  // On an idle pool (PgBouncer hands the last server connection back to the
  // same client), one at a time: detection must not depend on other traffic.
  for (int i = 0; i < 5; ++i) {
    RunResult r = run_lockstep(args(through_bouncer(db), dir, {"upgrade", "heads"}));
    INFO(r.err);
    CHECK(r.exit_code == 2);
    refused(r.err);
  }
  // And ten at once.
  std::vector<Process> herd;
  for (int i = 0; i < 10; ++i) {
    herd.push_back(start(through_bouncer(db), dir, {"upgrade", "heads"}));
  }
  for (auto& p : herd) {
    const int code = p.wait();
    INFO(p.err());
    CHECK(code == 2);
    refused(p.err());
  }
  // Nothing ran, not even lockstep's own tables.
  CHECK(db.scalar("SELECT to_regclass('applied_log') IS NULL AND to_regclass('lockstep_version') IS NULL") == "t");
}

// A pool of two server connections, outnumbered tenfold. A pooling probe
// that held one server connection while it waited for another deadlocked
// such a herd (each member holding one, waiting for a second) until
// PgBouncer's query_wait_timeout, 120 s: a herd of 30 on a pool of 10 did,
// once, in CI.
TEST_CASE("a herd of 20 on a transaction pool of two server connections: no probe waits on itself", "[pgbouncer]")
{
  TempDir dir;
  write_chain(dir, 2);
  const std::string name = "lockstep_small_pool";  // the fixture's pool of two
  {
    pqxx::connection admin(lockstep::test::server_url());
    pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    pqxx::nontransaction(admin).exec0("CREATE DATABASE " + name);
  }
  const std::string url = url_with_database(lockstep::test::pgbouncer_url(), name);
  for (const char* mode : {"advisory", "lease"}) {
    std::vector<Process> herd;
    for (int i = 0; i < 20; ++i) {
      herd.push_back(start(url, dir, {"--lock-mode", mode, "upgrade", "heads"}));
    }
    for (auto& p : herd) {
      const int code = p.wait(60'000);
      INFO(mode << ": " << p.err());
      CHECK(code == (std::string(mode) == "lease" ? 0 : 2));  // advisory: refused, not hung
    }
  }
  {
    pqxx::connection conn(url_with_database(lockstep::test::server_url(), name));
    pqxx::nontransaction tx(conn);
    CHECK(tx.exec("SELECT string_agg(version_num, ',') FROM lockstep_version")[0][0].as<std::string>() == "r002");
    CHECK(tx.exec("SELECT count(*) FROM applied_log")[0][0].as<std::string>() == "2");
  }
  {
    pqxx::connection admin(lockstep::test::server_url());
    pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}

TEST_CASE("advisory mode through PgBouncer in session pooling, and directly, is never refused", "[pgbouncer]")
{
  TempDir dir;
  write_chain(dir, 3);
  const std::string name = "lockstep_session_pool";  // the fixture's session-pooled database
  {
    pqxx::connection admin(lockstep::test::server_url());
    pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    pqxx::nontransaction(admin).exec0("CREATE DATABASE " + name);
  }
  const std::string session_url = url_with_database(lockstep::test::pgbouncer_url(), name);
  // Eight at once: the probe's second connections share the pool with them.
  std::vector<Process> herd;
  for (int i = 0; i < 8; ++i) {
    herd.push_back(start(session_url, dir, {"--log-level", "debug", "upgrade", "heads"}));
  }
  int seen_session = 0;
  for (auto& p : herd) {
    const int code = p.wait();
    INFO(p.err());
    CHECK(code == 0);
    CHECK_THAT(p.err(), !ContainsSubstring("transaction pooling"));
    seen_session += p.err().find("pooler in session pooling") != std::string::npos ? 1 : 0;
  }
  CHECK(seen_session >= 1);
  {
    pqxx::connection conn(url_with_database(lockstep::test::server_url(), name));
    pqxx::nontransaction tx(conn);
    CHECK(tx.exec("SELECT string_agg(version_num, ',') FROM lockstep_version")[0][0].as<std::string>() == "r003");
    CHECK(tx.exec("SELECT count(*) FROM applied_log")[0][0].as<std::string>() == "3");
  }
  {
    pqxx::connection admin(lockstep::test::server_url());
    pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  // Directly: no pooler, no probe.
  ScratchDatabase db;
  RunResult direct = run_lockstep(args(db.url(), dir, {"--log-level", "debug", "upgrade", "heads"}));
  INFO(direct.err);
  CHECK(direct.exit_code == 0);
  CHECK_THAT(direct.err, !ContainsSubstring("pooler"));
  check_applied_once(db, 3);
}

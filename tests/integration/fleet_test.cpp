// Fleets (README.md, "Fleets"): one lockstep run migrating many databases,
// or many tenant schemas of one database, against the suite's real
// PostgreSQL: the rows in every target, canary stop, failure budget, resume
// after kill -9, SIGTERM, a shard split, bad fleet files, and secrets.

#include "fleet_fixture.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

using lockstep::test::Process;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::child_env;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;
using namespace lockstep::test::fleet;

namespace {

using Clock = std::chrono::steady_clock;

void require_no_secret(const RunResult& r)
{
  CHECK_THAT(r.out + r.err, !ContainsSubstring(lockstep::test::server_password()));
}

} // namespace

TEST_CASE("fleet: 300 tenant schemas, split over 4 shards, then one run for the next revision", "[fleet]")
{
  constexpr int kTenants = 300;
  ScratchDatabase db;
  TempDir dir;
  write_migrations(dir);
  create_tenants(db, kTenants);

  // Four shards (the last one's index from JOB_COMPLETION_INDEX, as an
  // Indexed Job sets it) migrate to r1: every tenant exactly once.
  std::multiset<std::string> seen;
  for (int index = 0; index < 4; ++index) {
    std::vector<std::string> args = with(schema_args(db, dir), {"--parallel", "6", "--shard-count", "4",
                                                                "--log-format", "json"});
    std::map<std::string, std::string> env;
    if (index < 3) {
      args.insert(args.end(), {"--shard-index", std::to_string(index)});
    } else {
      env["JOB_COMPLETION_INDEX"] = "3";
    }
    args.insert(args.end(), {"upgrade", "r1"});
    RunResult r = run_lockstep(args, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_no_secret(r);
    std::vector<std::string> mine = targets_in(r.out);
    CHECK(mine.size() > 30);  // a share, not all and not nothing
    CHECK(mine.size() < 120);
    seen.insert(mine.begin(), mine.end());
  }
  REQUIRE(seen.size() == kTenants);
  for (int i = 1; i <= kTenants; ++i) {
    CHECK(seen.count(tenant(i)) == 1);
  }
  for (const auto& [schema, rows] :
       per_schema(db, kTenants, "SELECT string_agg(version_num, ',') FROM $S.lockstep_version")) {
    CHECK(rows == "r1");
  }
  CHECK(db.scalar("SELECT to_regclass('public.items') IS NULL") == "t");  // nothing in public

  // One run, all 300, to heads.
  RunResult r = run_lockstep(with(schema_args(db, dir), {"--parallel", "6", "upgrade"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, ContainsSubstring("300 target(s): 300 succeeded, 0 failed, 0 skipped"));
  for (const auto& [schema, value] :
       per_schema(db, kTenants,
                  "SELECT (SELECT string_agg(version_num, ',') FROM $S.lockstep_version) || '/' || "
                  "(SELECT count(*) FROM $S.items WHERE name = 'first') || '/' || "
                  "(SELECT string_agg(revision, ',' ORDER BY revision) FROM $S.applied_log) || '/' || "
                  "(SELECT count(*) FROM $S.lockstep_history)")) {
    INFO(schema);
    CHECK(value == "r2/1/r1,r2/2");
  }

  // status and current across the fleet: all at head, exit 0.
  RunResult status = run_lockstep(with(schema_args(db, dir), {"status"}));
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.out, ContainsSubstring("tenant_0300"));
  RunResult current = run_lockstep(with(schema_args(db, dir), {"--log-format", "json", "current"}));
  CHECK(current.exit_code == 0);
  CHECK_THAT(current.out, ContainsSubstring("{\"target\":\"tenant_0150\""));
  CHECK_THAT(current.out, ContainsSubstring("\"to\":[\"r2\"]"));
}

// 16 databases: CREATE DATABASE dominates this test's time on a busy machine
// (the 300 tenant schemas above carry the scale).
TEST_CASE("fleet: 16 databases from a fleet file, kill -9 in the middle, resumed exactly once", "[fleet]")
{
  constexpr int kDatabases = 16;
  std::vector<std::unique_ptr<ScratchDatabase>> dbs;
  TempDir dir;
  TempDir work;
  write_migrations(dir, "SELECT pg_sleep(0.2);");
  // Passwords stay out of the file: ${FLEET_PASSWORD} from the environment.
  const std::string password = lockstep::test::server_password();
  std::string file = "# the tenants\n\n";
  for (int i = 0; i < kDatabases; ++i) {
    dbs.push_back(std::make_unique<ScratchDatabase>());
    std::string url = dbs.back()->url();
    url.replace(url.find(password), password.size(), "${FLEET_PASSWORD}");
    file += (i % 2 == 0 ? "" : "db" + std::to_string(i) + "  ") + url + "\n";
  }
  const std::string fleet = work.write("fleet.txt", file);
  const std::map<std::string, std::string> env{{"FLEET_PASSWORD", password}};
  const std::vector<std::string> args{"--fleet-file", fleet, "--migrations", dir.path(), "--parallel", "4"};

  {
    std::vector<std::string> argv{LOCKSTEP_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--log-format", "json", "upgrade", "r1"});
    Process p(argv, child_env(env), work.path());
    // kill -9 once some targets are done and others are not.
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (targets_in(p.out()).size() < 4) {
      REQUIRE(Clock::now() < deadline);
      REQUIRE(p.running());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    p.signal(SIGKILL);
    REQUIRE(p.wait() == 128 + SIGKILL);
  }
  int migrated = 0;
  for (const auto& db : dbs) {
    migrated += db->scalar("SELECT to_regclass('applied_log') IS NOT NULL") == "t";  // r1 committed
  }
  CHECK(migrated >= 4);
  CHECK(migrated < kDatabases);

  // The re-run resumes: r1 everywhere, each exactly once, then r2 in the same run.
  RunResult r = run_lockstep(with(args, {"upgrade"}), env);
  INFO(r.out + r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, ContainsSubstring("16 target(s): 16 succeeded, 0 failed, 0 skipped"));
  CHECK_THAT(r.out, ContainsSubstring("db1 "));
  require_no_secret(r);
  for (const auto& db : dbs) {
    CHECK(db->scalar("SELECT string_agg(revision || ':' || n, ',' ORDER BY revision) FROM "
                     "(SELECT revision, count(*) n FROM lockstep_history WHERE outcome = 'applied' GROUP BY 1) h") ==
          "r1:1,r2:1");
    CHECK(db->scalar("SELECT string_agg(revision, ',' ORDER BY revision) FROM applied_log") == "r1,r2");
    CHECK(db->scalar("SELECT version_num FROM lockstep_version") == "r2");
  }

  // Once more: every target at the goal, nothing run.
  RunResult again = run_lockstep(with(args, {"upgrade"}), env);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, ContainsSubstring("up-to-date"));
  CHECK_THAT(again.out, !ContainsSubstring("upgraded"));
  CHECK(dbs.front()->scalar("SELECT count(*) FROM lockstep_history") == "2");
}

TEST_CASE("fleet: a failed canary stops the rollout; the failure budget stops new targets", "[fleet]")
{
  ScratchDatabase db;
  TempDir dir;
  TempDir work;
  write_migrations(dir);
  create_tenants(db, 8);
  // tenant_0001 and tenant_0002 already have an `items` table: r1 fails there.
  db.exec("CREATE TABLE tenant_0001.items (x int); CREATE TABLE tenant_0002.items (x int);");
  auto migrated = [&] {
    int n = 0;
    for (const auto& [schema, value] : per_schema(db, 8, "SELECT to_regclass('$S.applied_log') IS NOT NULL")) {
      n += value == "true";
    }
    return n;
  };

  SECTION("canary") {
    const std::string message = work.path() + "/termination";
    RunResult r = run_lockstep(with(schema_args(db, dir), {"--canary", "3", "--parallel", "3", "--termination-log",
                                                           message, "upgrade"}));
    INFO(r.err);
    CHECK(r.exit_code == 5);
    CHECK(migrated() == 1);  // tenant_0003, the canary that passed; nobody after the canary
    CHECK_THAT(r.err, ContainsSubstring("a canary target failed"));
    std::string line = lockstep::test::read_text(message);
    CHECK_THAT(line, ContainsSubstring("\"fleet\":{\"targets\":8,\"succeeded\":1,\"failed\":2,\"skipped\":5"));
    CHECK_THAT(line, ContainsSubstring("tenant_0001: exit 5"));
    CHECK(line.size() <= 4096);
  }
  SECTION("failure budget") {
    RunResult r = run_lockstep(with(schema_args(db, dir), {"--max-failures", "2", "--parallel", "1", "upgrade"}));
    INFO(r.err);
    CHECK(r.exit_code == 5);
    CHECK(migrated() == 0);  // the first two failed; no other target started
    CHECK_THAT(r.out, ContainsSubstring("8 target(s): 0 succeeded, 2 failed, 6 skipped"));
  }
  SECTION("no budget: every other target still migrates, the exit code is the failure's") {
    RunResult r = run_lockstep(with(schema_args(db, dir), {"--parallel", "3", "upgrade"}));
    CHECK(r.exit_code == 5);
    CHECK(migrated() == 6);
  }
}

TEST_CASE("fleet: SIGTERM cancels every in-flight target and starts no new one", "[fleet]")
{
  ScratchDatabase db;
  TempDir dir;
  TempDir work;
  write_migrations(dir, "SELECT pg_sleep(600);");
  create_tenants(db, 8);
  std::vector<std::string> argv{LOCKSTEP_BINARY};
  for (const auto& a : with(schema_args(db, dir), {"--parallel", "4", "upgrade"})) {
    argv.push_back(a);
  }
  Process p(argv, child_env({}), work.path());
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(600)%' "
                   "AND pid <> pg_backend_pid()") != "4") {
    REQUIRE(Clock::now() < deadline);
    REQUIRE(p.running());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.signal(SIGTERM);
  REQUIRE(p.wait(60'000) == 128 + SIGTERM);
  CHECK_THAT(p.out(), ContainsSubstring("8 target(s): 0 succeeded, 4 failed, 4 skipped"));
  // Each of the four in-flight targets stopped with the signal's code.
  std::string err = p.err();
  int stopped = 0;
  for (size_t at = 0; (at = err.find("result=failed exit_code=143", at)) != std::string::npos; ++at) {
    ++stopped;
  }
  CHECK(stopped == 4);
  for (const auto& [schema, value] :
       per_schema(db, 8, "SELECT to_regclass('$S.items') IS NULL AND to_regclass('$S.applied_log') IS NULL")) {
    INFO(schema);
    CHECK(value == "true");  // rolled back, or never started
  }
}

TEST_CASE("fleet: a bad fleet file is exit 2 naming file:line, without the secret", "[fleet]")
{
  TempDir dir;
  TempDir work;
  write_migrations(dir);
  const std::string password = lockstep::test::server_password();
  std::string good = lockstep::test::server_url();
  good.replace(good.find(password), password.size(), "${FLEET_PASSWORD}");
  const std::map<std::string, std::string> env{{"FLEET_PASSWORD", password}};
  auto run_file = [&](const std::string& text) {
    return run_lockstep({"--fleet-file", work.write("fleet.txt", text), "--migrations", dir.path(), "upgrade"}, env);
  };

  RunResult unset = run_file("# tenants\n" + good + "\n\nb postgresql://u:${NOT_SET}@h/db\n");
  CHECK(unset.exit_code == 2);
  CHECK_THAT(unset.err, ContainsSubstring("fleet.txt:4: ${NOT_SET} is not set"));

  RunResult bad = run_file(good + "\nx postgresql://u:" + password + "@[bad/db\n");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, ContainsSubstring("fleet.txt:2:"));
  require_no_secret(bad);

  RunResult twice = run_file(good + "\n" + good + "\n");
  CHECK(twice.exit_code == 2);
  CHECK_THAT(twice.err, ContainsSubstring("fleet.txt:2: target 127.0.0.1:"));
  require_no_secret(twice);

  RunResult shard = run_lockstep({"--fleet-file", work.write("fleet.txt", good + "\n"), "--migrations", dir.path(),
                                  "--shard-count", "2", "upgrade"},
                                 {{"FLEET_PASSWORD", password}, {"JOB_COMPLETION_INDEX", "2"}});
  CHECK(shard.exit_code == 2);
  CHECK_THAT(shard.err, ContainsSubstring("shard_index 2 is not below shard_count 2"));

  RunResult no_index = run_lockstep({"--fleet-file", work.write("fleet.txt", good + "\n"), "--migrations", dir.path(),
                                     "--shard-count", "2", "upgrade"},
                                    env);
  CHECK(no_index.exit_code == 2);
  CHECK_THAT(no_index.err, ContainsSubstring("no shard_index (nor JOB_COMPLETION_INDEX)"));
}

TEST_CASE("fleet: targets from a query on the control database, URLs or schema names", "[fleet]")
{
  ScratchDatabase control;
  ScratchDatabase tenant_db;
  TempDir dir;
  write_migrations(dir);
  create_tenants(control, 3);
  const std::string password = lockstep::test::server_password();

  // Schema names: every tenant but tenant_0002.
  RunResult schemas = run_lockstep({"--database-url", control.url(), "--migrations", dir.path(), "--fleet-query",
                                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant%' AND "
                                    "nspname <> 'tenant_0002' ORDER BY 1",
                                    "upgrade"});
  INFO(schemas.err);
  REQUIRE(schemas.exit_code == 0);
  CHECK(per_schema(control, 3, "SELECT to_regclass('$S.items') IS NOT NULL") ==
        std::map<std::string, std::string>{{"tenant_0001", "true"}, {"tenant_0002", "false"}, {"tenant_0003", "true"}});

  // URLs, the password left to the environment.
  std::string url = tenant_db.url();
  url.replace(url.find(password), password.size(), "${FLEET_PASSWORD}");
  control.exec("CREATE TABLE tenants (url text); INSERT INTO tenants VALUES ('" + url + "');");
  RunResult urls = run_lockstep({"--database-url", control.url(), "--migrations", dir.path(), "--fleet-query",
                                 "SELECT url FROM tenants", "upgrade"},
                                {{"FLEET_PASSWORD", password}});
  INFO(urls.err);
  REQUIRE(urls.exit_code == 0);
  require_no_secret(urls);
  CHECK(tenant_db.scalar("SELECT version_num FROM lockstep_version") == "r2");
  CHECK(control.scalar("SELECT to_regclass('public.items') IS NULL") == "t");
}

TEST_CASE("fleet: three fleet runs at once migrate every tenant exactly once", "[fleet]")
{
  ScratchDatabase db;
  TempDir dir;
  TempDir work;
  write_migrations(dir);
  create_tenants(db, 30);
  std::vector<Process> runs;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> argv{LOCKSTEP_BINARY};
    for (const auto& a : with(schema_args(db, dir), {"--parallel", "3", "upgrade"})) {
      argv.push_back(a);
    }
    runs.emplace_back(argv, child_env({}), work.path());
  }
  for (auto& run : runs) {
    CHECK(run.wait() == 0);
  }
  for (const auto& [schema, value] :
       per_schema(db, 30, "SELECT string_agg(revision || ':' || n, ',' ORDER BY revision) FROM (SELECT revision, "
                          "count(*) n FROM $S.lockstep_history WHERE outcome = 'applied' GROUP BY 1) h")) {
    INFO(schema);
    CHECK(value == "r1:1,r2:1");
  }
}

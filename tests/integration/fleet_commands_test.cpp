// Every command across a fleet (README.md, "Fleets"): downgrade, stamp and
// validate on tenant schemas of the suite's PostgreSQL, what a fleet refuses
// (--sql, relative targets, repair, wait), and the resume: a re-run leaves
// targets at the goal on the lock-free read-only path, proved by holding
// every target's lock from outside while it runs.

#include "fleet_fixture.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>


using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;
using namespace lockstep::test::fleet;

namespace {

constexpr int kTenants = 20;

std::vector<std::string> all_tenants()
{
  std::vector<std::string> names;
  for (int i = 1; i <= kTenants; ++i) {
    names.push_back(tenant(i));
  }
  return names;
}

// Every tenant's version rows, side effects and history, as one string each.
std::map<std::string, std::string> state(const ScratchDatabase& db)
{
  return per_schema(db, kTenants,
                    "SELECT coalesce((SELECT string_agg(version_num, ',') FROM $S.lockstep_version), 'base') || '/' || "
                    "CASE WHEN to_regclass('$S.items') IS NULL THEN '-' ELSE (SELECT count(*) FROM $S.items)::text END "
                    "|| '/' || CASE WHEN to_regclass('$S.applied_log') IS NULL THEN '-' ELSE "
                    "(SELECT coalesce(string_agg(revision, ',' ORDER BY revision), '') FROM $S.applied_log) END");
}

bool all_are(const std::map<std::string, std::string>& values, const std::string& expected)
{
  for (const auto& [schema, value] : values) {
    if (value != expected) {
      UNSCOPED_INFO(schema << " is " << value << ", not " << expected);
      return false;
    }
  }
  return values.size() == static_cast<size_t>(kTenants);
}

} // namespace

TEST_CASE("fleet: downgrade, stamp and validate run on every target and resume on the fast path", "[fleet]")
{
  ScratchDatabase db;
  TempDir dir;
  write_migrations(dir);
  create_tenants(db, kTenants);
  const auto args = with(schema_args(db, dir), {"--parallel", "4", "--log-format", "json"});

  RunResult up = run_lockstep(with(args, {"upgrade"}));
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(all_are(state(db), "r2/1/r1,r2"));

  // downgrade to a revision: r2's downgrade ran in every tenant.
  RunResult down = run_lockstep(with(args, {"downgrade", "r1"}));
  INFO(down.err);
  REQUIRE(down.exit_code == 0);
  CHECK(count_result(down.out, "downgraded") == kTenants);
  CHECK(all_are(state(db), "r1/0/r1"));

  // A relative target would move every target again on a re-run: refused
  // before anything connects, nothing moves.
  RunResult relative = run_lockstep(with(args, {"downgrade", "-1"}));
  CHECK(relative.exit_code == 2);
  CHECK_THAT(relative.err, ContainsSubstring("'downgrade -1' moves each target relative to where it is"));
  CHECK(relative.out.empty());
  CHECK(all_are(state(db), "r1/0/r1"));

  // stamp: the version table moves, no migration SQL runs.
  RunResult stamp = run_lockstep(with(args, {"stamp", "r2"}));
  INFO(stamp.err);
  REQUIRE(stamp.exit_code == 0);
  CHECK(count_result(stamp.out, "stamped") == kTenants);
  CHECK(all_are(state(db), "r2/0/r1"));
  CHECK(all_are(per_schema(db, kTenants, "SELECT count(*) FROM $S.lockstep_history WHERE outcome = 'stamped'"), "1"));

  // Re-runs while every target's lock is held by another session: a target
  // at its goal never asks for the lock, so nothing waits (a lock_timeout of
  // 1s would fail any target that asked, with exit 4).
  {
    LockHolder held(db.url(), all_tenants());
    for (const auto& command : std::vector<std::vector<std::string>>{{"stamp", "r2"}, {"upgrade"}, {"downgrade", "r2"}}) {
      RunResult again = run_lockstep(with(with(args, {"--lock-timeout", "1s"}), command));
      INFO(command[0] << ": " << again.err);
      CHECK(again.exit_code == 0);
      CHECK(count_result(again.out, "up-to-date") == kTenants);
    }
    // The control: a target that has work to do does ask, and times out.
    RunResult blocked = run_lockstep(with(with(args, {"--lock-timeout", "1s"}), {"downgrade", "r1"}));
    CHECK(blocked.exit_code == 4);
    CHECK(count_result(blocked.out, "failed") == kTenants);
  }
  CHECK(all_are(per_schema(db, kTenants, "SELECT count(*) FROM $S.lockstep_history"), "4"));

  // validate: the files once, then every target's checksums and dirty flag.
  RunResult valid = run_lockstep(with(args, {"validate"}));
  INFO(valid.err);
  CHECK(valid.exit_code == 0);
  CHECK(count_result(valid.out, "valid") == kTenants);
  db.exec("INSERT INTO tenant_0007.lockstep_dirty (version_table, revision, direction, location, error, run_by) "
          "VALUES ('lockstep_version', 'r2', 'up', 'r2.sql:7', 'boom', 'test')");
  RunResult dirty = run_lockstep(with(args, {"validate"}));
  CHECK(dirty.exit_code == 6);
  CHECK(count_result(dirty.out, "valid") == kTenants - 1);
  CHECK_THAT(dirty.out, ContainsSubstring("{\"target\":\"tenant_0007\""));
  CHECK_THAT(dirty.out, ContainsSubstring("the database is dirty: revision r2"));
  db.exec("DELETE FROM tenant_0007.lockstep_dirty");
  std::string r1 = lockstep::test::read_text(dir.path() + "/r1.sql");
  r1.replace(r1.find("name text)"), 10, "name text, edited int)");  // the upgrade section changes
  dir.write("r1.sql", r1);
  RunResult checksums = run_lockstep(with(args, {"validate"}));
  CHECK(checksums.exit_code == 6);
  CHECK(count_result(checksums.out, "failed") == kTenants);
  CHECK_THAT(checksums.out, ContainsSubstring("applied revisions were edited after they ran"));
}

TEST_CASE("fleet: --sql, repair, wait and an unknown canary are refused with exit 2 before anything runs", "[fleet]")
{
  ScratchDatabase db;
  TempDir dir;
  write_migrations(dir);
  create_tenants(db, 3);
  const auto args = schema_args(db, dir);
  for (const auto& command : std::vector<std::vector<std::string>>{
         {"upgrade", "--sql"}, {"downgrade", "--sql", "r2:r1"}, {"repair"}, {"wait"}, {"upgrade", "+1"},
         {"upgrade", "r1:r2"}}) {
    RunResult r = run_lockstep(with(args, command));
    INFO(command[0] << " " << (command.size() > 1 ? command[1] : ""));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, ContainsSubstring(command[0] == "repair" || command[0] == "wait"
                                          ? "runs on one database at a time"
                                          : command[1] == "--sql" ? "--sql prints one database's SQL"
                                          : command[1] == "+1"    ? "moves each target relative"
                                                                  : "a 'from:to' range is only valid with --sql"));
  }
  // A named canary that is not in the fleet is a typo, not an empty stage.
  RunResult canary = run_lockstep(with(args, {"--canary", "tenant_0002,tenant_9999", "upgrade"}));
  CHECK(canary.exit_code == 2);
  CHECK_THAT(canary.err, ContainsSubstring("canary names target 'tenant_9999', which is not in the fleet (3 target(s))"));
  CHECK(per_schema(db, 3, "SELECT to_regclass('$S.lockstep_version') IS NULL") ==
        std::map<std::string, std::string>{{"tenant_0001", "true"}, {"tenant_0002", "true"}, {"tenant_0003", "true"}});
  // Without fleet settings --sql prints as always.
  RunResult sql = run_lockstep({"--migrations", dir.path(), "upgrade", "--sql"});
  CHECK(sql.exit_code == 0);
  CHECK_THAT(sql.out, ContainsSubstring("CREATE TABLE items"));
}

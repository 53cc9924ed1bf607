// One checked plan (migrator/plan_check): each rule on each path. Online
// upgrade/downgrade, --sql and validate must give a revision the same
// verdict: exit 2 naming file:line, and nothing run or printed.

#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using lockstep::test::write_revision_file;
using Catch::Matchers::ContainsSubstring;

namespace {

struct Rule {
  const char* name;
  const char* upgrade_sql;    // r2's sections
  const char* downgrade_sql;
  const char* header;         // "" or "Transactional: false"
  const char* message;        // what the refusal says
  int line;                   // where in r2.sql the refused statement is
};

// r2.sql: "-- Revision ID", "-- Revises", "-- Message", "", "-- +upgrade", then the upgrade SQL from line 6.
const Rule kUpgradeRules[] = {
  {"a statement that does not parse", "CREATE TABLE t2 (id int);\nCREATE TABLEE oops (id int);", "DROP TABLE t2;", "",
   "syntax error", 7},
  {"CREATE INDEX CONCURRENTLY in a transactional revision",
   "CREATE TABLE t2 (id int);\nCREATE INDEX CONCURRENTLY t2_id ON t2 (id);", "DROP TABLE t2;", "",
   "cannot run inside a transaction block", 7},
  {"COMMIT in a transactional revision", "CREATE TABLE t2 (id int);\nCOMMIT;", "DROP TABLE t2;", "",
   "ends lockstep's per-revision transaction", 7},
};

const Rule kDowngradeRules[] = {
  {"CREATE INDEX CONCURRENTLY in a transactional revision's downgrade", "CREATE TABLE t2 (id int);",
   "DROP TABLE t2;\nCREATE INDEX CONCURRENTLY t1_id ON t1 (id);", "", "cannot run inside a transaction block", 0},
  {"a downgrade that does not parse", "CREATE TABLE t2 (id int);", "DROP TABLEE t2;", "", "syntax error", 0},
};

struct Setup {
  ScratchDatabase db;
  TempDir dir;
  std::string r2;

  explicit Setup(const Rule& rule)
  {
    write_revision_file(dir.path(), "r1", {}, "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    std::vector<std::string> headers;
    if (*rule.header != '\0') {
      headers.push_back(rule.header);
    }
    r2 = write_revision_file(dir.path(), "r2", {"r1"}, rule.upgrade_sql, rule.downgrade_sql, headers);
  }

  RunResult online(std::vector<std::string> args)
  {
    args.insert(args.end(), {"--database-url", db.url(), "--migrations", dir.path()});
    return run_lockstep(args);
  }
  RunResult offline(std::vector<std::string> args)
  {
    args.insert(args.end(), {"--migrations", dir.path()});
    return run_lockstep(args);
  }
  // The folder as a bundle (which stores each statement's verdict instead
  // of parsing at plan time), and r2's name inside it.
  std::string bundle()
  {
    const std::string path = dir.path() + "/app.bundle";
    REQUIRE(offline({"bundle", path}).exit_code == 0);
    return path;
  }
  std::string r2_in(const std::string& bundle) const { return bundle + r2.substr(r2.rfind('/')); }
  RunResult from(const std::string& bundle, std::vector<std::string> args, bool online = false)
  {
    args.insert(args.end(), {"--migrations", bundle});
    if (online) {
      args.insert(args.end(), {"--database-url", db.url()});
    }
    return run_lockstep(args);
  }
  std::string tables()
  {
    return db.scalar("SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname = 'public' "
                     "AND tablename NOT LIKE 'lockstep\\_%'");
  }
};

void check_refused(const RunResult& r, const Rule& rule, const std::string& path)
{
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring(rule.message) && ContainsSubstring(path));
  CHECK_THAT(r.out, !ContainsSubstring("BEGIN;"));  // --sql printed nothing of the plan
}

} // namespace

TEST_CASE("an upgrade rule refuses the revision on every path: upgrade, upgrade --sql, validate", "[plan_check]")
{
  for (const Rule& rule : kUpgradeRules) {
    CAPTURE(rule.name);
    Setup s(rule);
    const std::string at = s.r2 + ":" + std::to_string(rule.line);

    RunResult up = s.online({"upgrade", "head"});
    check_refused(up, rule, at);
    CHECK(s.tables().empty());  // r1 did not run either: the whole plan is checked first

    check_refused(s.offline({"upgrade", "--sql", "head"}), rule, at);
    check_refused(s.offline({"validate"}), rule, at);
    check_refused(s.online({"validate"}), rule, at);

    // The same verdict, word for word, from a bundle of the folder.
    const std::string bundle = s.bundle();
    const std::string bundled_at = s.r2_in(bundle) + ":" + std::to_string(rule.line);
    const RunResult folder_sql = s.offline({"upgrade", "--sql", "head"});
    const RunResult bundle_sql = s.from(bundle, {"upgrade", "--sql", "head"});
    check_refused(bundle_sql, rule, bundled_at);
    CHECK(bundle_sql.err.substr(bundle_sql.err.find(bundled_at) + bundled_at.size()) ==
          folder_sql.err.substr(folder_sql.err.find(at) + at.size()));
    check_refused(s.from(bundle, {"validate"}), rule, bundled_at);
    check_refused(s.from(bundle, {"upgrade", "head"}, true), rule, bundled_at);
    CHECK(s.tables().empty());
  }
}

TEST_CASE("a downgrade rule refuses the revision on every path: downgrade, downgrade --sql, validate",
          "[plan_check]")
{
  for (const Rule& rule : kDowngradeRules) {
    CAPTURE(rule.name);
    Setup s(rule);
    // validate sees the downgrade section too, before anything is applied.
    check_refused(s.offline({"validate"}), rule, s.r2);
    // An upgrade never runs the downgrade section, so it goes ahead.
    CHECK(s.offline({"upgrade", "--sql", "head"}).exit_code == 0);
    REQUIRE(s.online({"upgrade", "head"}).exit_code == 0);
    check_refused(s.online({"downgrade", "base"}), rule, s.r2);
    CHECK(s.tables() == "t1,t2");  // nothing ran: r2's downgrade was refused before r1's
    check_refused(s.offline({"downgrade", "--sql", "head:base"}), rule, s.r2);
    const std::string bundle = s.bundle();
    check_refused(s.from(bundle, {"downgrade", "--sql", "head:base"}), rule, s.r2_in(bundle));
    check_refused(s.from(bundle, {"downgrade", "base"}, true), rule, s.r2_in(bundle));
    CHECK(s.tables() == "t1,t2");
  }
}

TEST_CASE("an irreversible revision: downgrade and downgrade --sql refuse it, validate accepts it", "[plan_check]")
{
  Rule rule{"irreversible", "CREATE TABLE t2 (id int);", "", "", "irreversible", 0};
  Setup s(rule);
  CHECK(s.offline({"validate"}).exit_code == 0);
  REQUIRE(s.online({"upgrade", "head"}).exit_code == 0);
  check_refused(s.online({"downgrade", "base"}), rule, s.r2);
  CHECK(s.tables() == "t1,t2");
  check_refused(s.offline({"downgrade", "--sql", "head:base"}), rule, s.r2);
}

TEST_CASE("Transactional: false lets CREATE INDEX CONCURRENTLY through on every path", "[plan_check]")
{
  Rule rule{"own transaction", "CREATE INDEX CONCURRENTLY t1_id ON t1 (id);", "DROP INDEX CONCURRENTLY t1_id;",
            "Transactional: false", "", 0};
  Setup s(rule);
  CHECK(s.offline({"validate"}).exit_code == 0);
  RunResult sql = s.offline({"upgrade", "--sql", "head"});
  CHECK(sql.exit_code == 0);
  CHECK_THAT(sql.out, ContainsSubstring("CREATE INDEX CONCURRENTLY t1_id"));
  CHECK(s.online({"upgrade", "head"}).exit_code == 0);
  CHECK(s.db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't1_id'") == "1");
  CHECK(s.online({"downgrade", "base"}).exit_code == 0);
}

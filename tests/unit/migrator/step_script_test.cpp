// migrator/step_script: a planned step as the batch the online path runs
// (statements split with their lines, the bookkeeping as SQL and as data)
// and the same text --sql prints verbatim; downgrades forget what upgrades
// record; a revision only the database remembers downgrades from its stored SQL.

#include "conformance/revisions.hpp"
#include "graph/planner.hpp"
#include "migrator/plan_check.hpp"
#include "migrator/step_script.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <vector>

using lockstep::migrator::Catalog;
using lockstep::test::make_revision;
using Catch::Matchers::ContainsSubstring;
using Strings = std::vector<std::string>;

namespace {

Catalog two(bool second_transactional = true)
{
  return Catalog({make_revision("a1", "", "-- the users\nCREATE TABLE users (id int);", "DROP TABLE users;"),
                  make_revision("b2", "a1", "CREATE INDEX CONCURRENTLY users_id ON users (id);",
                                "DROP INDEX CONCURRENTLY users_id;", second_transactional)});
}

// The steps from `from` (ids applied, with their ancestors) to `to`.
std::vector<lockstep::graph::Step> steps_between(const Catalog& files, const Strings& from, const Strings& to)
{
  const auto& graph = files.graph();
  auto closure = [&](const Strings& ids) {
    std::vector<int> nodes;
    for (const auto& id : ids) {
      nodes.push_back(*graph.find(id));
    }
    return ids.empty() ? graph.empty_set() : graph.ancestors(nodes);
  };
  return lockstep::graph::plan(graph, closure(from), closure(to));
}

} // namespace

TEST_CASE("a step's batch: split statements with their lines, the version-row change as data and as SQL",
          "[migrator][step_script]")
{
  const Catalog files = two(false);
  const auto& graph = files.graph();
  auto steps = lockstep::graph::plan(graph, graph.empty_set(), graph.ancestors({*graph.find("b2")}));
  REQUIRE(steps.size() == 2);
  auto batches = lockstep::migrator::check_plan(files, steps, {}, "dba");
  CHECK(batches[0].revision == "a1");
  REQUIRE(batches[0].statements.size() == 1);
  CHECK(batches[0].statements[0].line == 7);  // after the comment line
  CHECK(batches[0].rows_added == std::vector<std::string>{"a1"});
  CHECK(batches[1].rows_removed == std::vector<std::string>{"a1"});
  CHECK(batches[1].rows_added == std::vector<std::string>{"b2"});
  CHECK_FALSE(batches[1].transactional);
  CHECK_THAT(batches[1].bookkeeping, ContainsSubstring("UPDATE lockstep_version SET version_num='b2'") &&
                                       ContainsSubstring("lockstep_applied") && ContainsSubstring("lockstep_history"));
  CHECK(batches[1].direction == lockstep::db::Direction::up);
  CHECK(lockstep::migrator::verbatim_section(files.revision(steps[0].node), steps[0].direction) ==
        "-- the users\nCREATE TABLE users (id int);");
}

TEST_CASE("a downgrade's batch: the downgrade section, the row moved back, the revision forgotten",
          "[migrator][step_script]")
{
  const Catalog files = two(false);
  auto steps = steps_between(files, {"b2"}, {"a1"});
  REQUIRE(steps.size() == 1);
  lockstep::db::StepBatch batch = lockstep::migrator::build_step(files, steps[0], {}, "dba");
  CHECK(batch.revision == "b2");
  CHECK(batch.location == "b2.sql");
  REQUIRE(batch.statements.size() == 1);
  CHECK(batch.statements[0].sql == "DROP INDEX CONCURRENTLY users_id");
  CHECK(batch.statements[0].line == 10);
  CHECK(batch.rows_removed == Strings{"b2"});
  CHECK(batch.rows_added == Strings{"a1"});
  CHECK(batch.direction == lockstep::db::Direction::down);
  CHECK_THAT(batch.bookkeeping, ContainsSubstring("UPDATE lockstep_version SET version_num='a1'") &&
                                  ContainsSubstring("DELETE FROM lockstep_applied") &&
                                  ContainsSubstring("'reverted'"));
  CHECK(batch.bookkeeping.find("INSERT INTO lockstep_applied") == std::string::npos);
  CHECK(lockstep::migrator::describe_step(files, steps[0]) == "Running downgrade b2 -> a1, add b2");
}

TEST_CASE("the first upgrade inserts the version row, the last downgrade deletes it; the names' schema qualifies both",
          "[migrator][step_script]")
{
  const Catalog files = two(false);
  lockstep::db::TableNames names;
  names.schema = "ops";
  names.version_table = "app_version";
  auto up = steps_between(files, {}, {"a1"});
  REQUIRE(up.size() == 1);
  lockstep::db::StepBatch first = lockstep::migrator::build_step(files, up[0], names, "dba");
  CHECK(first.rows_removed.empty());
  CHECK(first.rows_added == Strings{"a1"});
  CHECK_THAT(first.bookkeeping, ContainsSubstring("INSERT INTO ops.app_version (version_num) VALUES ('a1')"));
  CHECK(lockstep::migrator::describe_step(files, up[0]) == "Running upgrade  -> a1, add a1");
  auto down = steps_between(files, {"a1"}, {});
  REQUIRE(down.size() == 1);
  lockstep::db::StepBatch last = lockstep::migrator::build_step(files, down[0], names, "dba");
  CHECK(last.rows_removed == Strings{"a1"});
  CHECK(last.rows_added.empty());
  CHECK_THAT(last.bookkeeping, ContainsSubstring("DELETE FROM ops.app_version WHERE version_num = 'a1'"));
}

TEST_CASE("a revision only the database remembers downgrades from its stored SQL and cannot be upgraded",
          "[migrator][step_script]")
{
  Catalog files({make_revision("a1", "", "CREATE TABLE users (id int);", "DROP TABLE users;")});
  lockstep::db::AppliedRecord stored;
  stored.revision = "z9";
  stored.parents = {"a1"};
  stored.downgrade_sql = "DROP TABLE later;";
  stored.message = "from a newer image";
  REQUIRE(files.add_database_only({stored}) == 1);
  auto down = steps_between(files, {"z9"}, {"a1"});
  REQUIRE(down.size() == 1);
  lockstep::db::StepBatch batch = lockstep::migrator::build_step(files, down[0], {}, "dba");
  CHECK(batch.location == "(stored in the database)");
  REQUIRE(batch.statements.size() == 1);
  CHECK(batch.statements[0].sql == "DROP TABLE later");
  CHECK(batch.statements[0].line == 1);

  auto up = steps_between(files, {"a1"}, {"z9"});
  REQUIRE(up.size() == 1);
  try {
    lockstep::migrator::build_step(files, up[0], {}, "dba");
    FAIL("expected an error");
  } catch (const lockstep::Error& e) {
    CHECK_THAT(e.what(), ContainsSubstring("z9 is only known from the database"));
  }
}

TEST_CASE("a syntax error in a split section names file:line (exit 2)", "[migrator][step_script]")
{
  Catalog files({make_revision("a1", "", "CREATE TABLE users (id int);\nCREATE TABLE oops (;", "DROP TABLE users;")});
  auto up = steps_between(files, {}, {"a1"});
  try {
    lockstep::migrator::build_step(files, up[0], {}, "dba");
    FAIL("expected Error(usage)");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == lockstep::ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("a1.sql:7"));
  }
}

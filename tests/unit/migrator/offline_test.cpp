// migrator/offline and migrator/step_script: the text --sql prints and the
// batches the online path runs, from the same steps.

#include "conformance/revisions.hpp"
#include "graph/planner.hpp"
#include "migrator/offline.hpp"
#include "migrator/plan_check.hpp"
#include "migrator/step_script.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <sstream>

using lockstep::migrator::Catalog;
using lockstep::test::make_revision;
using Catch::Matchers::ContainsSubstring;

namespace {

Catalog two(bool second_transactional = true)
{
  return Catalog({make_revision("a1", "", "-- the users\nCREATE TABLE users (id int);", "DROP TABLE users;"),
                  make_revision("b2", "a1", "CREATE INDEX CONCURRENTLY users_id ON users (id);",
                           "DROP INDEX CONCURRENTLY users_id;", second_transactional)});
}

std::string upgrade_sql(const Catalog& files, const std::string& range)
{
  std::ostringstream out;
  lockstep::migrator::offline_upgrade_sql(files, range, {}, "dba", out);
  return out.str();
}

} // namespace

TEST_CASE("offline: --sql prints the sections as written, each in its transaction, with the bookkeeping", "[migrator][offline]")
{
  const std::string sql = upgrade_sql(two(false), "base:heads");
  CHECK_THAT(sql, ContainsSubstring("-- lockstep upgrade base:heads (offline)") &&
                    ContainsSubstring("CREATE TABLE IF NOT EXISTS lockstep_version") &&
                    ContainsSubstring("-- Running upgrade  -> a1, add a1\nBEGIN;\n\n-- the users\nCREATE TABLE users (id int);") &&
                    ContainsSubstring("INSERT INTO lockstep_version (version_num) VALUES ('a1')"));
  // A non-transactional revision's statement stands alone; its bookkeeping gets a transaction.
  CHECK_THAT(sql, ContainsSubstring("-- Running upgrade a1 -> b2, add b2\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n\nBEGIN;"));
  CHECK(upgrade_sql(two(false), "heads:heads").find("-- nothing to do") != std::string::npos);
}

TEST_CASE("offline: --sql refuses what upgrade refuses, before printing anything", "[migrator][offline]")
{
  std::ostringstream out;
  try {
    lockstep::migrator::offline_upgrade_sql(two(true), "heads", {}, "dba", out);
    FAIL("a transactional CREATE INDEX CONCURRENTLY should have been refused");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == lockstep::ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("b2.sql:6") && ContainsSubstring("cannot run inside a transaction block"));
  }
  CHECK(out.str().empty());
  CHECK_THROWS_AS(lockstep::migrator::offline_downgrade_sql(two(false), "a1", {}, "dba", out), lockstep::Error);
}

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
  auto verbatim = lockstep::migrator::build_step(files, steps[0], {}, "dba", lockstep::migrator::Statements::verbatim);
  REQUIRE(verbatim.statements.size() == 1);
  CHECK(verbatim.statements[0].sql == "-- the users\nCREATE TABLE users (id int);");
}

// migrator/offline: the text --sql prints, from the steps and batches the
// online path runs (migrator/step_script, tested beside it).

#include "conformance/revisions.hpp"
#include "graph/planner.hpp"
#include "migrator/offline.hpp"
#include "migrator/plan_check.hpp"
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

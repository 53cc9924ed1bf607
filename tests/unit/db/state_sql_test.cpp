// db/state_sql: the SQL text of lockstep's own tables, as the online path
// runs it and --sql prints it.

#include "db/state_sql.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

using lockstep::db::TableNames;
using Catch::Matchers::ContainsSubstring;

namespace {

TableNames in_schema(const std::string& schema, const std::string& table = "lockstep_version")
{
  TableNames names;
  names.schema = schema;
  names.version_table = table;
  return names;
}

} // namespace

TEST_CASE("lockstep's tables are qualified by version_table_schema, quoted where they must be", "[db][state_sql]")
{
  CHECK(TableNames{}.version() == "lockstep_version");
  CHECK(in_schema("ops").version() == "ops.lockstep_version");
  CHECK(in_schema("ops").applied() == "ops.lockstep_applied");
  CHECK(in_schema("Ops", "alembic_version").version() == "\"Ops\".alembic_version");
  const std::string create = lockstep::db::create_tables_sql(in_schema("ops"));
  CHECK_THAT(create, ContainsSubstring("CREATE SCHEMA IF NOT EXISTS ops;") &&
                       ContainsSubstring("CREATE TABLE IF NOT EXISTS ops.lockstep_version") &&
                       ContainsSubstring("CREATE TABLE IF NOT EXISTS ops.lockstep_dirty"));
  CHECK_THAT(lockstep::db::create_tables_sql(TableNames{}), !ContainsSubstring("CREATE SCHEMA"));
}

TEST_CASE("version_change_sql: one replacement is one UPDATE, as Alembic writes it", "[db][state_sql]")
{
  const TableNames names;
  const std::string update = lockstep::db::version_change_sql(names, {"a1"}, {"b2"});
  CHECK(update == "UPDATE lockstep_version SET version_num='b2' WHERE version_num = 'a1';\n");
  CHECK_THAT(lockstep::db::version_change_sql(names, {}, {"a1"}),
             ContainsSubstring("INSERT INTO lockstep_version (version_num) VALUES ('a1')"));
  CHECK_THAT(lockstep::db::version_change_sql(names, {"a1"}, {}),
             ContainsSubstring("DELETE FROM lockstep_version WHERE version_num = 'a1'"));
  CHECK(lockstep::db::version_change_sql(names, {}, {}).empty());
}

TEST_CASE("values in lockstep's SQL are literals, however they are spelt", "[db][state_sql]")
{
  const TableNames names;
  const std::string dirty =
    lockstep::db::mark_dirty_sql(names, "r1", lockstep::db::Direction::up, "r1.sql:7", "relation \"x\" doesn't exist", "pod'); DROP TABLE x; --");
  CHECK_THAT(dirty, ContainsSubstring("'relation \"x\" doesn''t exist'") &&
                      ContainsSubstring("'pod''); DROP TABLE x; --'"));
  lockstep::db::AppliedRecord record{"r1", {"p1", "p2"}, {}, {"main"}, "it's a message", "abc", "DROP TABLE t;", false};
  const std::string applied = lockstep::db::record_applied_sql(names, record, "web-0");
  CHECK_THAT(applied, ContainsSubstring("'it''s a message'") && ContainsSubstring("'DROP TABLE t;'"));
}

TEST_CASE("the advisory-lock key is the same for the same table and differs for another", "[db][state_sql]")
{
  CHECK(lockstep::db::lock_key(TableNames{}) == lockstep::db::lock_key(TableNames{}));
  CHECK(lockstep::db::lock_key(TableNames{}) != lockstep::db::lock_key(in_schema("ops")));
  CHECK(lockstep::db::lock_key(TableNames{}) != lockstep::db::lock_key(in_schema("", "alembic_version")));
}

TEST_CASE("directions and outcomes are stored by name, and a stored direction reads back", "[db][state_sql]")
{
  using lockstep::db::Direction;
  using lockstep::db::Outcome;
  const std::string sql = lockstep::db::history_sql(TableNames{}, "r1", Direction::unstamp, "abc", "web-0",
                                                    Outcome::unstamped);
  CHECK_THAT(sql, ContainsSubstring("'r1', 'unstamp', 'abc'") && ContainsSubstring("'web-0', 'unstamped', NULL"));
  for (Direction d : {Direction::up, Direction::down, Direction::stamp, Direction::unstamp}) {
    CHECK(lockstep::db::direction_named(lockstep::db::to_string(d)) == d);
  }
  CHECK_THROWS_AS(lockstep::db::direction_named("sideways"), lockstep::Error);
}

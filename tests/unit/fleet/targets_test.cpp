// Fleet targets: the fleet file's grammar, ${VAR} expansion, ids, the shard
// assignment, and which exit code wins in a fleet's total.

#include "fleet/runner.hpp"
#include "fleet/targets.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <set>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

std::string usage_error(const std::string& text, const config::Environment& env = {})
{
  try {
    fleet::parse_fleet_file(text, "fleet.txt", config::Config{}, env);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  FAIL("no error");
  return "";
}

} // namespace

TEST_CASE("a fleet file: comments, blank lines, ids, ${VAR}, redacted displays", "[fleet]")
{
  config::Environment env{{"PW_A", "s3cret-a"}, {"HOST", "db-b"}};
  auto targets = fleet::parse_fleet_file("# tenants\n\n  postgresql://app:${PW_A}@db-a:5432/app  \n"
                                         "tenant-b postgresql+asyncpg://app@${HOST}/app\n",
                                         "fleet.txt", config::Config{}, env);
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].id == "db-a:5432/app");
  CHECK(targets[0].display == "postgresql://app@db-a:5432/app");
  CHECK_THAT(targets[0].connection.conninfo, ContainsSubstring("s3cret-a"));
  CHECK(targets[1].id == "tenant-b");
  CHECK(targets[1].display == "postgresql://app@db-b/app");
  CHECK(targets[1].config.database_url == "postgresql+asyncpg://app@db-b/app");
}

TEST_CASE("a bad fleet line is exit 2 naming file:line and never the URL", "[fleet]")
{
  CHECK_THAT(usage_error("\npostgresql://u:${MISSING}@h/db\n"), ContainsSubstring("fleet.txt:2: ${MISSING} is not set"));
  CHECK_THAT(usage_error("postgresql://u:${OPEN@h/db\n"), ContainsSubstring("fleet.txt:1: '${' without"));
  CHECK_THAT(usage_error("a b c\n"), ContainsSubstring("fleet.txt:1: expected a database URL"));
  std::string bad = usage_error("# x\nid postgresql://u:pw-secret@[::1/db\n");
  CHECK_THAT(bad, ContainsSubstring("fleet.txt:2:"));
  CHECK_THAT(bad, !ContainsSubstring("pw-secret"));
  CHECK_THAT(usage_error("postgresql://a@h/db\npostgresql://b@h/db\n"),
             ContainsSubstring("fleet.txt:2: target h/db is already named on line 1"));
}

TEST_CASE("tenant schemas: plain identifiers only, search_path and tables in the schema", "[fleet]")
{
  config::Config base;
  base.database_url = "postgresql://app:pw@h/db";
  base.fleet_schemas = "t%";
  auto targets = fleet::schema_targets({"t_1", "t_2"}, base);
  REQUIRE(targets.size() == 2);
  CHECK(targets[1].id == "t_2");
  CHECK(targets[1].config.version_table_schema == "t_2");
  CHECK_THAT(targets[1].connection.conninfo, ContainsSubstring("options='-c search_path=t_2,public'"));
  CHECK_THROWS_WITH(fleet::schema_targets({"T x"}, base), ContainsSubstring("schema 'T x' (from fleet_schemas) is not a plain"));
}

TEST_CASE("shards: stable, every id in exactly one, roughly even", "[fleet]")
{
  std::vector<int> sizes(4, 0);
  for (int i = 0; i < 1000; ++i) {
    std::string id = "tenant_" + std::to_string(i);
    int shard = fleet::shard_of(id, 4);
    REQUIRE(shard >= 0);
    REQUIRE(shard < 4);
    CHECK(fleet::shard_of(id, 4) == shard);
    ++sizes[shard];
  }
  for (int size : sizes) {
    CHECK(size > 180);
    CHECK(size < 320);
  }
  CHECK(fleet::shard_of("anything", 1) == 0);
}

TEST_CASE("the worst exit code across targets", "[fleet]")
{
  CHECK(fleet::worst_exit_code(0, 7) == 7);
  CHECK(fleet::worst_exit_code(7, 3) == 3);
  CHECK(fleet::worst_exit_code(3, 4) == 4);
  CHECK(fleet::worst_exit_code(4, 1) == 1);
  CHECK(fleet::worst_exit_code(1, 5) == 5);
  CHECK(fleet::worst_exit_code(5, 6) == 6);
  CHECK(fleet::worst_exit_code(6, 2) == 2);
  CHECK(fleet::worst_exit_code(2, 143) == 143);
  CHECK(fleet::worst_exit_code(143, 5) == 143);
}

TEST_CASE("fleet_query rows: all URLs or all schema names", "[fleet]")
{
  config::Config base;
  base.database_url = "postgresql://app:pw@h/db";
  config::Environment env{{"PW", "x"}};
  auto urls = fleet::query_targets({"postgresql://a:${PW}@h1/db", "host=h2 dbname=db user=a"}, base, env);
  REQUIRE(urls.size() == 2);
  CHECK(urls[0].id == "h1/db");
  CHECK(urls[1].id == "h2/db");
  auto schemas = fleet::query_targets({"t_1", "t_2"}, base, env);
  REQUIRE(schemas.size() == 2);
  CHECK(schemas[0].config.version_table_schema == "t_1");
  CHECK_THROWS_WITH(fleet::query_targets({"t_1", "postgresql://h/db"}, base, env),
                    ContainsSubstring("fleet_query row 2: the query returned both"));
  CHECK_THROWS_WITH(fleet::query_targets({"postgresql://h/db", "postgresql://a@h/db"}, base, env),
                    ContainsSubstring("fleet_query row 2: target h/db is already row 1"));
}

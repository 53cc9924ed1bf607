// migrator/schema_check on a fake dev server: the scratch databases are
// created, reached and dropped through db::Driver, on every way out. What
// PostgreSQL reads back from them is tests/integration (check, autogenerate)
// and tests/roundtrip.

#include "conformance/driver_cases.hpp"
#include "conformance/revisions.hpp"
#include "db/fake_driver.hpp"
#include "migrator/schema_check.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;
using lockstep::test::FakeDatabase;
using lockstep::test::FakeDriver;
using lockstep::test::make_revision;
using Strings = std::vector<std::string>;

namespace {

std::vector<script::Revision> two()
{
  return {make_revision("a", "", "CREATE TABLE t_a (id int);", "DROP TABLE t_a;"),
          make_revision("b", "a", "CREATE TABLE t_b (id int);", "DROP TABLE t_b;")};
}

config::Config check_config()
{
  config::Config c;
  c.run_by = "unit";
  c.version_table = "app_version";
  c.version_table_schema = "ops";  // the target's; a scratch database has only public
  return c;
}

migrator::DesiredState desired(const std::string& sql)
{
  return migrator::DesiredState{{migrator::DesiredStatement{sql, "schema.sql", 3}}, {}};
}

struct DevServer {
  std::shared_ptr<FakeDatabase> database = std::make_shared<FakeDatabase>();
  FakeDriver driver{database};

  // The two scratch databases' names, from the calls the server saw; both
  // must have been created and dropped, and none be left.
  Strings created_and_dropped()
  {
    Strings created;
    Strings dropped;
    for (const auto& call : database->calls_so_far()) {
      if (call.rfind("create_database ", 0) == 0) {
        created.push_back(call.substr(16));
      } else if (call.rfind("drop_database ", 0) == 0) {
        dropped.push_back(call.substr(14));
      }
    }
    REQUIRE(created.size() == 2);
    CHECK(dropped == created);
    CHECK(database->others.empty());
    return created;
  }
};

} // namespace

TEST_CASE("check replays the migrations into one scratch database, applies the schema to another, reads both, "
          "drops both",
          "[migrator][schema_check]")
{
  DevServer server;
  migrator::ReplayedAndDesired both =
    migrator::replay_and_load(check_config(), two(), desired("CREATE TABLE t (id int)"), server.driver);
  CHECK(both.replayed.tables.empty());  // the fake's model: empty
  const Strings names = server.created_and_dropped();
  CHECK(std::regex_match(names[0], std::regex("lockstep_dev_[0-9a-f]{12}_m")));
  CHECK(names[1] == names[0].substr(0, names[0].size() - 1) + "s");

  const std::shared_ptr<FakeDatabase> replayed = server.database->dropped.at(names[0]);
  const std::shared_ptr<FakeDatabase> wanted = server.database->dropped.at(names[1]);
  CHECK(replayed->state.rows == Strings{"b"});
  const Strings replay_calls = replayed->calls_so_far();
  CHECK(std::count(replay_calls.begin(), replay_calls.end(), "run_step a") == 1);
  CHECK(std::count(replay_calls.begin(), replay_calls.end(), "run_step b") == 1);
  CHECK(replay_calls.back() == "read_model");
  CHECK(wanted->calls_so_far() == Strings{"execute CREATE TABLE t (id int)", "read_model"});
}

TEST_CASE("a desired statement that fails is exit 2 naming its file:line, and the scratch databases still go",
          "[migrator][schema_check]")
{
  DevServer server;
  try {
    migrator::replay_and_load(check_config(), two(), desired(test::kFailingStatement), server.driver);
    FAIL("expected Error(usage)");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("schema.sql:3: the desired schema does not apply to an empty database: "
                                           "division by zero (SQLSTATE 22012)"));
  }
  server.created_and_dropped();
}

TEST_CASE("a migration that fails in the replay is exit 5, and the scratch databases still go",
          "[migrator][schema_check]")
{
  DevServer server;
  std::vector<script::Revision> files = two();
  files[1].upgrade_sql = std::string(test::kFailingStatement) + ";";
  try {
    migrator::replay_and_load(check_config(), files, desired("CREATE TABLE t (id int)"), server.driver);
    FAIL("expected Error(migration_failed)");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::migration_failed);
    CHECK_THAT(e.what(), ContainsSubstring("revision b failed"));
  }
  server.created_and_dropped();
}

// A fleet's rollout settings: the canary stage (a count or named targets),
// the failure budget (a count or a percentage, rounded up), the targets a
// fleet refuses because re-running them would not resume, and the
// connection pools that cap how many targets run at once.

#include "config/config.hpp"
#include "fleet/connections.hpp"
#include "fleet/rollout.hpp"
#include "fleet/targets.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

config::Config resolved(const std::map<std::string, std::string>& flags)
{
  config::Inputs in;
  in.default_config_file = "/nonexistent/lockstep.yaml";
  in.working_dir = "/nonexistent";
  for (const auto& [key, value] : flags) {
    in.flags[key] = value;
  }
  return config::resolve(in);
}

std::string usage_error(const std::map<std::string, std::string>& flags)
{
  try {
    resolved(flags);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  FAIL("no error");
  return "";
}

std::vector<fleet::Target> schemas(int count)
{
  config::Config base;
  base.database_url = "postgresql://app:pw@db-1:5432/app";
  std::vector<std::string> names;
  for (int i = 1; i <= count; ++i) {
    names.push_back("t_" + std::to_string(i));
  }
  return fleet::schema_targets(names, base);
}

std::vector<std::string> ids_in_order(const std::vector<fleet::Target>& targets, const fleet::RunOrder& run)
{
  std::vector<std::string> ids;
  for (size_t index : run.order) {
    ids.push_back(targets[index].id);
  }
  return ids;
}

} // namespace

TEST_CASE("canary: the first N, or named targets in the order named", "[fleet]")
{
  auto targets = schemas(5);
  config::Config count = resolved({{"canary", "2"}});
  fleet::RunOrder first_two = fleet::run_order(targets, count);
  CHECK(first_two.canary == 2);
  CHECK(ids_in_order(targets, first_two) == std::vector<std::string>{"t_1", "t_2", "t_3", "t_4", "t_5"});

  config::Config named = resolved({{"canary", " t_4, t_2 "}});
  CHECK(named.canary_ids == std::vector<std::string>{"t_4", "t_2"});
  fleet::RunOrder by_name = fleet::run_order(targets, named);
  CHECK(by_name.canary == 2);
  CHECK(ids_in_order(targets, by_name) == std::vector<std::string>{"t_4", "t_2", "t_1", "t_3", "t_5"});

  // A named canary in another shard is simply not in this one's stage.
  targets.erase(targets.begin() + 3);
  fleet::RunOrder other_shard = fleet::run_order(targets, named);
  CHECK(other_shard.canary == 1);
  CHECK(ids_in_order(targets, other_shard) == std::vector<std::string>{"t_2", "t_1", "t_3", "t_5"});

  CHECK(fleet::run_order(targets, resolved({{"canary", "9"}})).canary == targets.size());
  CHECK(fleet::run_order(targets, resolved({})).canary == 0);
  CHECK_THAT(usage_error({{"canary", "a, b, a"}}), ContainsSubstring("invalid canary 'a, b, a' from --canary: target 'a' is named twice"));
}

TEST_CASE("failure budget: a count, or a percentage of the shard rounded up, never below 1", "[fleet]")
{
  CHECK(fleet::failure_budget(resolved({}), 100) == std::nullopt);
  CHECK(fleet::failure_budget(resolved({{"max_failures", "3"}}), 100) == 3);
  config::Config five = resolved({{"max_failures", "5%"}});
  CHECK(five.max_failures_percent == 5.0);
  CHECK(fleet::failure_budget(five, 200) == 10);
  CHECK(fleet::failure_budget(five, 40) == 2);   // exactly 2: no rounding up of 2.0000001
  CHECK(fleet::failure_budget(five, 41) == 3);   // 2.05 -> 3
  CHECK(fleet::failure_budget(five, 10) == 1);   // 0.5 -> 1
  CHECK(fleet::failure_budget(five, 0) == 1);
  CHECK(fleet::failure_budget(resolved({{"max_failures", "2.5%"}}), 1000) == 25);
  CHECK(fleet::failure_budget(resolved({{"max_failures", "100%"}}), 7) == 7);
  for (const char* bad : {"0", "0%", "101%", "-1%", "5 %x", "%", "1.2.3%", "x"}) {
    INFO(bad);
    CHECK_THAT(usage_error({{"max_failures", bad}}), ContainsSubstring("invalid max_failures"));
  }
}

TEST_CASE("relative revision targets cannot resume across a fleet", "[fleet]")
{
  for (const char* relative : {"-1", "+2", "ae10+1", "abc-2", "feature@-1", "feature@+3"}) {
    INFO(relative);
    CHECK(fleet::relative_target(relative));
  }
  for (const char* absolute : {"", "heads", "head", "base", "ae1021", "feature@head", "my-branch", "@files", "2"}) {
    INFO(absolute);
    CHECK_FALSE(fleet::relative_target(absolute));
  }
}

TEST_CASE("connection pools: server, role and database caps bound the targets at once", "[fleet]")
{
  auto targets = schemas(10);  // one server, one role, one database
  CHECK(fleet::pools_of(targets[0]) ==
        std::vector<std::string>{"db-1:5432", "db-1:5432 role app", "db-1:5432 database app"});
  CHECK(fleet::Slots(targets, {}, 8).effective_parallel() == 8);
  CHECK(fleet::Slots(targets, {{"db-1:5432", 3}}, 8).effective_parallel() == 3);
  CHECK(fleet::Slots(targets, {{"db-1:5432 role app", 2}}, 8).effective_parallel() == 2);
  CHECK(fleet::Slots(targets, {{"db-1:5432 database app", 1}}, 8).effective_parallel() == 1);
  CHECK(fleet::Slots(schemas(2), {}, 8).effective_parallel() == 2);

  // Two servers: each capped on its own; the total is their sum.
  config::Config base;
  auto fleet_file = fleet::parse_fleet_file("postgresql://a@s1/d1\npostgresql://a@s1/d2\npostgresql://b@s2/d1\n"
                                            "postgresql://b@s2/d2\npostgresql://b@s2/d3\n",
                                            "fleet.txt", base, {});
  fleet::Slots slots(fleet_file, {{"s1", 1}, {"s2 role b", 2}}, 8);
  CHECK(slots.effective_parallel() == 3);
  REQUIRE(slots.acquire(0));
  REQUIRE(slots.acquire(2));
  REQUIRE(slots.acquire(3));
  slots.release(0);
  REQUIRE(slots.acquire(1));  // s1's one slot is free again
}

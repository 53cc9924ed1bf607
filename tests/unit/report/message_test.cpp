// The termination message: one line of valid JSON, never over 4 KiB.

#include "report/summary.hpp"

#include <catch2/catch_test_macros.hpp>
#include <cpprest/json.h>

#include <algorithm>

using namespace lockstep::report;

namespace {

RunSummary failed_summary()
{
  RunSummary s;
  s.status = "failed";
  s.exit_code = 5;
  s.command = "upgrade heads";
  s.from = {"a"};
  s.to = {"b"};
  s.applied = {"b"};
  s.duration_ms = 42;
  s.run_id = "r1";
  s.failed_revision = "c";
  s.sqlstate = "42P01";
  s.error = "relation \"missing\" does not exist\nsecond line\ttab \x01";
  return s;
}

} // namespace

TEST_CASE("the termination message is one line of JSON with the outcome", "[report]")
{
  RunSummary s = failed_summary();
  std::string line = termination_message(s);
  CHECK(line.find('\n') == std::string::npos);
  auto json = web::json::value::parse(line);
  CHECK(json.at("status").as_string() == "failed");
  CHECK(json.at("exit_code").as_integer() == 5);
  CHECK(json.at("command").as_string() == "upgrade heads");
  CHECK(json.at("from").as_array().at(0).as_string() == "a");
  CHECK(json.at("to").as_array().at(0).as_string() == "b");
  CHECK(json.at("applied").as_array().size() == 1);
  CHECK(json.at("revision").as_string() == "c");
  CHECK(json.at("sqlstate").as_string() == "42P01");
  CHECK(json.at("error").as_string() == s.error);  // control characters escaped, not lost
  CHECK(json.at("duration_ms").as_integer() == 42);
  CHECK(json.at("run_id").as_string() == "r1");
}

TEST_CASE("a successful run's message has no failure fields", "[report]")
{
  RunSummary s;
  s.status = "succeeded";
  s.command = "upgrade heads";
  s.to = {"x", "y"};
  s.nothing_to_do = true;
  auto json = web::json::value::parse(termination_message(s));
  CHECK(json.at("exit_code").as_integer() == 0);
  CHECK(json.at("to").as_array().size() == 2);
  CHECK(json.at("applied").as_array().size() == 0);
  CHECK(json.at("nothing_to_do").as_bool());
  for (const char* key : {"revision", "sqlstate", "error", "applied_count"}) {
    INFO(key);
    CHECK_FALSE(json.has_field(key));
  }
}

TEST_CASE("the error starts at 1 KiB even when there is room", "[report]")
{
  RunSummary s = failed_summary();
  s.error = std::string(3000, 'e');
  auto json = web::json::value::parse(termination_message(s));
  CHECK(json.at("error").as_string().size() <= kTerminationErrorLimit);
  CHECK(json.at("error").as_string().substr(json.at("error").as_string().size() - 3) == "...");
}

TEST_CASE("the termination message never exceeds 4 KiB and stays valid JSON", "[report]")
{
  struct Row {
    size_t error_bytes;
    size_t applied;
    size_t heads;
    size_t command_bytes;
  };
  const Row rows[] = {
    {100'000, 0, 1, 13},  {0, 5'000, 1, 13},      {50'000, 5'000, 1, 13}, {3'000, 200, 1, 13},
    {10, 10, 1, 13},      {2'000, 5'000, 300, 13}, {0, 0, 2'000, 13},     {100'000, 100'000, 2'000, 100'000},
  };
  for (const auto& row : rows) {
    RunSummary s;
    s.status = "failed";
    s.exit_code = 5;
    s.command = std::string(row.command_bytes, '"');  // every byte doubles when escaped
    s.failed_revision = "rev42";
    s.sqlstate = "23505";
    // Quotes, control characters and multi-byte characters make escaping
    // and cutting harder.
    for (size_t i = 0; s.error.size() < row.error_bytes; ++i) {
      s.error += i % 4 == 0 ? "\"" : i % 4 == 1 ? "\xc3\xa9" : i % 4 == 2 ? "\x02" : "x";
    }
    for (size_t i = 0; i < row.applied; ++i) {
      s.applied.push_back("rev" + std::to_string(i) + "abcdef123456");
    }
    for (size_t i = 0; i < row.heads; ++i) {
      s.to.push_back("head" + std::to_string(i) + "abcdef123456");
      s.from.push_back("from" + std::to_string(i) + "abcdef123456");
    }
    std::string line = termination_message(s);
    INFO(row.error_bytes << " bytes of error, " << row.applied << " applied, " << row.heads << " heads");
    CHECK(line.size() <= kTerminationMessageLimit);
    CHECK(line.find('\n') == std::string::npos);
    web::json::value json;
    REQUIRE_NOTHROW(json = web::json::value::parse(line));
    CHECK(json.at("exit_code").as_integer() == 5);
    CHECK(json.at("status").as_string() == "failed");
    CHECK(json.at("revision").as_string() == "rev42");
    CHECK(json.at("sqlstate").as_string() == "23505");
    if (json.at("applied").as_array().size() < row.applied) {
      CHECK(json.at("applied_count").as_integer() == static_cast<int>(row.applied));
    }
    if (json.at("to").as_array().size() < row.heads) {
      CHECK(json.at("to_count").as_integer() == static_cast<int>(row.heads));
    }
    // The error is shortened, not dropped, while there is room for it.
    if (row.error_bytes > 0 && row.command_bytes < 100) {
      CHECK(json.at("error").as_string().size() >= std::min<size_t>(row.error_bytes, 100));
    }
  }
}

TEST_CASE("a long applied list gives way before the error", "[report]")
{
  RunSummary s = failed_summary();
  s.error = std::string(100'000, 'e');
  s.applied.clear();
  for (int i = 0; i < 5'000; ++i) {
    s.applied.push_back("rev" + std::to_string(i));
  }
  auto json = web::json::value::parse(termination_message(s));
  CHECK(json.at("error").as_string().size() == kTerminationErrorLimit);  // the full first KiB
  CHECK(json.at("applied").as_array().size() > 10);
  CHECK(json.at("applied").as_array().at(0).as_string() == "rev0");
  CHECK(json.at("applied_count").as_integer() == 5'000);
}

TEST_CASE("shorten cuts on UTF-8 boundaries", "[report]")
{
  CHECK(shorten("abcdef", 10) == "abcdef");
  CHECK(shorten("abcdef", 6) == "abcdef");
  CHECK(shorten("abcdef", 5) == "ab...");
  CHECK(shorten("abcdef", 2) == "");
  CHECK(shorten("a\xc3\xa9\xc3\xa9\xc3\xa9", 5) == "a...");  // would split the first é
}

TEST_CASE("invalid UTF-8 becomes U+FFFD, valid text is untouched", "[report]")
{
  const std::pair<std::string, std::string> rows[] = {
    {"plain", "plain"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"latin1 caf\xe9", "latin1 caf\xef\xbf\xbd"},
    {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd"},
    {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
  };
  for (const auto& [in, out] : rows) {
    INFO(in);
    CHECK(valid_utf8(in) == out);
  }
  RunSummary s = failed_summary();
  s.error = "bad byte \xff here";
  auto json = web::json::value::parse(termination_message(s));
  CHECK(json.at("error").as_string() == "bad byte \xef\xbf\xbd here");
}

TEST_CASE("a fleet's totals fit: thousands of failures keep their count and the first entries", "[report]")
{
  RunSummary s = failed_summary();
  FleetTotals totals;
  totals.targets = 5000;
  totals.failed = 3000;
  totals.succeeded = 2000;
  for (int i = 0; i < 3000; ++i) {
    totals.failures.push_back("tenant_" + std::to_string(i) + ": exit 5: " + std::string(400, 'x'));
  }
  s.fleet = totals;
  std::string line = termination_message(s);
  REQUIRE(line.size() <= kTerminationMessageLimit);
  auto json = web::json::value::parse(line);
  auto fleet = json.at("fleet");
  CHECK(fleet.at("targets").as_integer() == 5000);
  CHECK(fleet.at("failed").as_integer() == 3000);
  CHECK(fleet.at("failures_count").as_integer() == 3000);
  REQUIRE(fleet.at("failures").size() >= 1);
  CHECK(fleet.at("failures").at(0).as_string().rfind("tenant_0: exit 5: xxx", 0) == 0);
  CHECK(fleet.at("failures").at(0).as_string().size() <= 256);
}

// The termination message and annotation keys.

#include "report/reporter.hpp"
#include "report/summary.hpp"

#include <catch2/catch_test_macros.hpp>
#include <cpprest/json.h>

using namespace lockstep::report;

TEST_CASE("the termination message is one line of JSON with the outcome", "[report]")
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
  s.error = "relation \"missing\" does not exist\nsecond line";
  std::string line = termination_message(s);
  CHECK(line.find('\n') == std::string::npos);
  auto json = web::json::value::parse(line);
  CHECK(json.at("status").as_string() == "failed");
  CHECK(json.at("exit_code").as_integer() == 5);
  CHECK(json.at("revision").as_string() == "c");
  CHECK(json.at("sqlstate").as_string() == "42P01");
  CHECK(json.at("error").as_string() == s.error);
  CHECK(json.at("duration_ms").as_integer() == 42);
}

TEST_CASE("the termination message never exceeds 4 KiB and stays valid JSON", "[report]")
{
  struct Row {
    size_t error_bytes;
    size_t applied;
  };
  const Row rows[] = {{100'000, 0}, {0, 5'000}, {50'000, 5'000}, {3'000, 200}, {10, 10}};
  for (const auto& row : rows) {
    RunSummary s;
    s.status = "failed";
    s.exit_code = 5;
    s.command = "upgrade heads";
    // Quotes and multi-byte characters make escaping and cutting harder.
    for (size_t i = 0; s.error.size() < row.error_bytes; ++i) {
      s.error += i % 3 == 0 ? "\"" : i % 3 == 1 ? "\xc3\xa9" : "x";
    }
    for (size_t i = 0; i < row.applied; ++i) {
      s.applied.push_back("rev" + std::to_string(i) + "abcdef123456");
    }
    std::string line = termination_message(s);
    INFO(row.error_bytes << " bytes of error, " << row.applied << " applied");
    CHECK(line.size() <= kTerminationMessageLimit);
    auto json = web::json::value::parse(line);  // throws on invalid JSON
    CHECK(json.at("exit_code").as_integer() == 5);
    if (row.applied > 0 && json.at("applied").as_array().size() < row.applied) {
      CHECK(json.at("applied_count").as_integer() == static_cast<int>(row.applied));
    }
  }
}

TEST_CASE("shorten cuts on UTF-8 boundaries", "[report]")
{
  CHECK(shorten("abcdef", 10) == "abcdef");
  CHECK(shorten("abcdef", 5) == "ab...");
  CHECK(shorten("a\xc3\xa9\xc3\xa9\xc3\xa9", 5) == "a...");  // would split the first é
}

TEST_CASE("annotation keys follow Kubernetes' qualified-name rules", "[report]")
{
  const std::pair<const char*, bool> rows[] = {
    {"lockstep.dev/status", true},
    {"lockstep.dev/finished-at", true},
    {"example.com/a_b.c", true},
    {"status", true},
    {"Lockstep.dev/status", false},  // prefix must be lower case
    {"lockstep.dev/", false},
    {"lockstep..dev/status", false},
    {"lockstep.dev/-status", false},
    {"lockstep.dev/status-", false},
    {"lockstep.dev/sta tus", false},
    {"lockstep.dev/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},  // 64 characters
  };
  for (const auto& [key, valid] : rows) {
    INFO(key);
    CHECK(valid_annotation_key(key) == valid);
  }
}

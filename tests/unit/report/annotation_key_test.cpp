// Annotation keys: Kubernetes' qualified-name rules, and a prefix that
// cannot make valid keys is a configuration error.

#include "report/reporter.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>

using namespace lockstep::report;

TEST_CASE("annotation keys follow Kubernetes' qualified-name rules", "[report]")
{
  const std::string l63(63, 'a');
  const std::pair<std::string, bool> rows[] = {
    {"lockstep.dev/status", true},
    {"lockstep.dev/finished-at", true},
    {"lockstep.dev/run-id", true},
    {"example.com/a_b.c", true},
    {"example.com/A.b", true},  // the name part may be upper case
    {"status", true},
    {"a/b", true},
    {"my-org.example.com/x", true},
    {"lockstep.dev/" + l63, true},
    {l63 + "." + l63 + "/x", true},
    {"Lockstep.dev/status", false},  // the prefix must be lower case
    {"lockstep.dev/", false},
    {"/status", false},
    {"lockstep..dev/status", false},
    {".lockstep.dev/status", false},
    {"lockstep.dev./status", false},
    {"-lockstep.dev/status", false},
    {"lockstep_dev/status", false},
    {"lockstep.dev/-status", false},
    {"lockstep.dev/status-", false},
    {"lockstep.dev/_status", false},
    {"lockstep.dev/sta tus", false},
    {"lockstep.dev/a/b", false},
    {"lockstep.dev/" + l63 + "a", false},             // 64 characters
    {l63 + "a.dev/x", false},                          // a 64-character label
    {l63 + "." + l63 + "." + l63 + "." + l63 + "/x", false},  // prefix over 253
    {"", false},
  };
  for (const auto& [key, valid] : rows) {
    INFO(key);
    CHECK(valid_annotation_key(key) == valid);
  }
}

TEST_CASE("a prefix that cannot make annotation keys is a usage error", "[report]")
{
  for (const char* prefix : {"Lockstep.dev", "lockstep dev", "lockstep.dev/", "-x.dev"}) {
    INFO(prefix);
    Settings settings;
    settings.annotate = Settings::Annotate::best_effort;
    settings.annotation_prefix = prefix;
    try {
      Reporter reporter(settings, {});
      FAIL("accepted");
    } catch (const lockstep::Error& e) {
      CHECK(e.code() == lockstep::ExitCode::usage);
    }
  }
  Settings off;  // with annotations off the prefix is not used
  off.annotation_prefix = "Not Valid";
  CHECK_NOTHROW(Reporter(off, {}));
}

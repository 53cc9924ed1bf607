// What the Reporter does without a cluster (no network in these tests): the
// termination message always, best-effort carrying on, required failing
// before anything migrates.

#include "report/reporter.hpp"
#include "util/error.hpp"

#include "kube/account_dir.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cpprest/json.h>

#include <filesystem>
#include <fstream>

using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;
using namespace lockstep;
using lockstep::test::AccountDir;

namespace {

std::string read(const fs::path& path)
{
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("without a cluster: best-effort carries on, required fails before migrating", "[report]")
{
  AccountDir sa;
  auto env = sa.env();
  env.erase("POD_NAME");
  const fs::path message = sa.path / "termination-log";

  report::Settings best;
  best.annotate = report::Settings::Annotate::best_effort;
  best.events = true;
  best.termination_log = message.string();
  report::Reporter quiet(best, env);
  CHECK_NOTHROW(quiet.started("upgrade heads"));
  report::RunSummary failed;
  failed.status = "failed";
  failed.exit_code = 5;
  failed.command = "upgrade heads";
  CHECK(quiet.finished(failed) == 5);
  auto json = web::json::value::parse(read(message));
  CHECK(json.at("exit_code").as_integer() == 5);
  CHECK(json.at("run_id").as_string() == quiet.run_id());
  CHECK(quiet.run_id().size() == 16);

  report::Settings required = best;
  required.annotate = report::Settings::Annotate::required;
  report::Reporter strict(required, env);
  try {
    strict.started("upgrade heads");
    FAIL("started() did not throw");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::internal);
    CHECK_THAT(e.what(), ContainsSubstring("POD_NAME"));
    CHECK_THAT(e.what(), ContainsSubstring("nothing was run"));
  }
  report::RunSummary ok;
  ok.status = "succeeded";
  ok.command = "upgrade heads";
  CHECK(strict.finished(ok) == 1);
  json = web::json::value::parse(read(message));
  CHECK(json.at("exit_code").as_integer() == 1);
  CHECK(json.at("status").as_string() == "failed");
  CHECK_THAT(json.at("error").as_string(), ContainsSubstring("reporting to Kubernetes failed"));
}

TEST_CASE("runs not announced with started() write only the termination message", "[report]")
{
  AccountDir sa;
  auto env = sa.env();
  env.erase("POD_NAMESPACE");  // would fail required reporting, if it were tried
  report::Settings required;
  required.annotate = report::Settings::Annotate::required;
  required.events = true;
  required.termination_log = (sa.path / "termination-log").string();
  report::Reporter reporter(required, env);
  report::RunSummary ok;
  ok.status = "succeeded";
  ok.command = "current";
  CHECK(reporter.finished(ok) == 0);
  CHECK(web::json::value::parse(read(sa.path / "termination-log")).at("command").as_string() == "current");
}

TEST_CASE("an unwritable termination log is not fatal", "[report]")
{
  report::Settings settings;
  settings.termination_log = "/nonexistent-folder/termination-log";
  report::Reporter reporter(settings, {});
  report::RunSummary s;
  s.status = "failed";
  s.exit_code = 3;
  CHECK(reporter.finished(s) == 3);
}

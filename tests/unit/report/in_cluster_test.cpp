// In-cluster configuration from the environment, time formats, and what
// the Reporter does without a cluster (no network in these tests).

#include "kube/client.hpp"
#include "report/reporter.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cpprest/json.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;
using namespace lockstep;

namespace {

// A service-account folder with a token and a ca.crt, removed at the end.
struct AccountDir {
  fs::path path;
  AccountDir()
  {
    std::string pattern = (fs::temp_directory_path() / "lockstep-sa-XXXXXX").string();
    path = mkdtemp(pattern.data());
    std::ofstream(path / "token") << "t0k3n\n";
    std::ofstream(path / "ca.crt") << "not read here\n";
  }
  ~AccountDir() { fs::remove_all(path); }

  std::map<std::string, std::string> env() const
  {
    return {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
            {"KUBERNETES_SERVICE_PORT", "443"},
            {"POD_NAME", "web-0"},
            {"POD_NAMESPACE", "shop"},
            {"LOCKSTEP_SERVICEACCOUNT_DIR", path.string()}};
  }
};

std::string read(const fs::path& path)
{
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("in-cluster configuration: server address, files and pod from the environment", "[report]")
{
  AccountDir sa;
  struct Row {
    std::string host;
    std::string port;
    std::string server;
  };
  const Row rows[] = {
    {"10.96.0.1", "443", "https://10.96.0.1:443"},
    // cpprest cannot connect to a bracketed IPv6 literal: the service name.
    {"fd00:10:96::1", "443", "https://kubernetes.default.svc:443"},
    {"[fd00::1]", "6443", "https://kubernetes.default.svc:6443"},
    {"kubernetes.default.svc", "443", "https://kubernetes.default.svc:443"},
  };
  for (const auto& row : rows) {
    auto env = sa.env();
    env["KUBERNETES_SERVICE_HOST"] = row.host;
    env["KUBERNETES_SERVICE_PORT"] = row.port;
    std::string why;
    auto config = kube::in_cluster_config(env, why);
    INFO(row.host << " " << why);
    REQUIRE(config);
    CHECK(config->server == row.server);
    CHECK(config->token_path == (sa.path / "token").string());
    CHECK(config->ca_path == (sa.path / "ca.crt").string());
    CHECK(config->pod == "web-0");
    CHECK(config->ns == "shop");
    CHECK(config->uid.empty());
  }
}

TEST_CASE("in-cluster configuration names everything that is missing", "[report]")
{
  AccountDir sa;
  struct Row {
    std::string drop;      // a variable to remove, or a file to delete
    std::string expected;  // in why_not
  };
  const Row rows[] = {
    {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_HOST"},
    {"KUBERNETES_SERVICE_PORT", "KUBERNETES_SERVICE_PORT"},
    {"POD_NAME", "POD_NAME"},
    {"POD_NAMESPACE", "POD_NAMESPACE"},
    {"token", "/token"},
    {"ca.crt", "/ca.crt"},
  };
  for (const auto& row : rows) {
    AccountDir fresh;
    auto env = fresh.env();
    if (env.erase(row.drop) == 0) {
      fs::remove(fresh.path / row.drop);
    }
    std::string why;
    INFO(row.drop);
    CHECK_FALSE(kube::in_cluster_config(env, why));
    CHECK_THAT(why, ContainsSubstring(row.expected));
  }
  auto env = sa.env();
  env["KUBERNETES_SERVICE_PORT"] = "https";
  std::string why;
  CHECK_FALSE(kube::in_cluster_config(env, why));
  CHECK_THAT(why, ContainsSubstring("numeric"));
}

TEST_CASE("the default service-account folder is the one Kubernetes mounts", "[report]")
{
  AccountDir sa;
  auto env = sa.env();
  env.erase("LOCKSTEP_SERVICEACCOUNT_DIR");
  std::string why;
  auto config = kube::in_cluster_config(env, why);
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  if (config) {
    CHECK(config->token_path == dir + "/token");
  } else {
    CHECK_THAT(why, ContainsSubstring(dir + "/token"));
  }
}

TEST_CASE("MicroTime has exactly six fractional digits; finished-at is RFC 3339", "[report]")
{
  using namespace std::chrono;
  // 2026-11-24T12:00:00Z
  const system_clock::time_point noon{seconds(1795521600)};
  CHECK(kube::micro_time(noon) == "2026-11-24T12:00:00.000000Z");
  CHECK(kube::micro_time(noon + microseconds(123)) == "2026-11-24T12:00:00.000123Z");
  CHECK(kube::micro_time(noon + microseconds(123456)) == "2026-11-24T12:00:00.123456Z");
  CHECK(kube::micro_time(noon + nanoseconds(999'999'999)) == "2026-11-24T12:00:00.999999Z");
  CHECK(kube::rfc3339(noon + milliseconds(1500)) == "2026-11-24T12:00:01Z");
  CHECK(kube::micro_time_now().size() == 27);
  CHECK(kube::rfc3339_now().size() == 20);
}

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

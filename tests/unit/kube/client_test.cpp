// kube/client's pure parts: in-cluster configuration from the environment
// and the service-account folder, and Kubernetes' time formats (no network
// here; tests/integration/kube_* talk to a local API server).

#include "kube/client.hpp"

#include "kube/account_dir.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <filesystem>

using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;
using namespace lockstep;
using lockstep::test::AccountDir;

TEST_CASE("in-cluster configuration: server address, files and pod from the environment", "[kube]")
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

TEST_CASE("in-cluster configuration names everything that is missing", "[kube]")
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

TEST_CASE("the default service-account folder is the one Kubernetes mounts", "[kube]")
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

TEST_CASE("MicroTime has exactly six fractional digits; finished-at is RFC 3339", "[kube]")
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

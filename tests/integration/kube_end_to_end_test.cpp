// Reporting to Kubernetes, end to end: the real binary, a real PostgreSQL,
// and a local HTTPS API server that checks requests as a real one would.

#include "support/fake_cluster.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cpprest/json.h>

#include <chrono>
#include <regex>

using lockstep::test::ReceivedRequest;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

using Clock = std::chrono::steady_clock;

// The pod web-5d8f7-x2x9q in namespace "shop", its database and one migration.
struct Cluster : lockstep::test::FakeCluster {
  TempDir migrations;
  ScratchDatabase db;

  Cluster() : FakeCluster("token-one", "web-5d8f7-x2x9q", "shop")
  {
    migrations.write("1.sql", "-- Revision ID: one\n-- Revises:\n\n-- +upgrade\nCREATE TABLE t_one (id int);\n\n"
                              "-- +downgrade\nDROP TABLE t_one;\n");
  }

  // The reporting budget is short by default so that a test of an API
  // server that is down ends soon; a test that expects retries to succeed
  // passes a generous one, since a loaded machine may need seconds a try.
  std::map<std::string, std::string> env(const std::string& mode, int port = 0, const std::string& budget = "2s")
  {
    return pod_env({mode, budget, migrations.path() + "/termination-log", port});
  }

  RunResult run(const std::string& mode, std::vector<std::string> args = {"upgrade"}, int port = 0)
  {
    std::vector<std::string> full{"--database-url", db.url(), "--migrations", migrations.path()};
    full.insert(full.end(), args.begin(), args.end());
    return run_lockstep(full, env(mode, port));
  }

  web::json::value termination_message()
  {
    return web::json::value::parse(lockstep::test::read_text(migrations.path() + "/termination-log"));
  }
};

web::json::value annotations_of(const ReceivedRequest& r)
{
  return web::json::value::parse(r.body).at("metadata").at("annotations");
}

std::vector<ReceivedRequest> accepted(const std::vector<ReceivedRequest>& all, const std::string& method)
{
  std::vector<ReceivedRequest> out;
  for (const auto& r : all) {
    if (r.method == method && r.status < 300) {
      out.push_back(r);
    }
  }
  return out;
}

} // namespace

TEST_CASE("a successful run annotates the pod running, then succeeded, and posts a Migrated event", "[kube]")
{
  Cluster c;
  RunResult r = c.run("best-effort");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto all = c.api.requests();
  for (const auto& req : all) {
    INFO(req.method << " " << req.path << " -> " << req.status << " " << req.problem);
    CHECK(req.status < 300);
  }
  auto patches = accepted(all, "PATCH");
  REQUIRE(patches.size() == 2);
  CHECK(patches[0].path == "/api/v1/namespaces/shop/pods/web-5d8f7-x2x9q");
  CHECK_THAT(patches[0].header("content-type"), ContainsSubstring("application/merge-patch+json"));
  CHECK(annotations_of(patches[0]).at("lockstep.dev/status").as_string() == "running");
  auto done = annotations_of(patches[1]);
  CHECK(done.at("lockstep.dev/status").as_string() == "succeeded");
  CHECK(done.at("lockstep.dev/revision").as_string() == "one");
  CHECK(done.at("lockstep.dev/applied").as_string() == "1");
  CHECK(std::regex_match(done.at("lockstep.dev/finished-at").as_string(),
                         std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")));
  CHECK(done.at("lockstep.dev/run-id").as_string() ==
        annotations_of(patches[0]).at("lockstep.dev/run-id").as_string());
  CHECK(done.at("lockstep.dev/error").is_null());  // removed: a merge patch's null

  auto events = accepted(all, "POST");
  REQUIRE(events.size() == 1);
  auto event = web::json::value::parse(events[0].body);
  CHECK(event.at("reason").as_string() == "Migrated");
  CHECK(event.at("type").as_string() == "Normal");
  CHECK(event.at("reportingController").as_string() == "lockstep.dev/lockstep");
  CHECK(event.at("reportingInstance").as_string() == "web-5d8f7-x2x9q");
  CHECK(event.at("regarding").at("name").as_string() == "web-5d8f7-x2x9q");

  auto message = c.termination_message();
  CHECK(message.at("status").as_string() == "succeeded");
  CHECK(message.at("exit_code").as_integer() == 0);
  CHECK(message.at("command").as_string() == "upgrade heads");
  CHECK(message.at("applied").as_array().size() == 1);

  // A second run has nothing to do, and says so.
  REQUIRE(c.run("best-effort").exit_code == 0);
  auto again = accepted(c.api.requests(), "POST");
  REQUIRE(again.size() == 2);
  CHECK(web::json::value::parse(again[1].body).at("reason").as_string() == "NothingToDo");
}

TEST_CASE("a failed migration is reported as failed with its error and SQLSTATE", "[kube]")
{
  Cluster c;
  c.migrations.write("2.sql", "-- Revision ID: two\n-- Revises: one\n\n-- +upgrade\nINSERT INTO missing VALUES (1);\n\n"
                              "-- +downgrade\nSELECT 1;\n");
  RunResult r = c.run("best-effort");
  CHECK(r.exit_code == 5);
  auto patches = accepted(c.api.requests(), "PATCH");
  REQUIRE(patches.size() == 2);
  auto done = annotations_of(patches[1]);
  CHECK(done.at("lockstep.dev/status").as_string() == "failed");
  CHECK_THAT(done.at("lockstep.dev/error").as_string(), ContainsSubstring("missing"));
  CHECK(done.at("lockstep.dev/revision").as_string() == "one");  // where the database stayed
  auto events = accepted(c.api.requests(), "POST");
  REQUIRE(events.size() == 1);
  auto event = web::json::value::parse(events[0].body);
  CHECK(event.at("reason").as_string() == "MigrationFailed");
  CHECK(event.at("type").as_string() == "Warning");
  auto message = c.termination_message();
  CHECK(message.at("status").as_string() == "failed");
  CHECK(message.at("exit_code").as_integer() == 5);
  CHECK(message.at("revision").as_string() == "two");
  CHECK(message.at("sqlstate").as_string() == "42P01");
}

TEST_CASE("a token rotated between runs is read again", "[kube]")
{
  Cluster c;
  REQUIRE(c.run("required").exit_code == 0);
  c.account.write("token", "token-two\n");
  c.api.set_token("token-two");
  REQUIRE(c.run("required", {"current"}).exit_code == 0);
  REQUIRE(c.run("required", {"downgrade", "base"}).exit_code == 0);
  auto all = c.api.requests();
  CHECK(all.back().header("authorization") == "Bearer token-two");
  for (const auto& req : all) {
    CHECK(req.status < 300);
  }
}

TEST_CASE("500s are retried until the API server answers", "[kube]")
{
  Cluster c;
  c.api.fail_next(2, 500);
  std::vector<std::string> args{"--database-url", c.db.url(), "--migrations", c.migrations.path(), "upgrade"};
  RunResult r = run_lockstep(args, c.env("required", 0, "120s"));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  auto all = c.api.requests();
  REQUIRE(all.size() >= 5);  // 2 refused + running + succeeded + event
  CHECK(all[0].status == 500);
  CHECK(all[1].status == 500);
  CHECK(all[2].status == 200);
}

TEST_CASE("an API server that is down: best-effort exits 0 after its budget, required exits 1 before migrating",
          "[kube]")
{
  Cluster c;
  const int closed_port = 1;
  auto started = Clock::now();
  RunResult best = c.run("best-effort", {"upgrade"}, closed_port);
  CHECK(best.exit_code == 0);
  CHECK(Clock::now() - started < std::chrono::seconds(10));
  CHECK(c.db.scalar("SELECT version_num FROM lockstep_version") == "one");
  CHECK(c.termination_message().at("status").as_string() == "succeeded");

  REQUIRE(c.run("best-effort", {"downgrade", "base"}, closed_port).exit_code == 0);
  RunResult required = c.run("required", {"upgrade"}, closed_port);
  CHECK(required.exit_code == 1);
  CHECK(c.db.scalar("SELECT count(*) FROM lockstep_version") == "0");  // nothing migrated
  CHECK(c.termination_message().at("exit_code").as_integer() == 1);
}

TEST_CASE("a server whose certificate the service-account CA did not sign is refused", "[kube]")
{
  Cluster c;
  TempDir other;
  lockstep::test::make_test_certificates(other.path());
  c.account.write("ca.crt", lockstep::test::read_text(other.path() + "/ca.crt"));
  CHECK(c.run("best-effort").exit_code == 0);
  CHECK(c.run("required", {"downgrade", "base"}).exit_code == 1);
  CHECK(c.api.requests().empty());  // no request got through the handshake
}

TEST_CASE("missing pod identity: best-effort carries on, required fails before migrating", "[kube]")
{
  Cluster c;
  std::vector<std::string> args{"--database-url", c.db.url(), "--migrations", c.migrations.path(), "upgrade"};
  auto env = c.env("best-effort");
  env.erase("POD_NAME");
  RunResult best = run_lockstep(args, env);
  CHECK(best.exit_code == 0);
  CHECK_THAT(best.err, ContainsSubstring("POD_NAME"));
  REQUIRE(run_lockstep({"--database-url", c.db.url(), "--migrations", c.migrations.path(), "downgrade", "base"}).exit_code ==
          0);
  env["LOCKSTEP_KUBERNETES_ANNOTATE"] = "required";
  RunResult required = run_lockstep(args, env);
  CHECK(required.exit_code == 1);
  CHECK(c.db.scalar("SELECT count(*) FROM lockstep_version") == "0");
  CHECK(c.api.requests().empty());
}

TEST_CASE("neither the token nor the database password appears in output or the termination message", "[kube]")
{
  Cluster c;
  c.account.write("token", "sekrit-token-value\n");
  c.api.set_token("another-token");  // so requests are refused with 401
  RunResult r = c.run("required");
  CHECK(r.exit_code == 1);
  std::string message = lockstep::test::read_text(c.migrations.path() + "/termination-log");
  for (const std::string& secret : {std::string("sekrit-token-value"), lockstep::test::server_password()}) {
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
    CHECK(message.find(secret) == std::string::npos);
  }
  CHECK_THAT(r.err, ContainsSubstring("401"));
}

// The Reporter and the in-cluster client against a local HTTPS API server
// (tests/support/fake_apiserver), asserting on the bytes it received. No
// database: these exercise reporting alone, with short budgets.
// kube_end_to_end_test.cpp runs the real binary against PostgreSQL.

// spdlog (fmt) before cpprest, whose U() macro breaks fmt's headers.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "kube/client.hpp"
#include "report/reporter.hpp"
#include "support/fake_apiserver.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cpprest/http_client.h>
#include <cpprest/json.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>

using Catch::Matchers::ContainsSubstring;
using lockstep::test::FakeApiServer;
using lockstep::test::ReceivedRequest;
using lockstep::test::TempDir;
using namespace lockstep;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

const std::regex kMicroTime("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$");
const std::regex kRfc3339("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$");

// A pod in namespace "shop" with a mounted service account that trusts the
// fake API server's CA.
struct Pod {
  TempDir certs;
  TempDir account;
  TempDir scratch;
  FakeApiServer api;

  explicit Pod(FakeApiServer::Family family = FakeApiServer::Family::ipv4)
    : api(certs.path(), "token-one", family)
  {
    account.write("token", "token-one\n");
    account.write("ca.crt", test::read_text(api.ca_path()));
  }

  std::map<std::string, std::string> env() const
  {
    return {{"KUBERNETES_SERVICE_HOST", api.host()},
            {"KUBERNETES_SERVICE_PORT", std::to_string(api.port())},
            {"POD_NAME", "migrate-7f9c4-abcde"},
            {"POD_NAMESPACE", "shop"},
            {"POD_UID", "0f6a1f0e-2a43-4c2b-9f57-6e2b1b0d9c11"},
            {"LOCKSTEP_SERVICEACCOUNT_DIR", account.path()}};
  }

  report::Settings settings(report::Mode mode, milliseconds budget = milliseconds(4000)) const
  {
    report::Settings s;
    s.annotate = mode;
    s.events = true;
    s.budget = budget;
    s.termination_log = scratch.path() + "/termination-log";
    return s;
  }

  web::json::value termination_message() const
  {
    return web::json::value::parse(test::read_text(scratch.path() + "/termination-log"));
  }
};

report::RunSummary succeeded()
{
  report::RunSummary s;
  s.status = "succeeded";
  s.exit_code = 0;
  s.command = "upgrade heads";
  s.from = {"a1"};
  s.to = {"c3", "d4"};
  s.applied = {"b2", "c3", "d4"};
  s.duration_ms = 1234;
  return s;
}

report::RunSummary failed()
{
  report::RunSummary s;
  s.status = "failed";
  s.exit_code = 5;
  s.command = "upgrade heads";
  s.from = {"a1"};
  s.to = {"b2"};
  s.applied = {"b2"};
  s.failed_revision = "c3";
  s.sqlstate = "42P01";
  s.error = "relation \"missing\" does not exist";
  return s;
}

web::json::value body_of(const ReceivedRequest& r)
{
  return web::json::value::parse(r.body);
}

web::json::value annotations_of(const ReceivedRequest& r)
{
  return body_of(r).at("metadata").at("annotations");
}

long long ms_since(Clock::time_point start)
{
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// A port on 127.0.0.1 where nothing listens.
int closed_port()
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Captures what lockstep logs (log::event goes to spdlog's default logger).
class LogCapture {
public:
  LogCapture() : m_previous(spdlog::default_logger())
  {
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(m_out));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(m_previous); }
  std::string text() const { return m_out.str(); }
  size_t lines_with(const std::string& needle) const
  {
    size_t count = 0;
    std::istringstream in(m_out.str());
    for (std::string line; std::getline(in, line);) {
      count += line.find(needle) != std::string::npos ? 1 : 0;
    }
    return count;
  }

private:
  std::ostringstream m_out;
  std::shared_ptr<spdlog::logger> m_previous;
};

} // namespace

TEST_CASE("success: the pod is annotated running, then succeeded, and a Migrated event is posted", "[kube]")
{
  Pod pod;
  report::Reporter reporter(pod.settings(report::Mode::best_effort), pod.env());
  reporter.started("upgrade heads");
  CHECK(reporter.finished(succeeded()) == 0);

  auto all = pod.api.requests();
  REQUIRE(all.size() == 3);
  for (const auto& r : all) {
    INFO(r.method << " " << r.path << " -> " << r.status << " " << r.problem);
    CHECK(r.status < 300);
    CHECK(r.header("Authorization") == "Bearer token-one");
    CHECK_THAT(r.header("Accept"), ContainsSubstring("application/json"));
  }

  const auto& running = all[0];
  CHECK(running.method == "PATCH");
  CHECK(running.path == "/api/v1/namespaces/shop/pods/migrate-7f9c4-abcde");
  CHECK(running.header("Content-Type") == "application/merge-patch+json");
  auto first = annotations_of(running);
  CHECK(first.size() == 5);
  CHECK(first.at("lockstep.dev/status").as_string() == "running");
  CHECK(first.at("lockstep.dev/run-id").as_string() == reporter.run_id());
  CHECK(first.at("lockstep.dev/command").as_string() == "upgrade heads");
  CHECK(first.at("lockstep.dev/error").is_null());  // an earlier attempt's error goes
  CHECK(first.at("lockstep.dev/finished-at").is_null());

  const auto& done = all[1];
  CHECK(done.method == "PATCH");
  CHECK(done.header("Content-Type") == "application/merge-patch+json");
  auto last = annotations_of(done);
  CHECK(last.at("lockstep.dev/status").as_string() == "succeeded");
  CHECK(last.at("lockstep.dev/revision").as_string() == "c3,d4");
  CHECK(last.at("lockstep.dev/applied").as_string() == "3");
  CHECK(std::regex_match(last.at("lockstep.dev/finished-at").as_string(), kRfc3339));
  CHECK(last.at("lockstep.dev/run-id").as_string() == reporter.run_id());
  CHECK(last.at("lockstep.dev/error").is_null());

  const auto& posted = all[2];
  CHECK(posted.method == "POST");
  CHECK(posted.path == "/apis/events.k8s.io/v1/namespaces/shop/events");
  CHECK(posted.header("Content-Type") == "application/json");
  CHECK(posted.status == 201);
  auto event = body_of(posted);
  CHECK(event.at("apiVersion").as_string() == "events.k8s.io/v1");
  CHECK(event.at("kind").as_string() == "Event");
  CHECK(event.at("metadata").at("generateName").as_string() == "migrate-7f9c4-abcde.lockstep-");
  CHECK(event.at("metadata").at("namespace").as_string() == "shop");
  CHECK(std::regex_match(event.at("eventTime").as_string(), kMicroTime));
  CHECK(event.at("reason").as_string() == "Migrated");
  CHECK(event.at("type").as_string() == "Normal");
  CHECK(event.at("action").as_string() == "Migrate");
  CHECK(event.at("reportingController").as_string() == "lockstep.dev/lockstep");
  CHECK(event.at("reportingInstance").as_string() == "migrate-7f9c4-abcde");
  CHECK(event.at("regarding").at("apiVersion").as_string() == "v1");
  CHECK(event.at("regarding").at("kind").as_string() == "Pod");
  CHECK(event.at("regarding").at("name").as_string() == "migrate-7f9c4-abcde");
  CHECK(event.at("regarding").at("namespace").as_string() == "shop");
  CHECK(event.at("regarding").at("uid").as_string() == "0f6a1f0e-2a43-4c2b-9f57-6e2b1b0d9c11");
  CHECK(event.at("note").as_string() ==
        "upgrade heads: ran 3 revision(s) in 1234 ms (b2, c3, d4); the database is at c3, d4");

  auto message = pod.termination_message();
  CHECK(message.at("status").as_string() == "succeeded");
  CHECK(message.at("exit_code").as_integer() == 0);
  CHECK(message.at("applied").as_array().size() == 3);
  CHECK(message.at("run_id").as_string() == reporter.run_id());
}

TEST_CASE("a failed migration: status failed with the error, a MigrationFailed Warning, the exit code kept",
          "[kube]")
{
  Pod pod;
  report::Settings settings = pod.settings(report::Mode::required);
  settings.annotation_prefix = "migrations.example.com";
  report::Reporter reporter(settings, pod.env());
  reporter.started("upgrade heads");
  CHECK(reporter.finished(failed()) == 5);

  auto all = pod.api.requests();
  REQUIRE(all.size() == 3);
  auto last = annotations_of(all[1]);
  CHECK(last.at("migrations.example.com/status").as_string() == "failed");
  CHECK(last.at("migrations.example.com/error").as_string() == "relation \"missing\" does not exist");
  CHECK(last.at("migrations.example.com/revision").as_string() == "b2");  // where the database stayed
  CHECK(last.at("migrations.example.com/applied").as_string() == "1");
  auto event = body_of(all[2]);
  CHECK(all[2].status == 201);
  CHECK(event.at("reason").as_string() == "MigrationFailed");
  CHECK(event.at("type").as_string() == "Warning");
  CHECK(event.at("note").as_string() ==
        "upgrade heads failed at revision c3 (exit 5, SQLSTATE 42P01): relation \"missing\" does not exist; "
        "the database is at b2");

  auto message = pod.termination_message();
  CHECK(message.at("status").as_string() == "failed");
  CHECK(message.at("exit_code").as_integer() == 5);
  CHECK(message.at("revision").as_string() == "c3");
  CHECK(message.at("sqlstate").as_string() == "42P01");
  CHECK(message.at("error").as_string() == "relation \"missing\" does not exist");
}

TEST_CASE("nothing to do: a NothingToDo event; a huge error is shortened for annotation and note", "[kube]")
{
  Pod pod;
  {
    report::Reporter reporter(pod.settings(report::Mode::required), pod.env());
    reporter.started("upgrade heads");
    report::RunSummary s = succeeded();
    s.applied.clear();
    s.nothing_to_do = true;
    CHECK(reporter.finished(s) == 0);
  }
  auto event = body_of(pod.api.requests().at(2));
  CHECK(event.at("reason").as_string() == "NothingToDo");
  CHECK(event.at("type").as_string() == "Normal");
  CHECK(event.at("note").as_string() == "upgrade heads: nothing to do; the database is at c3, d4");

  report::Reporter reporter(pod.settings(report::Mode::required), pod.env());
  reporter.started("upgrade heads");
  report::RunSummary s = failed();
  s.error = std::string(50'000, 'x') + "\xff";
  CHECK(reporter.finished(s) == 5);
  auto all = pod.api.requests();
  REQUIRE(all.size() == 6);
  for (const auto& r : all) {
    CHECK(r.status < 300);  // the server accepted the sizes
  }
  CHECK(annotations_of(all[4]).at("lockstep.dev/error").as_string().size() <= 256);
  CHECK(body_of(all[5]).at("note").as_string().size() <= 1024);
}

TEST_CASE("the token is re-read for every request: rotated between runs and within one", "[kube]")
{
  Pod pod;
  {
    report::Reporter first(pod.settings(report::Mode::required), pod.env());
    first.started("upgrade heads");
    CHECK(first.finished(succeeded()) == 0);
  }
  // The kubelet rewrote the projected token.
  pod.account.write("token", "token-two\n");
  pod.api.set_token("token-two");
  report::Reporter second(pod.settings(report::Mode::required), pod.env());
  second.started("upgrade heads");
  pod.account.write("token", "token-three");
  pod.api.set_token("token-three");
  CHECK(second.finished(succeeded()) == 0);

  auto all = pod.api.requests();
  REQUIRE(all.size() == 6);
  const char* expected[] = {"token-one", "token-one", "token-one", "token-two", "token-three", "token-three"};
  for (size_t i = 0; i < all.size(); ++i) {
    INFO(i);
    CHECK(all[i].header("authorization") == std::string("Bearer ") + expected[i]);
    CHECK(all[i].status < 300);
  }
}

TEST_CASE("500, 503 and 429 are retried with backoff; Retry-After is honoured", "[kube]")
{
  Pod pod;
  report::Reporter reporter(pod.settings(report::Mode::required, milliseconds(8000)), pod.env());
  pod.api.script({500, 503});
  auto start = Clock::now();
  reporter.started("upgrade heads");
  CHECK(ms_since(start) >= 400);  // ~200 ms, then ~400 ms (with jitter)
  auto all = pod.api.requests();
  REQUIRE(all.size() == 3);
  CHECK(all[0].status == 500);
  CHECK(all[1].status == 503);
  CHECK(all[2].status == 200);
  CHECK(all[0].body == all[2].body);  // the same patch, sent again

  pod.api.script({429}, "1");
  start = Clock::now();
  CHECK(reporter.finished(succeeded()) == 0);
  CHECK(ms_since(start) >= 950);  // waited the second the server asked for
  all = pod.api.requests();
  REQUIRE(all.size() == 6);
  CHECK(all[3].status == 429);
  CHECK(all[4].status == 200);
  CHECK(all[5].status == 201);
}

TEST_CASE("a refusal other than 429 is not retried: best-effort logs once, required fails", "[kube]")
{
  Pod pod;
  LogCapture log;
  {
    report::Reporter reporter(pod.settings(report::Mode::best_effort), pod.env());
    pod.api.script({403, 403, 403});
    reporter.started("upgrade heads");
    CHECK(reporter.finished(succeeded()) == 0);
  }
  CHECK(pod.api.requests().size() == 3);  // one each, none retried: running, outcome, event
  CHECK(log.lines_with("reporting to Kubernetes failed") == 1);
  CHECK_THAT(log.text(), ContainsSubstring("HTTP 403"));

  pod.api.script({422});
  report::Reporter strict(pod.settings(report::Mode::required), pod.env());
  try {
    strict.started("upgrade heads");
    FAIL("started() did not throw");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::internal);
    CHECK_THAT(e.what(), ContainsSubstring("HTTP 422"));
    CHECK_THAT(e.what(), ContainsSubstring("nothing was run"));
  }
}

TEST_CASE("an API server that is down: best-effort keeps the exit code within its budget, required exits 1",
          "[kube]")
{
  Pod pod;
  auto env = pod.env();
  env["KUBERNETES_SERVICE_PORT"] = std::to_string(closed_port());
  const milliseconds budget(2000);
  LogCapture log;
  {
    report::Reporter reporter(pod.settings(report::Mode::best_effort, budget), env);
    auto start = Clock::now();
    reporter.started("upgrade heads");
    CHECK(reporter.finished(failed()) == 5);
    // One budget for the whole run: started() used it up, finished() waits no
    // more (a budget each would be twice as long).
    CHECK(ms_since(start) >= 1600);
    CHECK(ms_since(start) < 2 * budget.count());
    CHECK(pod.termination_message().at("exit_code").as_integer() == 5);
  }
  CHECK(log.lines_with("reporting to Kubernetes failed") == 1);
  {
    report::Reporter reporter(pod.settings(report::Mode::best_effort, budget), env);
    reporter.started("upgrade heads");
    CHECK(reporter.finished(succeeded()) == 0);
  }

  report::Reporter strict(pod.settings(report::Mode::required, budget), env);
  auto start = Clock::now();
  CHECK_THROWS_AS(strict.started("upgrade heads"), Error);
  CHECK(ms_since(start) < 10 * budget.count());  // it gives up: a generous ceiling, not a speed test
  report::RunSummary refused;  // what the CLI makes of the Error
  refused.status = "failed";
  refused.exit_code = 1;
  refused.command = "upgrade heads";
  CHECK(strict.finished(refused) == 1);
  CHECK(pod.termination_message().at("exit_code").as_integer() == 1);

  // The API server went away during the run: the run succeeded, required
  // turns that into exit 1 and the termination message says why.
  {
    Pod flaky;
    report::Reporter reporter(flaky.settings(report::Mode::required, budget), flaky.env());
    reporter.started("upgrade heads");
    flaky.api.script(std::vector<int>(100, 503));
    CHECK(reporter.finished(succeeded()) == 1);
    auto message = flaky.termination_message();
    CHECK(message.at("exit_code").as_integer() == 1);
    CHECK(message.at("status").as_string() == "failed");
    CHECK_THAT(message.at("error").as_string(), ContainsSubstring("HTTP 503"));
    CHECK(message.at("applied").as_array().size() == 3);  // what the run did is still there
  }
  CHECK(pod.api.requests().empty());
}

TEST_CASE("a server that never answers: each request is cut at the deadline", "[kube]")
{
  Pod pod;
  pod.api.set_silent(true);
  report::Reporter reporter(pod.settings(report::Mode::best_effort, milliseconds(1500)), pod.env());
  auto start = Clock::now();
  reporter.started("upgrade heads");
  CHECK(reporter.finished(succeeded()) == 0);
  CHECK(ms_since(start) < 15'000);  // a silent server would hold an uncut request forever
  pod.api.set_silent(false);
  auto all = pod.api.requests();
  REQUIRE(!all.empty());
  CHECK(all[0].status == 0);  // read, never answered
}

TEST_CASE("a server whose certificate the service-account CA did not sign is refused, without retrying",
          "[kube]")
{
  Pod pod;
  TempDir other;
  test::make_test_certificates(other.path());
  pod.account.write("ca.crt", test::read_text(other.path() + "/ca.crt"));
  LogCapture log;
  {
    report::Reporter reporter(pod.settings(report::Mode::best_effort, milliseconds(30'000)), pod.env());
    reporter.started("upgrade heads");
    CHECK(reporter.finished(succeeded()) == 0);
  }
  // A TLS failure is final: each request tries its handshake twice, no retries until the (long,
  // so that a loaded machine cannot cut a request short) budget runs out. The server counts a
  // failed handshake on its own thread, so the count may still be catching up here.
  CHECK(pod.api.failed_handshakes() <= 6);  // running, outcome, event
  CHECK_THAT(log.text(), ContainsSubstring("TLS verification against"));
  report::Reporter strict(pod.settings(report::Mode::required, milliseconds(30'000)), pod.env());
  CHECK_THROWS_AS(strict.started("upgrade heads"), Error);
  CHECK(pod.api.requests().empty());  // no request got through the handshake
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (pod.api.failed_handshakes() < 8 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  CHECK(pod.api.failed_handshakes() == 8);  // 4 requests, each tried twice
}

TEST_CASE("the server's name is verified: a certificate without the host's name is refused", "[kube]")
{
  Pod pod;  // the certificate names IP 127.0.0.1, ::1 and DNS kubernetes.default.svc, not "localhost"
  auto env = pod.env();
  env["KUBERNETES_SERVICE_HOST"] = "localhost";
  report::Reporter strict(pod.settings(report::Mode::required, milliseconds(3000)), env);
  CHECK_THROWS_AS(strict.started("upgrade heads"), Error);
  CHECK(pod.api.requests().empty());
  CHECK(pod.api.failed_handshakes() >= 1);
}

// Why in_cluster_config() turns an IPv6 KUBERNETES_SERVICE_HOST into
// kubernetes.default.svc: cpprest 2.10 resolves the URI's host with its
// brackets. When this starts to fail, cpprest learned IPv6 literals: use
// the bracketed literal again, as client-go does.
TEST_CASE("cpprest cannot reach a bracketed IPv6 literal, so IPv6 clusters go by the service name", "[kube]")
{
  Pod pod(FakeApiServer::Family::ipv6);
  kube::InClusterConfig config;
  config.server = "https://[::1]:" + std::to_string(pod.api.port());
  config.token_path = pod.account.path() + "/token";
  config.ca_path = pod.account.path() + "/ca.crt";
  config.pod = "migrate-7f9c4-abcde";
  config.ns = "shop";
  kube::Client client(config);
  try {
    client.annotate_pod({{"lockstep.dev/status", "running"}}, Clock::now() + milliseconds(500));
    FAIL("cpprest reached [::1]: drop the kubernetes.default.svc fallback in in_cluster_config()");
  } catch (const kube::RequestFailed& e) {
    CHECK_THAT(e.what(), ContainsSubstring("resolving"));
  }
  CHECK(pod.api.requests().empty());
  CHECK(pod.api.failed_handshakes() == 0);

  std::string why;
  auto env = pod.env();
  REQUIRE(env.at("KUBERNETES_SERVICE_HOST") == "::1");
  auto derived = kube::in_cluster_config(env, why);
  REQUIRE(derived);
  CHECK(derived->server == "https://kubernetes.default.svc:" + std::to_string(pod.api.port()));
}

TEST_CASE("missing pod identity or service-account files: no request, best-effort carries on, required fails",
          "[kube]")
{
  Pod pod;
  struct Row {
    std::string variable;  // removed from the environment, or
    std::string file;      // removed from the service-account folder
    std::string named;     // in the error
  };
  const Row rows[] = {
    {"POD_NAME", "", "POD_NAME"},
    {"POD_NAMESPACE", "", "POD_NAMESPACE"},
    {"KUBERNETES_SERVICE_HOST", "", "KUBERNETES_SERVICE_HOST"},
    {"", "token", "/token"},
    {"", "ca.crt", "/ca.crt"},
  };
  for (const auto& row : rows) {
    INFO(row.named);
    TempDir account;
    account.write("token", "token-one");
    account.write("ca.crt", test::read_text(pod.api.ca_path()));
    if (!row.file.empty()) {
      std::remove((account.path() + "/" + row.file).c_str());
    }
    auto env = pod.env();
    env["LOCKSTEP_SERVICEACCOUNT_DIR"] = account.path();
    env.erase(row.variable);

    LogCapture log;
    report::Reporter best(pod.settings(report::Mode::best_effort), env);
    CHECK_NOTHROW(best.started("upgrade heads"));
    CHECK(best.finished(failed()) == 5);
    CHECK(log.lines_with(row.named) == 1);  // said once, not per call

    report::Reporter strict(pod.settings(report::Mode::required), env);
    try {
      strict.started("upgrade heads");
      FAIL("started() did not throw");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::internal);
      CHECK_THAT(e.what(), ContainsSubstring(row.named));
    }
  }
  CHECK(pod.api.requests().empty());
}

TEST_CASE("a malformed API server address fails reporting, it does not crash", "[kube]")
{
  Pod pod;
  auto env = pod.env();
  env["KUBERNETES_SERVICE_HOST"] = "not a host name";
  report::Reporter best(pod.settings(report::Mode::best_effort, milliseconds(1000)), env);
  CHECK_NOTHROW(best.started("upgrade heads"));
  CHECK(best.finished(failed()) == 5);
  report::Reporter strict(pod.settings(report::Mode::required, milliseconds(1000)), env);
  CHECK_THROWS_AS(strict.started("upgrade heads"), Error);
  CHECK(strict.finished(succeeded()) == 1);
}

TEST_CASE("the token never appears in errors, logs or the termination message", "[kube]")
{
  Pod pod;
  pod.account.write("token", "sekrit-token-value\n");  // the server expects token-one: 401
  LogCapture log;
  report::Reporter strict(pod.settings(report::Mode::required), pod.env());
  std::string error;
  try {
    strict.started("upgrade heads");
  } catch (const Error& e) {
    error = e.what();
  }
  CHECK_THAT(error, ContainsSubstring("401"));
  report::RunSummary s = failed();
  s.exit_code = 1;
  s.error = error;
  CHECK(strict.finished(s) == 1);
  std::string message = test::read_text(pod.scratch.path() + "/termination-log");
  for (const std::string& text : {error, log.text(), message}) {
    CHECK(text.find("sekrit") == std::string::npos);
  }
  REQUIRE(!pod.api.requests().empty());
  CHECK(pod.api.requests()[0].header("authorization") == "Bearer sekrit-token-value");  // it was sent, though
}

TEST_CASE("the termination message through the Reporter stays within 4 KiB with a huge error and applied list",
          "[kube]")
{
  Pod pod;
  report::Reporter reporter(pod.settings(report::Mode::off), pod.env());
  report::RunSummary s = failed();
  s.error = std::string(200'000, '"');
  for (int i = 0; i < 10'000; ++i) {
    s.applied.push_back("revision_" + std::to_string(i));
  }
  CHECK(reporter.finished(s) == 5);
  std::string text = test::read_text(pod.scratch.path() + "/termination-log");
  CHECK(text.size() <= 4096);
  auto message = web::json::value::parse(text);
  CHECK(message.at("applied_count").as_integer() == 10'001);
  CHECK(message.at("sqlstate").as_string() == "42P01");
  CHECK(pod.api.requests().empty());  // annotate off
}

TEST_CASE("the fake API server and lockstep agree on annotation keys", "[kube]")
{
  const std::string l63(63, 'k');
  for (const std::string& key :
       {std::string("lockstep.dev/status"), std::string("a/b"), std::string("x"), "p.dev/" + l63,
        "p.dev/" + l63 + "k", std::string("Up.dev/x"), std::string("p.dev/-x"), std::string("p..dev/x"),
        std::string("p.dev/x_y.z"), std::string("p.dev/"), std::string("/x"), std::string("p.dev/a b")}) {
    INFO(key);
    CHECK(report::valid_annotation_key(key) == test::kubernetes_accepts_annotation_key(key));
  }
}

// A client that hangs up before its answer (a deadline passed) must not take
// the fake server down with it, nor the test binary: a real API server
// shrugs it off. Each client here sends a whole request, then resets the
// connection at once, so the answer (and TLS's close) is written to a socket
// that is gone.
TEST_CASE("the fake API server outlives clients that hang up before their answer", "[kube]")
{
  Pod pod;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  const std::string body = R"({"metadata":{"annotations":{"a.dev/x":"1"}}})";
  const std::string request = "PATCH /api/v1/namespaces/shop/pods/web-0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: Bearer token-one\r\nContent-Type: application/merge-patch+json\r\n"
                              "Content-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  for (int i = 0; i < 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(pod.api.port()));
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    REQUIRE(SSL_connect(ssl) == 1);
    REQUIRE(SSL_write(ssl, request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size()));
    linger reset{1, 0};  // close with a RST, not a FIN: the peer's next writes fail
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    SSL_free(ssl);
    close(fd);
  }
  SSL_CTX_free(ctx);
  // Still serving: what the reporter sends gets through and is recorded.
  const size_t before = pod.api.requests().size();  // those the server read before the reset
  report::Reporter reporter(pod.settings(report::Mode::required), pod.env());
  reporter.started("upgrade heads");
  CHECK(reporter.finished(succeeded()) == 0);
  const auto requests = pod.api.requests();
  REQUIRE(requests.size() > before);
  for (size_t i = before; i < requests.size(); ++i) {
    CHECK(requests[i].status < 300);
  }
}

// The fake server is only worth its checks: send it what lockstep never
// would and expect the real API server's answers.
TEST_CASE("the fake API server refuses what a real API server refuses", "[kube]")
{
  Pod pod;
  web::http::client::http_client_config cfg;
  const std::string ca = pod.api.ca_path();
  cfg.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) { ctx.load_verify_file(ca); });
  web::http::client::http_client client("https://127.0.0.1:" + std::to_string(pod.api.port()), cfg);
  auto send = [&](const std::string& method, const std::string& path, const std::string& content_type,
                  const std::string& body, const std::string& token = "token-one") {
    web::http::http_request request(method);
    request.set_request_uri(path);
    request.headers().add("Authorization", "Bearer " + token);
    request.set_body(body, content_type);
    return static_cast<int>(client.request(request).get().status_code());
  };
  const std::string pod_path = "/api/v1/namespaces/shop/pods/web-0";
  const std::string events_path = "/apis/events.k8s.io/v1/namespaces/shop/events";
  const std::string merge = "application/merge-patch+json";
  auto event = [](const std::string& field, const std::string& value) {
    auto e = web::json::value::parse(
      R"({"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"generateName":"web-0.","namespace":"shop"},)"
      R"("eventTime":"2026-11-24T12:00:00.123456Z","reportingController":"lockstep.dev/lockstep",)"
      R"("reportingInstance":"web-0","action":"Migrate","reason":"Migrated","type":"Normal","note":"ok",)"
      R"("regarding":{"apiVersion":"v1","kind":"Pod","name":"web-0","namespace":"shop"}})");
    if (field == "regarding.namespace") {
      e["regarding"]["namespace"] = web::json::value::string(value);
    } else if (value == "<absent>") {
      e.erase(field);
    } else if (!field.empty()) {
      e[field] = web::json::value::string(value);
    }
    return e.serialize();
  };
  struct Row {
    const char* what;
    std::string method, path, content_type, body, token;
    int expected;
  };
  const Row rows[] = {
    {"a good patch", "PATCH", pod_path, merge, R"({"metadata":{"annotations":{"a.dev/x":"1","a.dev/y":null}}})",
     "token-one", 200},
    {"charset is fine", "PATCH", pod_path, merge + "; charset=utf-8", R"({"metadata":{"annotations":{}}})",
     "token-one", 200},
    {"another token", "PATCH", pod_path, merge, R"({"metadata":{"annotations":{}}})", "token-two", 401},
    {"a JSON patch type", "PATCH", pod_path, "application/json", R"({"metadata":{"annotations":{}}})",
     "token-one", 415},
    {"a number", "PATCH", pod_path, merge, R"({"metadata":{"annotations":{"a.dev/x":1}}})", "token-one", 400},
    {"a bad key", "PATCH", pod_path, merge, R"({"metadata":{"annotations":{"A.dev/x":"1"}}})", "token-one", 422},
    {"a 64-character name", "PATCH", pod_path, merge,
     R"({"metadata":{"annotations":{"a.dev/)" + std::string(64, 'n') + R"(":"1"}}})", "token-one", 422},
    {"more than annotations", "PATCH", pod_path, merge, R"({"metadata":{"annotations":{}},"spec":{}})",
     "token-one", 422},
    {"not JSON", "PATCH", pod_path, merge, "{", "token-one", 400},
    {"GET", "GET", pod_path, merge, "{}", "token-one", 405},
    {"an unknown path", "PATCH", "/api/v1/namespaces/shop/pods", merge, "{}", "token-one", 404},
    {"a good event", "POST", events_path, "application/json", event("", ""), "token-one", 201},
    {"seconds only", "POST", events_path, "application/json", event("eventTime", "2026-11-24T12:00:00Z"),
     "token-one", 400},
    {"milliseconds", "POST", events_path, "application/json", event("eventTime", "2026-11-24T12:00:00.123Z"),
     "token-one", 400},
    {"type Error", "POST", events_path, "application/json", event("type", "Error"), "token-one", 422},
    {"no controller", "POST", events_path, "application/json", event("reportingController", "<absent>"),
     "token-one", 422},
    {"a long note", "POST", events_path, "application/json", event("note", std::string(1025, 'n')), "token-one",
     422},
    {"a long reason", "POST", events_path, "application/json", event("reason", std::string(129, 'r')), "token-one",
     422},
    {"another namespace", "POST", events_path, "application/json", event("regarding.namespace", "other"),
     "token-one", 422},
    {"a merge patch type", "POST", events_path, merge, event("", ""), "token-one", 415},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(send(row.method, row.path, row.content_type, row.body, row.token) == row.expected);
  }
  CHECK(pod.api.requests().size() == std::size(rows));  // every one recorded
}

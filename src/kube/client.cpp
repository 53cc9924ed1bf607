#include "kube/client.hpp"

#include "util/backoff.hpp"
#include "util/interrupt.hpp"

#include <cpprest/http_client.h>
#include <cpprest/json.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cctype>
#include <ctime>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>

namespace lockstep::kube {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string value_of(const std::map<std::string, std::string>& env, const char* key)
{
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

bool readable(const std::string& path)
{
  return static_cast<bool>(std::ifstream(path));
}

std::string read_token(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw RequestFailed("cannot read the service-account token " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

std::string utc_time(std::chrono::system_clock::time_point time, bool micro)
{
  auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(since_epoch / 1'000'000);
  long micros = static_cast<long>(since_epoch % 1'000'000);
  if (micros < 0) {
    micros += 1'000'000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!micro) {
    return std::string(buffer) + "Z";
  }
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06ldZ", buffer, micros);
  return out;
}

// At most `max_bytes` bytes of `text`, not splitting a UTF-8 sequence.
std::string cut_utf8(const std::string& text, size_t max_bytes)
{
  if (text.size() <= max_bytes) {
    return text;
  }
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return text.substr(0, cut);
}

struct Reply {
  int status = 0;
  std::string body;
  std::string retry_after;
};

// How one attempt went: a reply, or a problem and whether to try again.
struct Attempt {
  std::optional<Reply> reply;
  std::string problem;
  bool retry = false;
  bool tls = false;  // the handshake failed
};

bool looks_like_tls_failure(const std::string& what)
{
  for (const char* word : {"handshake", "certificate"}) {
    if (what.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// One HTTP exchange, bounded by `limit` however the server behaves: the
// request is cancelled when the limit passes.
Attempt attempt_once(const InClusterConfig& config, const std::string& method, const std::string& path,
                     const std::string& content_type, const std::string& body, milliseconds limit)
{
  Attempt result;
  // Set when ca.crt cannot be loaded: then retrying is pointless.
  auto ca_problem = std::make_shared<std::string>();
  try {
    web::http::client::http_client_config cfg;
    cfg.set_timeout(limit);
    cfg.set_validate_certificates(true);  // verify_peer and the host name (or IP address) check
    cfg.set_proxy(web::web_proxy(web::web_proxy::disabled));
    const std::string ca = config.ca_path;
    cfg.set_ssl_context_callback([ca, ca_problem](boost::asio::ssl::context& ctx) {
      // Trust ca.crt alone: a fresh store drops the system CAs that
      // cpprest added with set_default_verify_paths().
      SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
      boost::system::error_code ec;
      ctx.load_verify_file(ca, ec);
      if (ec) {
        *ca_problem = "cannot load " + ca + ": " + ec.message();
      }
      ctx.set_verify_mode(boost::asio::ssl::verify_peer);
    });
    auto client = std::make_shared<web::http::client::http_client>(web::uri(config.server), cfg);

    web::http::http_request request(method);
    request.set_request_uri(web::uri(path));
    // Re-read for every request: bound service-account tokens rotate.
    request.headers().add(web::http::header_names::authorization, "Bearer " + read_token(config.token_path));
    request.headers().add(web::http::header_names::accept, "application/json");
    request.headers().add(web::http::header_names::user_agent, "lockstep/" LOCKSTEP_VERSION);
    request.set_body(body, content_type);

    pplx::cancellation_token_source cancel;
    auto done = std::make_shared<std::promise<Reply>>();
    auto future = done->get_future();
    client->request(request, cancel.get_token())
      .then([](web::http::http_response response) {
        Reply reply;
        reply.status = response.status_code();
        auto it = response.headers().find("Retry-After");
        if (it != response.headers().end()) {
          reply.retry_after = it->second;
        }
        return response.extract_utf8string(true).then([reply](std::string text) mutable {
          reply.body = std::move(text);
          return reply;
        });
      })
      .then([done, client](pplx::task<Reply> task) {
        try {
          done->set_value(task.get());
        } catch (...) {
          done->set_exception(std::current_exception());
        }
      });
    if (future.wait_for(limit) != std::future_status::ready) {
      cancel.cancel();
      // Cancelling closes the socket; the task ends promptly. If it does
      // not, give up on it (it owns what it uses) rather than wait.
      future.wait_for(milliseconds(500));
      result.problem = "no answer within " + std::to_string(limit.count()) + " ms";
      result.retry = true;
      return result;
    }
    result.reply = future.get();
    return result;
  } catch (const RequestFailed& e) {
    result.problem = e.what();
  } catch (const web::uri_exception& e) {
    result.problem = std::string("bad API server address '") + config.server + "': " + e.what();
  } catch (const pplx::task_canceled&) {
    result.problem = "no answer within " + std::to_string(limit.count()) + " ms";
    result.retry = true;
  } catch (const std::exception& e) {
    result.problem = e.what();
    if (!ca_problem->empty()) {
      result.problem = *ca_problem;
    } else if (looks_like_tls_failure(result.problem)) {
      // cpprest does not say why (an unknown CA, a wrong name, or a server
      // restarting mid-handshake): send() tries once more, then gives up.
      result.problem = "TLS verification against " + config.ca_path + " failed (" + result.problem + ")";
      result.tls = true;
    } else {
      result.retry = true;  // connection refused or reset, timeouts
    }
  }
  return result;
}

// Retry-After in seconds (the HTTP-date form is not used by Kubernetes).
std::optional<milliseconds> retry_after(const std::string& value)
{
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 6) {
    return std::nullopt;
  }
  return milliseconds(std::stol(value) * 1000);
}

} // namespace

std::string micro_time(std::chrono::system_clock::time_point time)
{
  return utc_time(time, true);
}

std::string rfc3339(std::chrono::system_clock::time_point time)
{
  return utc_time(time, false);
}

std::string micro_time_now()
{
  return micro_time(std::chrono::system_clock::now());
}

std::string rfc3339_now()
{
  return rfc3339(std::chrono::system_clock::now());
}

std::optional<InClusterConfig> in_cluster_config(const std::map<std::string, std::string>& env, std::string& why_not)
{
  InClusterConfig config;
  std::string host = value_of(env, "KUBERNETES_SERVICE_HOST");
  std::string port = value_of(env, "KUBERNETES_SERVICE_PORT");
  config.pod = value_of(env, "POD_NAME");
  config.ns = value_of(env, "POD_NAMESPACE");
  config.uid = value_of(env, "POD_UID");
  std::string dir = value_of(env, "LOCKSTEP_SERVICEACCOUNT_DIR");
  if (dir.empty()) {
    dir = kDefaultServiceAccountDir;
  }
  config.token_path = dir + "/token";
  config.ca_path = dir + "/ca.crt";

  std::string missing;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) {
      missing += (missing.empty() ? "" : ", ") + what;
    }
  };
  need(!host.empty() && !port.empty(), "KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT (not in a cluster?)");
  need(port.empty() || port.find_first_not_of("0123456789") == std::string::npos,
       "a numeric KUBERNETES_SERVICE_PORT");
  need(!config.pod.empty(), "POD_NAME (set it from the downward API: fieldRef metadata.name)");
  need(!config.ns.empty(), "POD_NAMESPACE (fieldRef metadata.namespace)");
  need(readable(config.token_path), "a readable " + config.token_path);
  need(readable(config.ca_path), "a readable " + config.ca_path);
  if (!missing.empty()) {
    why_not = "missing " + missing;
    return std::nullopt;
  }
  if (host.find(':') != std::string::npos) {
    // An IPv6 literal. In a URI it is bracketed ("https://[fd00::1]:443"),
    // but cpprest 2.10 hands the host to the resolver brackets and all, and
    // the resolver cannot resolve "[fd00::1]". Connect by the API server's
    // service name instead (cluster DNS; every API server certificate names
    // kubernetes.default.svc), on the service's port.
    config.server = "https://" + std::string(kIpv6ServiceName) + ":" + port;
  } else {
    config.server = "https://" + host + ":" + port;
  }
  return config;
}

Client::Client(InClusterConfig config) : m_config(std::move(config)) {}

void Client::send(const std::string& method, const std::string& path, const std::string& content_type,
                  const std::string& body, Clock::time_point deadline)
{
  const auto started = Clock::now();
  util::Backoff backoff(milliseconds(200), milliseconds(2000));
  std::string last_problem = "no time left in the reporting budget";
  // The server's last real answer: when the budget cuts the final attempt
  // short, "no answer within 9 ms" alone would hide why it was retrying.
  std::string last_answer;
  int attempts = 0;
  int tls_failures = 0;
  auto fail = [&](const std::string& how) {
    auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
    std::string why = last_problem;
    if (!last_answer.empty() && last_answer != last_problem) {
      why += " (before that: " + last_answer + ")";
    }
    throw RequestFailed(method + " " + path + " " + how + " (" + std::to_string(attempts) + " attempt(s) in " +
                        std::to_string(took) + " ms): " + why);
  };
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      fail("gave up");
    }
    ++attempts;
    Attempt a = attempt_once(m_config, method, path, content_type, body, std::min(left, kRequestTimeout));
    std::optional<milliseconds> asked;
    if (a.reply) {
      const Reply& reply = *a.reply;
      if (reply.status >= 200 && reply.status < 300) {
        return;
      }
      last_problem = "HTTP " + std::to_string(reply.status) + ": " + cut_utf8(reply.body, 300);
      last_answer = last_problem;
      if (reply.status != 429 && reply.status < 500) {
        fail("was refused");
      }
      asked = retry_after(reply.retry_after);
    } else {
      last_problem = a.problem;
      // A certificate that did not verify will not verify on the third try.
      if (!a.retry && !(a.tls && ++tls_failures < 2)) {
        fail("failed");
      }
    }
    // Jittered exponential backoff, so that many replicas reporting at
    // once do not retry in step; a server's Retry-After wins.
    milliseconds pause = asked ? *asked : backoff.next();
    pause = std::min(pause, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    if (pause.count() > 0 && !interrupt::sleep_for(pause)) {
      fail("stopped by a signal");
    }
    if (interrupt::received() != 0) {
      fail("stopped by a signal");
    }
  }
}

void Client::annotate_pod(const AnnotationPatch& annotations, Clock::time_point deadline)
{
  using web::json::value;
  value values = value::object();
  for (const auto& [key, v] : annotations) {
    values[key] = v ? value::string(*v) : value::null();
  }
  value patch = value::object();
  patch["metadata"] = value::object();
  patch["metadata"]["annotations"] = values;
  send("PATCH", "/api/v1/namespaces/" + m_config.ns + "/pods/" + m_config.pod, "application/merge-patch+json",
       patch.serialize(), deadline);
}

void Client::post_event(const Event& event, Clock::time_point deadline)
{
  using web::json::value;
  value body = value::object();
  body["apiVersion"] = value::string("events.k8s.io/v1");
  body["kind"] = value::string("Event");
  body["metadata"] = value::object();
  body["metadata"]["generateName"] = value::string(m_config.pod + ".lockstep-");
  body["metadata"]["namespace"] = value::string(m_config.ns);
  body["eventTime"] = value::string(micro_time_now());
  body["reportingController"] = value::string("lockstep.dev/lockstep");
  body["reportingInstance"] = value::string(cut_utf8(m_config.pod, 128));
  body["action"] = value::string(event.action);
  body["reason"] = value::string(event.reason);
  body["type"] = value::string(event.type);
  body["note"] = value::string(cut_utf8(event.note, 1024));
  body["regarding"] = value::object();
  body["regarding"]["apiVersion"] = value::string("v1");
  body["regarding"]["kind"] = value::string("Pod");
  body["regarding"]["name"] = value::string(m_config.pod);
  body["regarding"]["namespace"] = value::string(m_config.ns);
  if (!m_config.uid.empty()) {
    body["regarding"]["uid"] = value::string(m_config.uid);
  }
  send("POST", "/apis/events.k8s.io/v1/namespaces/" + m_config.ns + "/events", "application/json", body.serialize(),
       deadline);
}

} // namespace lockstep::kube

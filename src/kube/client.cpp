#include "kube/client.hpp"

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace lockstep::kube {

namespace {

using Clock = std::chrono::steady_clock;

std::string read_secret_file(const std::string& path)
{
  std::ifstream in(path);
  if (!in) {
    throw RequestFailed("cannot read " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string value_of(const std::map<std::string, std::string>& env, const char* key)
{
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

bool readable(const std::string& path)
{
  return static_cast<bool>(std::ifstream(path));
}

std::string utc_time(bool micro)
{
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1'000'000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!micro) {
    return std::string(buffer) + "Z";
  }
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06dZ", buffer, static_cast<int>(micros));
  return out;
}

} // namespace

std::string micro_time_now()
{
  return utc_time(true);
}

std::string rfc3339_now()
{
  return utc_time(false);
}

std::optional<InClusterConfig> in_cluster_config(const std::map<std::string, std::string>& env, std::string& why_not)
{
  InClusterConfig config;
  std::string host = value_of(env, "KUBERNETES_SERVICE_HOST");
  std::string port = value_of(env, "KUBERNETES_SERVICE_PORT");
  config.pod = value_of(env, "POD_NAME");
  config.ns = value_of(env, "POD_NAMESPACE");
  std::string dir = value_of(env, "LOCKSTEP_SERVICEACCOUNT_DIR");
  if (dir.empty()) {
    dir = "/var/run/secrets/kubernetes.io/serviceaccount";
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
  need(!config.pod.empty(), "POD_NAME (set it from the downward API: fieldRef metadata.name)");
  need(!config.ns.empty(), "POD_NAMESPACE (fieldRef metadata.namespace)");
  need(readable(config.token_path), config.token_path);
  need(readable(config.ca_path), config.ca_path);
  if (!missing.empty()) {
    why_not = "missing " + missing;
    return std::nullopt;
  }
  bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;
  return config;
}

Client::Client(InClusterConfig config) : m_config(std::move(config)) {}

void Client::send(const std::string& method, const std::string& path, const std::string& content_type,
                  const std::string& body, Clock::time_point deadline)
{
  std::chrono::milliseconds backoff(200);
  std::string last_problem;
  for (int attempt = 1;; ++attempt) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw RequestFailed(method + " " + path + " gave up after " + std::to_string(attempt - 1) +
                          " attempt(s): " + last_problem);
    }
    bool retry = false;
    try {
      web::http::client::http_client_config cfg;
      cfg.set_timeout(std::min(left, std::chrono::duration_cast<std::chrono::milliseconds>(kRequestTimeout)));
      cfg.set_validate_certificates(true);
      const std::string ca = m_config.ca_path;
      cfg.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) { ctx.load_verify_file(ca); });
      web::http::client::http_client client(m_config.server, cfg);

      web::http::http_request request(method);
      request.set_request_uri(path);
      // Re-read for every request: bound service-account tokens rotate.
      request.headers().add(web::http::header_names::authorization, "Bearer " + read_secret_file(m_config.token_path));
      request.headers().add(web::http::header_names::accept, "application/json");
      request.set_body(body, content_type);
      web::http::http_response response = client.request(request).get();
      auto status = response.status_code();
      if (status >= 200 && status < 300) {
        return;
      }
      std::string reply = response.extract_utf8string(true).get();
      last_problem = "HTTP " + std::to_string(status) + ": " + reply.substr(0, 300);
      retry = status == 429 || status >= 500;
      if (!retry) {
        throw RequestFailed(method + " " + path + " was refused: " + last_problem);
      }
    } catch (const web::http::http_exception& e) {
      last_problem = e.what();
      // A certificate the CA did not sign will not start verifying on retry.
      if (last_problem.find("certificate") != std::string::npos || last_problem.find("handshake") != std::string::npos) {
        throw RequestFailed(method + " " + path + ": TLS verification against " + m_config.ca_path +
                            " failed: " + last_problem);
      }
      retry = true;
    } catch (const boost::system::system_error& e) {
      last_problem = e.what();
      retry = true;
    }
    auto pause = std::min(backoff, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (pause.count() > 0) {
      std::this_thread::sleep_for(pause);
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

void Client::annotate_pod(const std::map<std::string, std::string>& annotations, Clock::time_point deadline)
{
  web::json::value values = web::json::value::object();
  for (const auto& [key, value] : annotations) {
    values[key] = web::json::value::string(value);
  }
  web::json::value patch = web::json::value::object();
  patch["metadata"] = web::json::value::object();
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
  body["reportingInstance"] = value::string(m_config.pod);
  body["action"] = value::string(event.action);
  body["reason"] = value::string(event.reason);
  body["type"] = value::string(event.type);
  body["note"] = value::string(event.note.substr(0, 1024));
  body["regarding"] = value::object();
  body["regarding"]["apiVersion"] = value::string("v1");
  body["regarding"]["kind"] = value::string("Pod");
  body["regarding"]["name"] = value::string(m_config.pod);
  body["regarding"]["namespace"] = value::string(m_config.ns);
  send("POST", "/apis/events.k8s.io/v1/namespaces/" + m_config.ns + "/events", "application/json", body.serialize(),
       deadline);
}

} // namespace lockstep::kube

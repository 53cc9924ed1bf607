// A minimal in-cluster Kubernetes API client (the only code that includes
// cpprestsdk).
//
// In-cluster configuration, as client-go reads it: the API server from
// KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT (IPv6 literals are
// bracketed), the service account's token and ca.crt from
// /var/run/secrets/kubernetes.io/serviceaccount (LOCKSTEP_SERVICEACCOUNT_DIR
// overrides it), the pod from POD_NAME / POD_NAMESPACE (downward API).
// TLS is verified against ca.crt; the token is re-read for every request
// (bound tokens rotate) and never logged. Each request may take 5 s; 429,
// 5xx and connection errors are retried with backoff until the deadline.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace lockstep::kube {

struct InClusterConfig {
  std::string server;      // https://host:port
  std::string token_path;
  std::string ca_path;
  std::string pod;
  std::string ns;
};

// The configuration, or nullopt with `why_not` saying what is missing.
std::optional<InClusterConfig> in_cluster_config(const std::map<std::string, std::string>& env, std::string& why_not);

class RequestFailed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Event {
  std::string reason;  // Migrated | NothingToDo | MigrationFailed
  std::string type;    // Normal | Warning
  std::string note;    // at most 1 KiB
  std::string action;  // Migrate
};

class Client {
public:
  explicit Client(InClusterConfig config);

  const InClusterConfig& config() const { return m_config; }

  // PATCH /api/v1/namespaces/{ns}/pods/{pod}, application/merge-patch+json.
  void annotate_pod(const std::map<std::string, std::string>& annotations, std::chrono::steady_clock::time_point deadline);

  // POST /apis/events.k8s.io/v1/namespaces/{ns}/events, regarding the pod.
  void post_event(const Event& event, std::chrono::steady_clock::time_point deadline);

  static constexpr std::chrono::milliseconds kRequestTimeout{5000};

private:
  void send(const std::string& method, const std::string& path, const std::string& content_type,
            const std::string& body, std::chrono::steady_clock::time_point deadline);

  InClusterConfig m_config;
};

// "2026-11-24T12:00:00.123456Z": a MicroTime, as Event.eventTime wants it.
std::string micro_time_now();
// "2026-11-24T12:00:00Z": RFC 3339.
std::string rfc3339_now();

} // namespace lockstep::kube

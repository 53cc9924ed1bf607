// A minimal in-cluster Kubernetes API client: the only code that includes
// cpprestsdk.
//
// Configuration, as client-go's rest.InClusterConfig reads it: the API
// server from KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, the
// service account's `token` and `ca.crt` from
// /var/run/secrets/kubernetes.io/serviceaccount (LOCKSTEP_SERVICEACCOUNT_DIR
// overrides the folder), the pod from POD_NAME / POD_NAMESPACE (and POD_UID
// when the downward API provides it). The environment arrives as a map:
// nothing here calls getenv. One exception to client-go: when
// KUBERNETES_SERVICE_HOST is an IPv6 literal, the server is
// https://kubernetes.default.svc:<port>, because cpprest 2.10 cannot connect
// to a bracketed IPv6 literal (it passes "[fd00::1]" to the resolver).
//
// Promises of Client:
//   - TLS is verified against ca.crt alone (not the system's CAs), host
//     name or IP included; a failed handshake is tried once more, not until
//     the deadline (a certificate that does not verify stays so).
//   - The bearer token is re-read from its file for every request (bound
//     tokens rotate) and never appears in a log line or an error message.
//   - One request takes at most kRequestTimeout (and never past the
//     deadline), connecting and reading the answer included.
//   - 429, 5xx, timeouts and connection errors are retried with jittered
//     exponential backoff (honouring Retry-After) until the deadline; other
//     4xx fail at once. Retries stop when SIGTERM/SIGINT arrived.
//   - Every failure is a RequestFailed; nothing else escapes.
// A Client is used from one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace lockstep::kube {

struct InClusterConfig {
  std::string server;      // https://host:port (see the IPv6 note above)
  std::string token_path;
  std::string ca_path;
  std::string pod;
  std::string ns;
  std::string uid;         // POD_UID, may be empty
};

constexpr const char* kDefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
// The API server's name in every namespace, for IPv6 clusters (above).
constexpr const char* kIpv6ServiceName = "kubernetes.default.svc";

// The configuration, or nullopt with `why_not` naming everything that is
// missing (variables, unreadable token or ca.crt).
std::optional<InClusterConfig> in_cluster_config(const std::map<std::string, std::string>& env, std::string& why_not);

class RequestFailed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Event {
  std::string reason;  // Migrated | NothingToDo | MigrationFailed
  std::string type;    // Normal | Warning
  std::string note;    // cut to 1024 bytes (on a UTF-8 boundary)
  std::string action;  // Migrate
};

// Annotation key -> value; nullopt removes the annotation (a merge patch's
// null), e.g. an error left by an earlier attempt in the same pod.
using AnnotationPatch = std::map<std::string, std::optional<std::string>>;

class Client {
public:
  explicit Client(InClusterConfig config);

  const InClusterConfig& config() const { return m_config; }

  // PATCH /api/v1/namespaces/{ns}/pods/{pod} with
  // {"metadata":{"annotations":{...}}}, application/merge-patch+json.
  void annotate_pod(const AnnotationPatch& annotations, std::chrono::steady_clock::time_point deadline);

  // POST /apis/events.k8s.io/v1/namespaces/{ns}/events: an Event regarding
  // the pod, reportingController lockstep.dev/lockstep, reportingInstance
  // the pod, eventTime now as a MicroTime, metadata.generateName.
  void post_event(const Event& event, std::chrono::steady_clock::time_point deadline);

  static constexpr std::chrono::milliseconds kRequestTimeout{5000};

private:
  void send(const std::string& method, const std::string& path, const std::string& content_type,
            const std::string& body, std::chrono::steady_clock::time_point deadline);

  InClusterConfig m_config;
};

// 2026-11-24T12:00:00.123456Z: a MicroTime (exactly six fractional digits).
std::string micro_time(std::chrono::system_clock::time_point time);
// 2026-11-24T12:00:00Z: RFC 3339 to the second, UTC.
std::string rfc3339(std::chrono::system_clock::time_point time);
std::string micro_time_now();
std::string rfc3339_now();

} // namespace lockstep::kube

// A local Kubernetes API server for tests.
//
// HTTPS on 127.0.0.1 (or ::1) with a certificate signed by a test CA that it
// makes itself (the openssl command, into a folder the test owns). It serves
// the two calls lockstep makes and checks them the way a real API server
// does, with its own rules (it shares no validation code with lockstep, so
// a bug there cannot hide here):
//   PATCH /api/v1/namespaces/{ns}/pods/{name}
//     Content-Type application/merge-patch+json; a body of exactly
//     {"metadata":{"annotations":{...}}} whose values are strings (or null,
//     which deletes); keys are qualified names (optional DNS-subdomain
//     prefix and "/", a name of at most 63 characters of [A-Za-z0-9-_.]
//     that starts and ends alphanumeric); 256 KiB in all.
//   POST /apis/events.k8s.io/v1/namespaces/{ns}/events
//     Content-Type application/json; apiVersion/kind; metadata.name or
//     generateName; eventTime a MicroTime (exactly six fractional digits);
//     type Normal|Warning; reason, action (<= 128); reportingController a
//     qualified name; reportingInstance (<= 128); note <= 1024 bytes;
//     regarding {apiVersion v1, kind Pod, name, namespace = the event's}.
// Every request must carry "Authorization: Bearer <current token>". A
// failed check is answered like the real server (400, 401, 404, 415, 422)
// with a Status body.
//
// It records every request that got through the TLS handshake (method,
// path, all headers, body, and what it answered) and counts handshakes it
// lost. Responses can be scripted (e.g. 500, 500, then the normal answer),
// and it can go silent: read requests and never answer. The destructor
// stops its thread and closes every socket.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lockstep::test {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  int status = 0;       // what the server answered; 0 when it stayed silent
  std::string problem;  // why it refused, if it did

  // The header's value, "" when absent. `name` in any case.
  std::string header(const std::string& name) const;
};

class FakeApiServer {
public:
  enum class Family { ipv4, ipv6 };

  // Writes ca.crt, ca.key, server.crt and server.key into `cert_dir` (see
  // make_test_certificates) and starts listening on a free port of
  // 127.0.0.1 or ::1.
  FakeApiServer(const std::string& cert_dir, std::string token, Family family = Family::ipv4);
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  int port() const { return m_port; }
  // "127.0.0.1" or "::1": what KUBERNETES_SERVICE_HOST would hold.
  std::string host() const;
  std::string ca_path() const { return m_cert_dir + "/ca.crt"; }

  // The token requests must carry from now on.
  void set_token(const std::string& token);
  // The next requests get these statuses, in order, before any check (a
  // 429 with "Retry-After: <retry_after>" when that is set).
  void script(const std::vector<int>& statuses, const std::string& retry_after = "");
  void fail_next(int count, int status) { script(std::vector<int>(static_cast<size_t>(count), status)); }
  // While silent, requests are read and recorded but never answered.
  void set_silent(bool silent) { m_silent = silent; }

  std::vector<ReceivedRequest> requests() const;
  // TLS handshakes that failed (e.g. the client did not trust the CA).
  int failed_handshakes() const { return m_failed_handshakes; }

private:
  void serve();
  void handle(int fd);
  ReceivedRequest answer(ReceivedRequest request, std::string& retry_after);

  std::string m_cert_dir;
  Family m_family;
  int m_listener = -1;
  int m_port = 0;
  void* m_ssl_ctx = nullptr;  // SSL_CTX*
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_silent{false};
  std::atomic<int> m_failed_handshakes{0};
  mutable std::mutex m_mutex;  // guards the members below
  std::string m_token;
  std::deque<int> m_script;
  std::string m_retry_after;
  std::vector<ReceivedRequest> m_requests;
  std::thread m_thread;
};

// Makes a CA (ca.crt, ca.key) and, signed by it, a server certificate for
// IP 127.0.0.1, IP ::1 and DNS kubernetes.default.svc (server.crt,
// server.key) in `dir`, with the openssl command. Throws
// std::runtime_error when openssl fails.
void make_test_certificates(const std::string& dir);

// Kubernetes' qualified-name rule for annotation keys, written for the fake
// server from the API machinery's regular expressions.
bool kubernetes_accepts_annotation_key(const std::string& key);

} // namespace lockstep::test

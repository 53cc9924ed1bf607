// A local Kubernetes API server for tests: HTTPS on 127.0.0.1 with a
// certificate from a test CA it makes itself, checking what a real API
// server checks for the two calls lockstep makes (PATCH a pod's
// annotations, POST an events.k8s.io/v1 Event): method and path, content
// type, bearer token, JSON shape, annotation key syntax, MicroTime format.
// It answers like the real one (401, 404, 415, 422) when a check fails,
// can be told to fail the next requests (500, 429), and records every
// request it received.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lockstep::test {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::string content_type;
  std::string authorization;
  std::string body;
  int status = 0;       // what the server answered
  std::string problem;  // why it refused, if it did
};

class FakeApiServer {
public:
  // Writes ca.crt (and the server's key pair) into `cert_dir`.
  FakeApiServer(const std::string& cert_dir, std::string token);
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  int port() const { return m_port; }
  std::string ca_path() const { return m_cert_dir + "/ca.crt"; }
  void set_token(const std::string& token);
  // Answer `status` to the next `count` requests, before any check.
  void fail_next(int count, int status);
  std::vector<ReceivedRequest> requests() const;

private:
  void serve();
  void handle(int fd);
  ReceivedRequest check(ReceivedRequest request) const;

  std::string m_cert_dir;
  std::string m_token;
  int m_listener = -1;
  int m_port = 0;
  void* m_ssl_ctx = nullptr;
  std::atomic<bool> m_stop{false};
  int m_fail_count = 0;
  int m_fail_status = 500;
  mutable std::mutex m_mutex;
  std::vector<ReceivedRequest> m_requests;
  std::thread m_thread;
};

// Makes a CA and a certificate for 127.0.0.1 signed by it in `dir` (ca.crt,
// ca.key, server.crt, server.key), with the openssl command.
void make_test_certificates(const std::string& dir);

} // namespace lockstep::test

#include "support/fake_apiserver.hpp"

#include <cpprest/json.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace lockstep::test {

namespace {

std::string lower(std::string text)
{
  for (auto& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string trim(const std::string& text)
{
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// Request line and headers, up to the blank line.
void parse_head(const std::string& head, ReceivedRequest& r)
{
  size_t line_end = head.find("\r\n");
  std::string first = head.substr(0, line_end);
  size_t sp1 = first.find(' ');
  size_t sp2 = first.find(' ', sp1 + 1);
  r.method = first.substr(0, sp1);
  r.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end != std::string::npos) {
    size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      r.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
  }
}

// From k8s.io/apimachinery/pkg/util/validation.
const std::regex& dns1123_subdomain()
{
  static const std::regex re("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return re;
}

const std::regex& qualified_name_part()
{
  static const std::regex re("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  return re;
}

bool has_string(const web::json::value& v, const char* key)
{
  return v.is_object() && v.has_field(key) && v.at(key).is_string() && !v.at(key).as_string().empty();
}

std::string string_at(const web::json::value& v, const char* key)
{
  return v.is_object() && v.has_field(key) && v.at(key).is_string() ? v.at(key).as_string() : "";
}

} // namespace

std::string ReceivedRequest::header(const std::string& name) const
{
  auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

bool kubernetes_accepts_annotation_key(const std::string& key)
{
  size_t slash = key.find('/');
  std::string name = key;
  if (slash != std::string::npos) {
    std::string prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 253 || !std::regex_match(prefix, dns1123_subdomain())) {
      return false;
    }
  }
  return !name.empty() && name.size() <= 63 && std::regex_match(name, qualified_name_part());
}

void make_test_certificates(const std::string& dir)
{
  std::string cmd = "cd '" + dir + "' && "
                    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
                    "-out ca.crt -days 2 -subj /CN=lockstep-test-ca 2>/dev/null && "
                    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
                    "-out server.csr -subj /CN=kubernetes 2>/dev/null && "
                    "printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:kubernetes.default.svc\\n' > san.ext && "
                    "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
                    "-days 2 -extfile san.ext 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    throw std::runtime_error("openssl could not make the test certificates in " + dir);
  }
}

FakeApiServer::FakeApiServer(const std::string& cert_dir, std::string token, Family family)
  : m_cert_dir(cert_dir), m_family(family), m_token(std::move(token))
{
  make_test_certificates(cert_dir);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_file(ctx, (cert_dir + "/server.crt").c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, (cert_dir + "/server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("cannot load the test server certificate");
  }
  m_ssl_ctx = ctx;

  int one = 1;
  bool bound = false;
  if (family == Family::ipv4) {
    m_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bound = bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    socklen_t len = sizeof addr;
    getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
  } else {
    m_listener = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(m_listener, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    bound = bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    socklen_t len = sizeof addr;
    getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin6_port);
  }
  if (!bound || listen(m_listener, 16) != 0) {
    close(m_listener);
    SSL_CTX_free(ctx);
    throw std::runtime_error("the fake API server cannot listen on " + host());
  }
  m_thread = std::thread(&FakeApiServer::serve, this);
}

FakeApiServer::~FakeApiServer()
{
  m_stop = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
  close(m_listener);
  SSL_CTX_free(static_cast<SSL_CTX*>(m_ssl_ctx));
}

std::string FakeApiServer::host() const
{
  return m_family == Family::ipv4 ? "127.0.0.1" : "::1";
}

void FakeApiServer::set_token(const std::string& token)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  m_token = token;
}

void FakeApiServer::script(const std::vector<int>& statuses, const std::string& retry_after)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  m_script.assign(statuses.begin(), statuses.end());
  m_retry_after = retry_after;
}

std::vector<ReceivedRequest> FakeApiServer::requests() const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_requests;
}

void FakeApiServer::serve()
{
  // A client that gives up (its deadline passed, its test is done) closes
  // its end while an answer is on the way. A real API server shrugs that
  // off; here the write would raise SIGPIPE and kill the whole test binary
  // (it did, once, under load). Blocked in this thread, the only one that
  // writes to a socket, a write's SIGPIPE (sent to the writing thread) is
  // never delivered and the write fails with EPIPE instead.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  while (!m_stop) {
    pollfd pfd{m_listener, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) {
      continue;
    }
    int fd = accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      handle(fd);
      close(fd);
    }
  }
}

// One request per connection ("Connection: close"), handled on the
// server's thread; reads time out after 3 s so the destructor never waits
// long for a client that went quiet.
void FakeApiServer::handle(int fd)
{
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(m_ssl_ctx));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {  // a client that does not trust our CA stops here
    ++m_failed_handshakes;
    SSL_free(ssl);
    return;
  }
  std::string data;
  char buffer[16384];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  while (!m_stop) {
    int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    data.append(buffer, static_cast<size_t>(n));
    if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
      ReceivedRequest probe;
      parse_head(data.substr(0, header_end), probe);
      std::string length = probe.header("content-length");
      content_length = length.empty() ? 0 : std::stoul(length);
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) {
      break;
    }
  }
  if (header_end != std::string::npos) {
    ReceivedRequest request;
    parse_head(data.substr(0, header_end), request);
    request.body = data.substr(header_end + 4, content_length);
    if (m_silent) {
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_requests.push_back(request);
      }
      while (m_silent && !m_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    } else {
      std::string retry_after;
      request = answer(request, retry_after);
      std::string body =
        request.status < 300
          ? "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}"
          : "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":" +
              web::json::value::string(request.problem).serialize() + ",\"code\":" + std::to_string(request.status) +
              "}";
      std::string reply = "HTTP/1.1 " + std::to_string(request.status) +
                          " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n" + (retry_after.empty() ? "" : "Retry-After: " + retry_after + "\r\n") +
                          "\r\n" + body;
      {
        // Recorded before answering: once the client has its answer, the
        // test may look.
        std::lock_guard<std::mutex> lock(m_mutex);
        m_requests.push_back(request);
      }
      SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
    }
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
}

ReceivedRequest FakeApiServer::answer(ReceivedRequest r, std::string& retry_after)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  auto refuse = [&](int status, const std::string& problem) {
    r.status = status;
    r.problem = problem;
    return r;
  };
  if (!m_script.empty()) {
    int status = m_script.front();
    m_script.pop_front();
    if (status == 429) {
      retry_after = m_retry_after;
    }
    return refuse(status, "scripted response");
  }
  if (r.header("authorization") != "Bearer " + m_token) {
    return refuse(401, "Unauthorized");
  }
  static const std::regex pod_path("^/api/v1/namespaces/([a-z0-9-]+)/pods/([a-z0-9.-]+)$");
  static const std::regex event_path("^/apis/events\\.k8s\\.io/v1/namespaces/([a-z0-9-]+)/events$");
  std::smatch match;
  const std::string content_type = r.header("content-type");
  auto media_type = content_type.substr(0, content_type.find(';'));

  if (std::regex_match(r.path, match, pod_path)) {
    if (r.method != "PATCH") {
      return refuse(405, "MethodNotAllowed");
    }
    if (media_type != "application/merge-patch+json") {
      return refuse(415, "the body of the request was in an unknown format - accepted media types include: "
                         "application/json-patch+json, application/merge-patch+json, "
                         "application/apply-patch+yaml");
    }
    web::json::value body;
    try {
      body = web::json::value::parse(r.body);
    } catch (const std::exception& e) {
      return refuse(400, std::string("invalid JSON: ") + e.what());
    }
    // lockstep's patch touches metadata.annotations and nothing else.
    if (!body.is_object() || body.size() != 1 || !body.has_field("metadata") || !body.at("metadata").is_object() ||
        body.at("metadata").size() != 1 || !body.at("metadata").has_field("annotations") ||
        !body.at("metadata").at("annotations").is_object()) {
      return refuse(422, "expected exactly {\"metadata\":{\"annotations\":{...}}}");
    }
    size_t total = 0;
    for (const auto& [key, value] : body.at("metadata").at("annotations").as_object()) {
      if (!value.is_string() && !value.is_null()) {
        return refuse(400, "metadata.annotations." + key + ": expected a string");
      }
      if (!kubernetes_accepts_annotation_key(key)) {
        return refuse(422, "metadata.annotations: Invalid value: \"" + key + "\": name part must consist of "
                           "alphanumeric characters, '-', '_' or '.'");
      }
      total += key.size() + (value.is_string() ? value.as_string().size() : 0);
    }
    if (total > 256 * 1024) {
      return refuse(422, "metadata.annotations: Too long: must have at most 262144 bytes");
    }
    return refuse(200, "");
  }

  if (std::regex_match(r.path, match, event_path)) {
    const std::string ns = match[1];
    if (r.method != "POST") {
      return refuse(405, "MethodNotAllowed");
    }
    if (media_type != "application/json") {
      return refuse(415, "Unsupported Media Type: " + content_type);
    }
    web::json::value body;
    try {
      body = web::json::value::parse(r.body);
    } catch (const std::exception& e) {
      return refuse(400, std::string("invalid JSON: ") + e.what());
    }
    if (string_at(body, "apiVersion") != "events.k8s.io/v1" || string_at(body, "kind") != "Event") {
      return refuse(400, "wrong apiVersion or kind");
    }
    if (!body.has_field("metadata") || !(has_string(body.at("metadata"), "name") ||
                                         has_string(body.at("metadata"), "generateName"))) {
      return refuse(422, "metadata.name: Required value: name or generateName is required");
    }
    const auto& meta = body.at("metadata");
    if (meta.has_field("namespace") && string_at(meta, "namespace") != ns) {
      return refuse(400, "the namespace of the provided object does not match the namespace sent on the request");
    }
    for (const char* key : {"eventTime", "reportingController", "reportingInstance", "action", "reason", "type"}) {
      if (!has_string(body, key)) {
        return refuse(422, std::string(key) + ": Required value");
      }
    }
    static const std::regex micro_time("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$");
    if (!std::regex_match(string_at(body, "eventTime"), micro_time)) {
      return refuse(400, "eventTime: cannot parse \"" + string_at(body, "eventTime") + "\" as a MicroTime");
    }
    std::string type = string_at(body, "type");
    if (type != "Normal" && type != "Warning") {
      return refuse(422, "type: Unsupported value: \"" + type + "\"");
    }
    if (!kubernetes_accepts_annotation_key(string_at(body, "reportingController"))) {
      return refuse(422, "reportingController: Invalid value");
    }
    for (const char* key : {"reportingInstance", "action", "reason"}) {
      if (string_at(body, key).size() > 128) {
        return refuse(422, std::string(key) + ": Too long: may not be longer than 128");
      }
    }
    if (body.has_field("note") && (!body.at("note").is_string() || body.at("note").as_string().size() > 1024)) {
      return refuse(422, "note: Too long: may not be longer than 1024");
    }
    if (!body.has_field("regarding")) {
      return refuse(422, "regarding: Required value");
    }
    const auto& regarding = body.at("regarding");
    if (string_at(regarding, "apiVersion") != "v1" || string_at(regarding, "kind") != "Pod" ||
        !has_string(regarding, "name")) {
      return refuse(422, "regarding: Invalid value: expected a v1 Pod with a name");
    }
    if (string_at(regarding, "namespace") != ns) {
      return refuse(422, "regarding.namespace: Invalid value: does not match event.namespace");
    }
    return refuse(201, "");
  }
  return refuse(404, "the server could not find the requested resource");
}

} // namespace lockstep::test

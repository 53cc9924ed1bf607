#include "support/fake_apiserver.hpp"

#include "report/reporter.hpp"

#include <cpprest/json.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <regex>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace lockstep::test {

namespace {

std::string header_value(const std::string& head, const std::string& name)
{
  std::string lower_head = head;
  for (auto& c : lower_head) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string key = "\r\n" + name + ":";
  size_t pos = lower_head.find(key);
  if (pos == std::string::npos) {
    return "";
  }
  size_t start = pos + key.size();
  size_t end = head.find("\r\n", start);
  std::string value = head.substr(start, end - start);
  value.erase(0, value.find_first_not_of(' '));
  return value;
}

bool is_string(const web::json::value& v, const char* key)
{
  return v.has_field(key) && v.at(key).is_string() && !v.at(key).as_string().empty();
}

} // namespace

void make_test_certificates(const std::string& dir)
{
  std::string cmd = "cd '" + dir + "' && "
                    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
                    "-out ca.crt -days 2 -subj /CN=lockstep-test-ca 2>/dev/null && "
                    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
                    "-out server.csr -subj /CN=127.0.0.1 2>/dev/null && "
                    "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
                    "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
                    "-days 2 -extfile san.ext 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    throw std::runtime_error("openssl could not make the test certificates in " + dir);
  }
}

FakeApiServer::FakeApiServer(const std::string& cert_dir, std::string token)
  : m_cert_dir(cert_dir), m_token(std::move(token))
{
  make_test_certificates(cert_dir);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_file(ctx, (cert_dir + "/server.crt").c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, (cert_dir + "/server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx);
    throw std::runtime_error("cannot load the test server certificate");
  }
  m_ssl_ctx = ctx;
  m_listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(m_listener, 16) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len);
  m_port = ntohs(addr.sin_port);
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

void FakeApiServer::set_token(const std::string& token)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  m_token = token;
}

void FakeApiServer::fail_next(int count, int status)
{
  std::lock_guard<std::mutex> lock(m_mutex);
  m_fail_count = count;
  m_fail_status = status;
}

std::vector<ReceivedRequest> FakeApiServer::requests() const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_requests;
}

void FakeApiServer::serve()
{
  while (!m_stop) {
    pollfd pfd{m_listener, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) {
      continue;
    }
    int fd = accept(m_listener, nullptr, nullptr);
    if (fd >= 0) {
      handle(fd);
      close(fd);
    }
  }
}

void FakeApiServer::handle(int fd)
{
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(m_ssl_ctx));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {  // a client that does not trust our CA stops here
    SSL_free(ssl);
    return;
  }
  std::string data;
  char buffer[4096];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  for (;;) {
    int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    data.append(buffer, static_cast<size_t>(n));
    if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
      std::string length = header_value(data.substr(0, header_end), "content-length");
      content_length = length.empty() ? 0 : std::stoul(length);
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) {
      break;
    }
  }
  if (header_end != std::string::npos) {
    std::string head = data.substr(0, header_end);
    ReceivedRequest request;
    size_t sp1 = head.find(' ');
    size_t sp2 = head.find(' ', sp1 + 1);
    request.method = head.substr(0, sp1);
    request.path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    request.content_type = header_value(head, "content-type");
    request.authorization = header_value(head, "authorization");
    request.body = data.substr(header_end + 4, content_length);
    request = check(request);
    std::string body = request.status < 300 ? "{\"kind\":\"Status\",\"status\":\"Success\"}"
                                            : "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":" +
                                                web::json::value::string(request.problem).serialize() + "}";
    std::string reply = "HTTP/1.1 " + std::to_string(request.status) + " X\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
    std::lock_guard<std::mutex> lock(m_mutex);
    m_requests.push_back(request);
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
}

ReceivedRequest FakeApiServer::check(ReceivedRequest r) const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  auto refuse = [&](int status, const std::string& problem) {
    r.status = status;
    r.problem = problem;
    return r;
  };
  if (m_fail_count > 0) {
    const_cast<FakeApiServer*>(this)->m_fail_count--;
    return refuse(m_fail_status, "scripted failure");
  }
  if (r.authorization != "Bearer " + m_token) {
    return refuse(401, "Unauthorized");
  }
  static const std::regex pod_path("^/api/v1/namespaces/([a-z0-9-]+)/pods/([a-z0-9.-]+)$");
  static const std::regex event_path("^/apis/events\\.k8s\\.io/v1/namespaces/([a-z0-9-]+)/events$");
  web::json::value body;
  try {
    body = web::json::value::parse(r.body);
  } catch (const std::exception& e) {
    return refuse(400, std::string("invalid JSON: ") + e.what());
  }
  if (r.method == "PATCH" && std::regex_match(r.path, pod_path)) {
    if (r.content_type.rfind("application/merge-patch+json", 0) != 0) {
      return refuse(415, "Unsupported Media Type: " + r.content_type);
    }
    if (!body.has_field("metadata") || !body.at("metadata").has_field("annotations") ||
        !body.at("metadata").at("annotations").is_object()) {
      return refuse(422, "metadata.annotations missing");
    }
    for (const auto& [key, value] : body.at("metadata").at("annotations").as_object()) {
      if (!value.is_string()) {
        return refuse(422, "annotation " + key + " is not a string");
      }
      if (!report::valid_annotation_key(key)) {
        return refuse(422, "metadata.annotations: Invalid value: \"" + key + "\"");
      }
    }
    return refuse(200, "");
  }
  if (r.method == "POST" && std::regex_match(r.path, event_path)) {
    if (r.content_type.rfind("application/json", 0) != 0) {
      return refuse(415, "Unsupported Media Type: " + r.content_type);
    }
    static const std::regex micro_time("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$");
    for (const char* key : {"eventTime", "reportingController", "reportingInstance", "action", "reason", "type"}) {
      if (!is_string(body, key)) {
        return refuse(422, std::string(key) + ": Required value");
      }
    }
    if (body.at("apiVersion").as_string() != "events.k8s.io/v1" || body.at("kind").as_string() != "Event") {
      return refuse(400, "wrong apiVersion or kind");
    }
    if (!std::regex_match(body.at("eventTime").as_string(), micro_time)) {
      return refuse(422, "eventTime: Invalid value: not a MicroTime");
    }
    std::string type = body.at("type").as_string();
    if (type != "Normal" && type != "Warning") {
      return refuse(422, "type: Unsupported value");
    }
    if (body.has_field("note") && body.at("note").as_string().size() > 1024) {
      return refuse(422, "note: Too long");
    }
    if (!body.has_field("regarding") || !is_string(body.at("regarding"), "name") ||
        body.at("regarding").at("kind").as_string() != "Pod") {
      return refuse(422, "regarding: Required value");
    }
    return refuse(201, "");
  }
  return refuse(404, "Not Found");
}

} // namespace lockstep::test

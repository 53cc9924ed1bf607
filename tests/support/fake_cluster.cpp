#include "support/fake_cluster.hpp"

namespace lockstep::test {

FakeCluster::FakeCluster(const std::string& token, std::string pod, std::string ns)
  : api(certs.path(), token), m_pod(std::move(pod)), m_namespace(std::move(ns))
{
  account.write("token", token + "\n");
  account.write("ca.crt", read_text(api.ca_path()));
}

std::map<std::string, std::string> FakeCluster::pod_env(const PodReporting& reporting) const
{
  return {{"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
          {"KUBERNETES_SERVICE_PORT", std::to_string(reporting.port == 0 ? api.port() : reporting.port)},
          {"POD_NAME", m_pod},
          {"POD_NAMESPACE", m_namespace},
          {"LOCKSTEP_SERVICEACCOUNT_DIR", account.path()},
          {"LOCKSTEP_KUBERNETES_ANNOTATE", reporting.annotate},
          {"LOCKSTEP_KUBERNETES_EVENTS", "true"},
          {"LOCKSTEP_KUBERNETES_REPORT_TIMEOUT", reporting.budget},
          {"LOCKSTEP_TERMINATION_LOG", reporting.termination_log}};
}

std::vector<std::string> FakeCluster::event_bodies(const std::string& reason) const
{
  std::vector<std::string> bodies;
  for (const auto& r : api.requests()) {
    if (r.method == "POST" && r.status < 300 && r.body.find("\"reason\":\"" + reason + "\"") != std::string::npos) {
      bodies.push_back(r.body);
    }
  }
  return bodies;
}

std::string FakeCluster::everything_received() const
{
  std::string all;
  for (const auto& r : api.requests()) {
    all += r.path + "\n" + r.body + "\n";
  }
  return all;
}

} // namespace lockstep::test

// A pod in a cluster whose API server is the local FakeApiServer: the
// server (its certificates in a folder of their own), the mounted
// service-account folder (token and ca.crt, trusting that server), and the
// environment the pod's lockstep sees, with Kubernetes reporting on
// (annotations, Events, the termination message). What the kube and fleet
// end-to-end tests share; each adds its own database and migrations.
#pragma once

#include "support/fake_apiserver.hpp"
#include "support/test_env.hpp"

#include <map>
#include <string>
#include <vector>

namespace lockstep::test {

struct PodReporting {
  std::string annotate = "best-effort";  // LOCKSTEP_KUBERNETES_ANNOTATE: off, best-effort, required
  std::string budget = "20s";            // LOCKSTEP_KUBERNETES_REPORT_TIMEOUT
  std::string termination_log;           // LOCKSTEP_TERMINATION_LOG
  int port = 0;                          // KUBERNETES_SERVICE_PORT; 0: the fake server's
};

class FakeCluster {
public:
  // The service account's token is `token` (the server requires it), the
  // pod is `pod` in `ns`.
  FakeCluster(const std::string& token, std::string pod, std::string ns);

  // KUBERNETES_SERVICE_HOST/PORT, POD_NAME, POD_NAMESPACE,
  // LOCKSTEP_SERVICEACCOUNT_DIR, Events on, and `reporting`'s settings.
  std::map<std::string, std::string> pod_env(const PodReporting& reporting) const;
  // The bodies of the Events with this reason that the server accepted.
  std::vector<std::string> event_bodies(const std::string& reason) const;
  // Every request's path and body the server received, for leak checks.
  std::string everything_received() const;

  TempDir certs;
  TempDir account;  // the mounted service-account folder: token and ca.crt
  FakeApiServer api;

private:
  std::string m_pod;
  std::string m_namespace;
};

} // namespace lockstep::test

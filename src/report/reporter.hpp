// Reporting a run back to Kubernetes (DESIGN.md, "Reporting back to
// Kubernetes"):
//   - always: the one-line JSON termination message (summary.hpp);
//   - kubernetes.annotate: the pod's own annotations, <prefix>/status
//     (running | succeeded | failed), /revision, /applied, /finished-at,
//     /error, /run-id; "running" when work starts;
//   - kubernetes.events: an events.k8s.io/v1 Event about the pod.
// Modes: off; best-effort logs a failure once and carries on; required turns
// a failure into exit 1, and fails before migrating when the pod cannot be
// reached at all. Reporting never holds a pod for longer than `budget`.
#pragma once

#include "report/summary.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace lockstep::kube {
class Client;
}

namespace lockstep::report {

enum class Mode { off, best_effort, required };

struct Settings {
  std::string termination_log;  // empty: /dev/termination-log when it exists and is writable
  Mode annotate = Mode::off;
  std::string annotation_prefix = "lockstep.dev";
  bool events = false;
  std::chrono::milliseconds budget{15'000};
};

class Reporter {
public:
  Reporter(Settings settings, const std::map<std::string, std::string>& env);
  ~Reporter();

  const std::string& run_id() const { return m_run_id; }

  // Marks the pod "running". In required mode, throws Error(internal)
  // before any migration when the pod cannot be annotated.
  void started(const std::string& command);

  // Writes the termination message and reports the outcome. Returns the
  // exit code to use: the summary's, or 1 when required reporting failed.
  int finished(const RunSummary& summary);

private:
  bool reporting_to_pod() const;
  void failed_to_report(const std::string& what);

  Settings m_settings;
  std::string m_run_id;
  std::unique_ptr<kube::Client> m_client;
  std::string m_unavailable;  // why there is no client
  bool m_warned = false;
  bool m_failed = false;
};

// True when `key` is a valid annotation key: an optional DNS-subdomain
// prefix and "/", then a name of at most 63 characters of [A-Za-z0-9-_.]
// that starts and ends with an alphanumeric.
bool valid_annotation_key(const std::string& key);

} // namespace lockstep::report

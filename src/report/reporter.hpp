// Reporting a run back to Kubernetes (README.md, "Reporting back to
// Kubernetes"):
//   - always: the one-line JSON termination message (summary.hpp), written
//     to Settings::termination_log, else /dev/termination-log when it exists
//     and is writable, else nowhere;
//   - kubernetes.annotate: the pod's own annotations, <prefix>/status
//     (running | succeeded | failed), /revision (the heads, comma-joined),
//     /applied (a count), /finished-at (RFC 3339), /error (short, on failure;
//     removed otherwise), /run-id, /command; "running" when work starts;
//   - kubernetes.events: one events.k8s.io/v1 Event about the pod per run,
//     reason Migrated | NothingToDo | MigrationFailed, type Normal | Warning;
//     a fleet run (RunSummary::fleet) adds one TargetFailed Event (Warning)
//     per failed target, the first kMaxTargetEvents of them, after its total.
// Modes (Settings::annotate; they also govern Events):
//   off          nothing but the termination message (events still follow
//                Settings::events, best-effort);
//   best_effort  a failure to report is logged once and the run carries on;
//   required     started() throws Error(internal) before anything runs when
//                the pod cannot be annotated (not in a cluster, POD_NAME /
//                POD_NAMESPACE or service-account files missing, the API
//                refuses); a failure in finished() turns a successful run's
//                exit 0 into exit 1 (a failed run keeps its own code).
// Budget: started() and finished() together spend at most Settings::budget
// talking to the API server, retries included.
// Only runs announced with started() are reported to the pod; finished()
// alone writes just the termination message (e.g. `current`, `history`).
// finished() never throws. The token never appears in logs or messages.
#pragma once

#include "report/summary.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace lockstep::kube {
class Client;
}

namespace lockstep::report {

enum class Mode { off, best_effort, required };

// A fleet of 10,000 failing targets must not flood the API server: at most
// this many TargetFailed Events per run (the total Event counts them all).
constexpr int kMaxTargetEvents = 20;

struct Settings {
  using Annotate = Mode;        // Settings::Annotate::required reads as in the config
  std::string termination_log;  // empty: /dev/termination-log when it exists and is writable
  Mode annotate = Mode::off;
  std::string annotation_prefix = "lockstep.dev";
  bool events = false;
  std::chrono::milliseconds budget{15'000};  // all talking to the API server, retries included
};

class Reporter {
public:
  // `env` is the process environment (KUBERNETES_SERVICE_HOST/_PORT,
  // POD_NAME, POD_NAMESPACE, POD_UID, LOCKSTEP_SERVICEACCOUNT_DIR); nothing
  // here calls getenv. Throws Error(usage) when annotate is on and the
  // prefix does not make valid annotation keys.
  Reporter(Settings settings, const std::map<std::string, std::string>& env);
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // 16 hex characters, new for every Reporter; used in the termination
  // message and the run-id annotation (RunSummary::run_id is ignored).
  const std::string& run_id() const { return m_run_id; }

  // Announces a run that changes the database: annotates the pod
  // "running" (and removes a previous attempt's error and finished-at).
  // required mode: throws Error(internal) when that fails.
  void started(const std::string& command);

  // Writes the termination message and reports the outcome. Returns the
  // exit code to use: the summary's, or 1 when it was 0 and required
  // reporting failed (the termination message then says so).
  int finished(const RunSummary& summary);

private:
  bool reporting_to_pod() const { return m_settings.annotate != Mode::off || m_settings.events; }
  std::chrono::steady_clock::time_point deadline() const;
  void failed_to_report(const std::string& what);
  void report_to_pod(const RunSummary& summary);

  Settings m_settings;
  std::string m_run_id;
  std::unique_ptr<kube::Client> m_client;
  std::string m_unavailable;  // why there is no client
  std::chrono::milliseconds m_spent{0};
  bool m_started = false;
  bool m_warned = false;
  bool m_failed = false;
  std::string m_first_failure;
};

// True when `key` is a valid annotation key: an optional DNS-subdomain
// prefix (at most 253 characters) and "/", then a name of at most 63
// characters of [A-Za-z0-9-_.] that starts and ends alphanumeric.
bool valid_annotation_key(const std::string& key);

} // namespace lockstep::report

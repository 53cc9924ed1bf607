#include "report/reporter.hpp"

#include "kube/client.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/random_hex.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <unistd.h>

namespace lockstep::report {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool alnum(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool valid_dns_label(const std::string& label)
{
  if (label.empty() || label.size() > 63 || !alnum(label.front()) || !alnum(label.back())) {
    return false;
  }
  for (char c : label) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

bool valid_dns_subdomain(const std::string& s)
{
  if (s.empty() || s.size() > 253) {
    return false;
  }
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    if (!valid_dns_label(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) {
      return false;
    }
    if (dot == std::string::npos) {
      return true;
    }
    start = dot + 1;
  }
}

std::string default_termination_log()
{
  const char* path = "/dev/termination-log";
  return access(path, W_OK) == 0 ? path : "";
}

std::string heads_text(const std::vector<std::string>& heads)
{
  return heads.empty() ? "base" : util::join(heads, ", ");
}

// Adds the time spent in its scope to `spent`.
class Spending {
public:
  explicit Spending(milliseconds& spent) : m_spent(spent), m_start(Clock::now()) {}
  ~Spending() { m_spent += std::chrono::duration_cast<milliseconds>(Clock::now() - m_start); }
  Spending(const Spending&) = delete;
  Spending& operator=(const Spending&) = delete;

private:
  milliseconds& m_spent;
  Clock::time_point m_start;
};

kube::Event event_for(const RunSummary& s, const std::string& short_error)
{
  kube::Event event;
  event.action = "Migrate";
  const bool ok = s.status == "succeeded";
  event.type = ok ? "Normal" : "Warning";
  std::string note;
  if (!ok) {
    event.reason = "MigrationFailed";
    note = s.command + " failed";
    if (!s.failed_revision.empty()) {
      note += " at revision " + s.failed_revision;
    }
    note += " (exit " + std::to_string(s.exit_code) + (s.sqlstate.empty() ? "" : ", SQLSTATE " + s.sqlstate) +
            "): " + short_error;
  } else if (s.nothing_to_do || s.applied.empty()) {
    event.reason = "NothingToDo";
    note = s.command + ": nothing to do";
  } else {
    event.reason = "Migrated";
    note = s.command + ": ran " + std::to_string(s.applied.size()) + " revision(s) in " +
           std::to_string(s.duration_ms) + " ms (" + shorten(util::join(s.applied, ", "), 400) + ")";
  }
  note += "; the database is at " + shorten(heads_text(s.to), 300);
  event.note = shorten(valid_utf8(note), 1024);
  return event;
}

// A fleet run's total: the counts, and how many failures have an Event of
// their own.
kube::Event fleet_event_for(const RunSummary& s)
{
  const FleetTotals& f = *s.fleet;
  kube::Event event;
  event.action = "Migrate";
  const bool ok = s.status == "succeeded";
  event.type = ok ? "Normal" : "Warning";
  event.reason = ok ? "Migrated" : "MigrationFailed";
  std::string note = s.command + " across " + std::to_string(f.targets) + " target(s): " +
                     std::to_string(f.succeeded) + " succeeded, " + std::to_string(f.failed) + " failed, " +
                     std::to_string(f.skipped) + " skipped (exit " + std::to_string(s.exit_code) + ")";
  if (f.failed > kMaxTargetEvents) {
    note += "; the first " + std::to_string(kMaxTargetEvents) + " failures have a TargetFailed Event each, the "
            "termination message and the log list the others";
  }
  if (!ok && !s.error.empty()) {
    note += ": " + s.error;
  }
  event.note = shorten(valid_utf8(note), 1024);
  return event;
}

kube::Event target_event_for(const std::string& failure)
{
  kube::Event event;
  event.action = "Migrate";
  event.type = "Warning";
  event.reason = "TargetFailed";
  event.note = shorten(valid_utf8(failure), 1024);
  return event;
}

} // namespace

bool valid_annotation_key(const std::string& key)
{
  size_t slash = key.find('/');
  std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (slash != std::string::npos && !valid_dns_subdomain(key.substr(0, slash))) {
    return false;
  }
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  for (char c : name) {
    if (!(alnum(c) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

Reporter::Reporter(Settings settings, const std::map<std::string, std::string>& env)
  : m_settings(std::move(settings)), m_run_id(util::random_hex(8))
{
  if (m_settings.termination_log.empty()) {
    m_settings.termination_log = default_termination_log();
  }
  if (!reporting_to_pod()) {
    return;
  }
  if (m_settings.annotate != Mode::off && !valid_annotation_key(m_settings.annotation_prefix + "/finished-at")) {
    throw_usage("kubernetes.annotation_prefix '" + m_settings.annotation_prefix +
                "' does not make valid annotation keys: use a DNS subdomain such as lockstep.dev");
  }
  std::string why_not;
  if (auto config = kube::in_cluster_config(env, why_not)) {
    m_client = std::make_unique<kube::Client>(*config);
  } else {
    m_unavailable = "cannot reach the pod through the API server: " + why_not;
  }
}

Reporter::~Reporter() = default;

Clock::time_point Reporter::deadline() const
{
  return Clock::now() + std::max(milliseconds(0), m_settings.budget - m_spent);
}

void Reporter::failed_to_report(const std::string& what)
{
  if (!m_failed) {
    m_first_failure = what;
  }
  m_failed = true;
  if (m_warned) {
    return;  // once per run
  }
  m_warned = true;
  if (m_settings.annotate == Mode::required) {
    log::event(log::Level::error, "reporting to Kubernetes failed (kubernetes.annotate: required): " + what);
  } else {
    log::event(log::Level::warn, "reporting to Kubernetes failed (best-effort, carrying on): " + what);
  }
}

void Reporter::started(const std::string& command)
{
  m_started = true;
  if (!reporting_to_pod()) {
    return;
  }
  if (!m_client) {
    failed_to_report(m_unavailable);
  } else if (m_settings.annotate != Mode::off) {
    const std::string& p = m_settings.annotation_prefix;
    Spending spending(m_spent);
    try {
      m_client->annotate_pod({{p + "/status", "running"},
                              {p + "/run-id", m_run_id},
                              {p + "/command", shorten(valid_utf8(command), 256)},
                              {p + "/error", std::nullopt},
                              {p + "/finished-at", std::nullopt}},
                             deadline());
    } catch (const std::exception& e) {
      failed_to_report(e.what());
    }
  }
  if (m_failed && m_settings.annotate == Mode::required) {
    throw Error(ExitCode::internal, "kubernetes.annotate is required and the pod cannot be annotated (" +
                                      m_first_failure + "); nothing was run");
  }
}

void Reporter::report_to_pod(const RunSummary& summary)
{
  if (!m_client) {
    failed_to_report(m_unavailable);
    return;
  }
  Spending spending(m_spent);
  const bool ok = summary.status == "succeeded";
  const std::string short_error = shorten(valid_utf8(summary.error), 256);
  if (m_settings.annotate != Mode::off) {
    const std::string& p = m_settings.annotation_prefix;
    kube::AnnotationPatch annotations{
      {p + "/status", summary.status},
      {p + "/revision", valid_utf8(util::join(summary.to, ","))},
      {p + "/applied", std::to_string(summary.applied.size())},
      {p + "/finished-at", kube::rfc3339_now()},
      {p + "/run-id", m_run_id},
      {p + "/error", ok ? std::nullopt : std::optional<std::string>(short_error)},
    };
    try {
      m_client->annotate_pod(annotations, deadline());
    } catch (const std::exception& e) {
      failed_to_report(e.what());
    }
  }
  if (m_settings.events) {
    try {
      m_client->post_event(summary.fleet ? fleet_event_for(summary) : event_for(summary, short_error), deadline());
      // A fleet's failed targets, one Event each, bounded: what is left of
      // the budget after the total, and kMaxTargetEvents.
      const std::vector<std::string> none;
      const auto& failures = summary.fleet ? summary.fleet->failures : none;
      for (size_t i = 0; i < failures.size() && i < static_cast<size_t>(kMaxTargetEvents); ++i) {
        m_client->post_event(target_event_for(failures[i]), deadline());
      }
    } catch (const std::exception& e) {
      failed_to_report(e.what());
    }
  }
}

int Reporter::finished(const RunSummary& given)
{
  int code = given.exit_code;
  try {
    RunSummary summary = given;
    summary.run_id = m_run_id;
    auto write = [&](const RunSummary& s) {
      if (!m_settings.termination_log.empty() &&
          !write_termination_message(m_settings.termination_log, termination_message(s))) {
        log::event(log::Level::warn, "cannot write the termination message to " + m_settings.termination_log);
      }
    };
    // First, so that a pod killed while reporting still says what happened.
    write(summary);
    if (!m_started || !reporting_to_pod()) {
      return code;
    }
    report_to_pod(summary);
    if (m_failed && m_settings.annotate == Mode::required && code == 0) {
      code = static_cast<int>(ExitCode::internal);
      summary.exit_code = code;
      summary.status = "failed";
      summary.error = "the run succeeded, but reporting to Kubernetes failed (kubernetes.annotate: required): " +
                      m_first_failure;
      write(summary);
    }
  } catch (const std::exception& e) {
    log::event(log::Level::error, std::string("reporting the outcome failed: ") + e.what());
  }
  return code;
}

} // namespace lockstep::report

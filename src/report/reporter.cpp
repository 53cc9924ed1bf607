#include "report/reporter.hpp"

#include "kube/client.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <filesystem>
#include <unistd.h>

namespace lockstep::report {

namespace {

using Clock = std::chrono::steady_clock;

bool alnum(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool valid_dns_subdomain(const std::string& s)
{
  if (s.empty() || s.size() > 253) {
    return false;
  }
  for (const auto& label : util::split_list(s, '.')) {
    if (label.size() > 63 || !alnum(label.front()) || !alnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
        return false;
      }
    }
  }
  return s.front() != '.' && s.back() != '.' && s.find("..") == std::string::npos;
}

std::string default_termination_log()
{
  const char* path = "/dev/termination-log";
  return access(path, W_OK) == 0 ? path : "";
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
  if (m_settings.annotate == Mode::off && !m_settings.events) {
    return;
  }
  if (!valid_annotation_key(m_settings.annotation_prefix + "/status")) {
    throw_usage("kubernetes.annotation_prefix '" + m_settings.annotation_prefix +
                "' does not make valid annotation keys: use a DNS subdomain such as lockstep.dev");
  }
  std::string why_not;
  if (auto config = kube::in_cluster_config(env, why_not)) {
    m_client = std::make_unique<kube::Client>(*config);
  } else {
    m_unavailable = why_not;
  }
}

Reporter::~Reporter() = default;

bool Reporter::reporting_to_pod() const
{
  return m_settings.annotate != Mode::off || m_settings.events;
}

void Reporter::failed_to_report(const std::string& what)
{
  m_failed = true;
  if (m_settings.annotate == Mode::required) {
    log::event(log::Level::error, "reporting to Kubernetes failed: " + what);
  } else if (!m_warned) {
    m_warned = true;
    log::event(log::Level::warn, "reporting to Kubernetes failed (best-effort, carrying on): " + what);
  }
}

void Reporter::started(const std::string& command)
{
  if (!reporting_to_pod()) {
    return;
  }
  if (!m_client) {
    failed_to_report("cannot reach the pod: " + m_unavailable);
  } else if (m_settings.annotate != Mode::off) {
    const std::string& p = m_settings.annotation_prefix;
    try {
      m_client->annotate_pod({{p + "/status", "running"}, {p + "/run-id", m_run_id}, {p + "/command", command}},
                             Clock::now() + m_settings.budget);
    } catch (const kube::RequestFailed& e) {
      failed_to_report(e.what());
    }
  }
  if (m_failed && m_settings.annotate == Mode::required) {
    throw Error(ExitCode::internal, "kubernetes.annotate is required and the pod cannot be annotated; nothing was run");
  }
}

int Reporter::finished(const RunSummary& given)
{
  RunSummary summary = given;
  summary.run_id = m_run_id;
  if (!m_settings.termination_log.empty() &&
      !write_termination_message(m_settings.termination_log, termination_message(summary))) {
    log::event(log::Level::warn, "cannot write the termination message to " + m_settings.termination_log);
  }
  if (!reporting_to_pod() || !m_client) {
    // started() already said why there is no client.
    return m_failed && m_settings.annotate == Mode::required ? static_cast<int>(ExitCode::internal)
                                                              : summary.exit_code;
  }
  const auto deadline = Clock::now() + m_settings.budget;
  const bool ok = summary.status == "succeeded";
  const std::string short_error = shorten(summary.error, 256);
  if (m_settings.annotate != Mode::off) {
    const std::string& p = m_settings.annotation_prefix;
    std::map<std::string, std::string> annotations{
      {p + "/status", summary.status},
      {p + "/revision", util::join(summary.to, ",")},
      {p + "/applied", std::to_string(summary.applied.size())},
      {p + "/finished-at", kube::rfc3339_now()},
      {p + "/run-id", m_run_id},
    };
    if (!ok) {
      annotations[p + "/error"] = short_error;
    }
    try {
      m_client->annotate_pod(annotations, deadline);
    } catch (const kube::RequestFailed& e) {
      failed_to_report(e.what());
    }
  }
  if (m_settings.events) {
    kube::Event event;
    event.action = "Migrate";
    event.reason = !ok ? "MigrationFailed" : summary.nothing_to_do ? "NothingToDo" : "Migrated";
    event.type = ok ? "Normal" : "Warning";
    std::string note = summary.command + ": ";
    note += ok ? (summary.nothing_to_do ? "nothing to do, at " : "applied " + std::to_string(summary.applied.size()) +
                                                                  " revision(s), now at ")
               : "failed at revision " + summary.failed_revision + ": " + short_error + "; at ";
    note += summary.to.empty() ? "base" : util::join(summary.to, ",");
    event.note = shorten(note, 1000);
    try {
      m_client->post_event(event, deadline);
    } catch (const kube::RequestFailed& e) {
      failed_to_report(e.what());
    }
  }
  if (m_failed && m_settings.annotate == Mode::required) {
    return static_cast<int>(ExitCode::internal);
  }
  return summary.exit_code;
}

} // namespace lockstep::report

#include "fleet/runner.hpp"

#include "db/driver.hpp"
#include "fleet/connections.hpp"
#include "fleet/rollout.hpp"
#include "fleet/targets.hpp"
#include "graph/planner.hpp"
#include "migrator/listing.hpp"
#include "migrator/migrator.hpp"
#include "migrator/plan_check.hpp"
#include "migrator/step_script.hpp"
#include "script/directory.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace lockstep::fleet {

namespace {

using Clock = std::chrono::steady_clock;

// What became of one target, printed by name (to_string) in the table, the
// JSON lines and the log.
enum class TargetResult { skipped, upgraded, downgraded, stamped, up_to_date, valid, pending, at, failed };

const char* to_string(TargetResult result)
{
  switch (result) {
  case TargetResult::skipped: return "skipped";
  case TargetResult::upgraded: return "upgraded";
  case TargetResult::downgraded: return "downgraded";
  case TargetResult::stamped: return "stamped";
  case TargetResult::up_to_date: return "up-to-date";
  case TargetResult::valid: return "valid";
  case TargetResult::pending: return "pending";
  case TargetResult::at: return "at";
  case TargetResult::failed: return "failed";
  }
  return "unknown";
}

struct Result {
  TargetResult result = TargetResult::skipped;
  int exit_code = 0;
  std::vector<std::string> from, to, applied;
  std::string error;
  long long duration_ms = 0;
  bool started = false;
};

std::string rows_text(const std::vector<std::string>& rows)
{
  return rows.empty() ? "base" : util::join(rows, ",");
}

std::string json_list(const std::vector<std::string>& items)
{
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i > 0 ? "," : "") + log::json_quote(items[i]);
  }
  return out + "]";
}

std::string first_line(const std::string& text)
{
  return text.substr(0, text.find('\n'));
}

// Runs the request on one target; never throws.
Result run_one(const Target& target, const std::vector<script::Revision>& files, const Request& request)
{
  log::ThreadFields tag({log::str("target", target.id)});
  Result r;
  r.started = true;
  const auto started = Clock::now();
  std::unique_ptr<migrator::Migrator> m;
  try {
    m = std::make_unique<migrator::Migrator>(target.config, files,
                                             db::connect_postgres(target.connection, migrator::table_names_of(target.config),
                                                                  target.config.connect_timeout));
    migrator::RunOptions options;
    options.ignore_checksums = request.ignore_checksums;
    auto take = [&r](const migrator::Outcome& outcome, TargetResult changed) {
      r.from = outcome.from;
      r.to = outcome.to;
      r.applied = outcome.ran;
      r.result = outcome.nothing_to_do || outcome.ran.empty() ? TargetResult::up_to_date : changed;
    };
    if (request.command == "upgrade") {
      take(m->upgrade(request.target.empty() ? "heads" : request.target, options), TargetResult::upgraded);
    } else if (request.command == "downgrade") {
      take(m->downgrade(request.target, options), TargetResult::downgraded);
    } else if (request.command == "stamp") {
      take(m->stamp(request.target, request.purge), TargetResult::stamped);
    } else if (request.command == "validate") {
      migrator::Snapshot snap = m->snapshot();
      r.from = r.to = snap.rows;
      migrator::check_state(snap, false);
      r.result = TargetResult::valid;
    } else {
      const migrator::Status status = migrator::status(*m);  // what `status` shows for one database
      r.from = r.to = status.pending.rows();
      const std::vector<int>& pending = status.pending.nodes();
      r.result = pending.empty() ? TargetResult::up_to_date : TargetResult::pending;
      if (request.command == "status") {
        for (int node : pending) {
          r.applied.push_back(status.pending.catalog().revision(node).id);  // for status: what is pending
        }
        if (!pending.empty()) {
          r.exit_code = static_cast<int>(ExitCode::not_at_head);
        }
      } else {  // current
        r.result = TargetResult::at;
      }
    }
  } catch (const Error& e) {
    r.result = TargetResult::failed;
    r.exit_code = static_cast<int>(e.code());
    r.error = e.what();
  } catch (const std::exception& e) {
    r.result = TargetResult::failed;
    r.exit_code = static_cast<int>(ExitCode::internal);
    r.error = std::string("internal error: ") + e.what();
  }
  if (r.result == TargetResult::failed && m) {
    r.from = m->progress().from;
    r.to = m->progress().to;
    r.applied = m->progress().ran;
  }
  r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  std::vector<log::Field> fields{log::str("result", to_string(r.result)), log::num("exit_code", r.exit_code),
                                 log::num("duration_ms", r.duration_ms)};
  if (r.exit_code != 0 && r.exit_code != static_cast<int>(ExitCode::not_at_head)) {
    log::event(log::Level::error, target.id + " failed: " + r.error, fields);
  } else {
    log::event(log::Level::info, target.id + ": " + to_string(r.result) + " at " + rows_text(r.to), fields);
  }
  return r;
}

class Pool {
public:
  Pool(const config::Config& config, const std::vector<Target>& targets, const std::vector<script::Revision>& files,
       const Request& request, Slots& slots, std::optional<int> budget, std::vector<Result>& results,
       std::ostream& out)
    : m_config(config), m_targets(targets), m_files(files), m_request(request), m_slots(slots), m_budget(budget),
      m_results(results), m_out(out)
  {
  }

  // Runs the targets order[begin, end) on up to effective_parallel threads;
  // returns when all started ones finished.
  void run_stage(const std::vector<size_t>& order, size_t begin, size_t end)
  {
    m_order = &order;
    m_next = begin;
    m_end = end;
    size_t threads = std::min<size_t>(static_cast<size_t>(m_slots.effective_parallel()), end - begin);
    std::vector<std::thread> workers;
    for (size_t i = 0; i < threads; ++i) {
      workers.emplace_back([this] { work(); });
    }
    for (auto& worker : workers) {
      worker.join();
    }
  }

  int failed() const { return m_failed.load(); }
  bool budget_spent() const { return m_budget && m_failed.load() >= *m_budget; }

private:
  void work()
  {
    for (;;) {
      size_t at = m_next.fetch_add(1);
      if (at >= m_end || interrupt::received() != 0 || budget_spent()) {
        return;
      }
      const size_t index = (*m_order)[at];
      if (!m_slots.acquire(index)) {
        return;  // a signal arrived while waiting for a free connection
      }
      Result r = run_one(m_targets[index], m_files, m_request);
      m_slots.release(index);
      if (r.exit_code != 0 && r.exit_code != static_cast<int>(ExitCode::not_at_head)) {
        m_failed.fetch_add(1);
      }
      std::lock_guard<std::mutex> lock(m_mutex);
      m_results[index] = std::move(r);
      if (m_config.log_format == config::LogFormat::json) {
        print_json_line(m_targets[index], m_results[index]);
      }
    }
  }

  void print_json_line(const Target& t, const Result& done)
  {
    m_out << "{\"target\":" << log::json_quote(t.id) << ",\"database\":" << log::json_quote(t.display)
          << ",\"result\":" << log::json_quote(to_string(done.result)) << ",\"exit_code\":" << done.exit_code
          << ",\"from\":" << json_list(done.from) << ",\"to\":" << json_list(done.to)
          << ",\"applied\":" << json_list(done.applied) << ",\"duration_ms\":" << done.duration_ms;
    if (!done.error.empty()) {
      m_out << ",\"error\":" << log::json_quote(done.error);
    }
    m_out << "}\n" << std::flush;
  }

  const config::Config& m_config;
  const std::vector<Target>& m_targets;
  const std::vector<script::Revision>& m_files;
  const Request& m_request;
  Slots& m_slots;
  std::optional<int> m_budget;
  std::vector<Result>& m_results;
  std::ostream& m_out;
  const std::vector<size_t>* m_order = nullptr;
  std::atomic<size_t> m_next{0};
  size_t m_end = 0;
  std::atomic<int> m_failed{0};
  std::mutex m_mutex;
};

int rank(int code)
{
  // Highest first: a signal, then what a human must fix (never retried by a
  // podFailurePolicy), then what a retry may fix.
  static const int kOrder[] = {2, 6, 5, 1, 4, 3, 7, 0};
  if (code > 128) {
    return 100;
  }
  for (int i = 0; i < 8; ++i) {
    if (kOrder[i] == code) {
      return 90 - i;
    }
  }
  return 50;  // unknown codes: between internal error and lock timeout
}

void print_table(const std::vector<Target>& targets, const std::vector<Result>& results, std::ostream& out)
{
  size_t width = 6;
  for (const auto& t : targets) {
    width = std::max(width, t.id.size());
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %-10s  %4s  %-24s  %-24s  %8s  %s\n", static_cast<int>(width), "TARGET",
                "RESULT", "EXIT", "FROM", "TO", "MS", "ERROR");
  out << line;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Result& r = results[i];
    std::snprintf(line, sizeof line, "%-*s  %-10s  %4d  %-24s  %-24s  %8lld  ", static_cast<int>(width),
                  targets[i].id.c_str(), to_string(r.result), r.exit_code, r.started ? rows_text(r.from).c_str() : "-",
                  r.started ? rows_text(r.to).c_str() : "-", r.duration_ms);
    out << line << first_line(r.error).substr(0, 160) << "\n";
  }
}

// What is refused before anything connects (exit 2).
void refuse_what_cannot_resume(const Request& request)
{
  if (request.command == "repair" || request.command == "wait") {
    throw_usage("'" + request.command + "' runs on one database at a time: unset fleet_file / fleet_schemas / "
                "fleet_query and set database_url to the database" +
                (request.command == "repair" ? " a human has fixed" : " to wait for"));
  }
  if (request.sql) {
    throw_usage("--sql prints one database's SQL without connecting, and does not run across a fleet: unset "
                "fleet_file / fleet_schemas / fleet_query to print it (every target runs the same SQL)");
  }
  if (request.target.find(':') != std::string::npos) {
    throw_usage("a 'from:to' range is only valid with --sql, which does not run across a fleet");
  }
  if (relative_target(request.target)) {
    throw_usage("'" + request.command + " " + request.target + "' moves each target relative to where it is, so "
                "re-running it (the way a fleet resumes) would move targets that already moved: name a revision, "
                "a branch label, heads or base instead");
  }
}

// validate's checks of the files, once for the whole fleet: every step
// parses by the rules upgrade applies, and --single-head.
void validate_files(const config::Config& config, const std::vector<script::Revision>& files, const Request& request)
{
  migrator::Catalog catalog(files);
  const graph::RevisionGraph& graph = catalog.graph();
  const size_t statements = migrator::check_all_steps(catalog, migrator::table_names_of(config));
  const std::vector<std::string> heads = migrator::ids_of(graph, graph.heads());
  log::event(log::Level::info, "fleet: " + std::to_string(graph.size()) + " revision(s), " +
                                 std::to_string(statements) + " statement(s) parse; " + std::to_string(heads.size()) +
                                 " head(s): " + rows_text(heads));
  if (request.single_head && heads.size() > 1) {
    throw_usage("the graph has " + std::to_string(heads.size()) + " heads (" + util::join(heads, ", ") +
                "); merge them with: lockstep merge -m \"merge heads\" " + util::join(heads, " "));
  }
}

std::string percent_text(double percent)
{
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", percent);
  return text;
}

} // namespace

bool applies_to(const std::string& command)
{
  for (const char* name : {"upgrade", "downgrade", "current", "stamp", "status", "validate", "repair", "wait"}) {
    if (command == name) {
      return true;
    }
  }
  return false;
}

int worst_exit_code(int a, int b)
{
  return rank(b) > rank(a) ? b : a;
}

int run(const config::Config& config, const config::Environment& env, const Request& request, std::ostream& out,
        report::RunSummary& summary)
{
  refuse_what_cannot_resume(request);
  const std::vector<script::Revision> files = script::load_directory(config.migrations);
  if (request.command == "validate") {
    validate_files(config, files, request);
  }
  std::vector<Target> targets = load_targets(config, env);
  const RunOrder order = run_order(targets, config);
  const std::optional<int> budget = failure_budget(config, targets.size());
  Slots slots(targets, config);
  log::event(log::Level::info,
             "fleet: " + request.command + " on " + std::to_string(targets.size()) + " target(s)" +
               (config.shard_index ? " (shard " + std::to_string(*config.shard_index) + " of " +
                                       std::to_string(config.shard_count) + ")"
                                   : "") +
               ", " + std::to_string(slots.effective_parallel()) + " at once" +
               (order.canary > 0 ? ", " + std::to_string(order.canary) + " canary target(s) first" : "") +
               (budget ? ", stopping after " + std::to_string(*budget) + " failed target(s)" : ""),
             {log::num("targets", static_cast<long long>(targets.size())), log::num("parallel", config.parallel),
              log::num("effective_parallel", slots.effective_parallel())});

  std::vector<Result> results(targets.size());
  Pool pool(config, targets, files, request, slots, budget, results, out);
  bool canary_failed = false;
  if (order.canary > 0) {
    pool.run_stage(order.order, 0, order.canary);
    canary_failed = pool.failed() > 0;
    if (canary_failed) {
      log::event(log::Level::error, "fleet: a canary target failed; the other " +
                                      std::to_string(targets.size() - order.canary) + " target(s) are not started");
    }
  }
  if (!canary_failed && interrupt::received() == 0) {
    pool.run_stage(order.order, order.canary, targets.size());
  }

  report::FleetTotals totals;
  totals.targets = static_cast<int>(targets.size());
  int code = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Result& r = results[i];
    code = worst_exit_code(code, r.exit_code);
    if (!r.started) {
      ++totals.skipped;
    } else if (r.exit_code != 0 && r.exit_code != static_cast<int>(ExitCode::not_at_head)) {
      ++totals.failed;
      totals.failures.push_back(targets[i].id + ": exit " + std::to_string(r.exit_code) + ": " + r.error);
    } else {
      ++totals.succeeded;
    }
  }
  if (interrupt::received() != 0) {
    code = worst_exit_code(code, 128 + interrupt::received());
  }
  if (budget && totals.failed >= *budget && totals.skipped > 0) {
    log::event(log::Level::error, "fleet: " + std::to_string(totals.failed) + " target(s) failed (max_failures " +
                                    (config.max_failures_percent ? percent_text(*config.max_failures_percent) +
                                                                     " of " + std::to_string(totals.targets) + " = "
                                                                 : std::string()) +
                                    std::to_string(*budget) + "): " + std::to_string(totals.skipped) +
                                    " target(s) not started");
  }

  if (config.log_format == config::LogFormat::json) {
    out << "{\"fleet\":{\"targets\":" << totals.targets << ",\"succeeded\":" << totals.succeeded
        << ",\"failed\":" << totals.failed << ",\"skipped\":" << totals.skipped << "},\"exit_code\":" << code
        << "}\n";
  } else {
    print_table(targets, results, out);
    const auto pending = std::count_if(results.begin(), results.end(), [](const Result& r) { return r.result == TargetResult::pending; });
    out << totals.targets << " target(s): " << totals.succeeded << " succeeded, " << totals.failed << " failed, "
        << totals.skipped << " skipped" << (pending > 0 ? ", " + std::to_string(pending) + " not at head" : "") << "\n";
  }
  if (totals.failed > 0) {
    summary.error = std::to_string(totals.failed) + " of " + std::to_string(totals.targets) +
                    " target(s) failed; first: " + totals.failures.front();
  } else if (code > 128) {
    summary.error = "stopped by signal " + std::to_string(code - 128) + "; " + std::to_string(totals.skipped) +
                    " target(s) not started";
  } else if (canary_failed || totals.skipped > 0) {
    summary.error = std::to_string(totals.skipped) + " target(s) not started";
  }
  summary.fleet = std::move(totals);
  return code;
}

} // namespace lockstep::fleet

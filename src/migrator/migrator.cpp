#include "migrator/migrator.hpp"

#include "graph/planner.hpp"
#include "graph/targets.hpp"
#include "migrator/lock.hpp"
#include "migrator/plan_check.hpp"
#include "migrator/step_script.hpp"
#include "util/backoff.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"
#include "util/sql_quote.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace lockstep::migrator {

namespace {

using Clock = std::chrono::steady_clock;

long long elapsed_ms(Clock::time_point since)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

std::string rows_text(const std::vector<std::string>& rows)
{
  return rows.empty() ? "base" : util::join(rows, ", ");
}

[[noreturn]] void refuse_dirty(const db::DirtyState& dirty)
{
  throw_validation("the database is dirty: revision " + dirty.revision + " failed going " + db::to_string(dirty.direction) + " at " +
                   dirty.location + " (" + dirty.error + ") at " + dirty.failed_at + " on " + dirty.run_by +
                   ", and it is not transactional, so part of it may have run. Fix the schema by hand, then run "
                   "'lockstep repair'.");
}

} // namespace

db::ConnectionTarget connection_target(const config::Config& config)
{
  db::ConnectionOptions options;
  options.application_name = "lockstep/" + config.run_by;
  options.password = config.database_password;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(config.connect_timeout).count();
  options.attempt_timeout_seconds = static_cast<int>(std::clamp<long long>(seconds, 2, 10));
  return db::parse_database_url(config.database_url, options);
}

db::TableNames table_names_of(const config::Config& config)
{
  db::TableNames names;
  names.schema = config.version_table_schema;
  names.version_table = config.version_table;
  return names;
}

Migrator::Migrator(config::Config config, std::vector<script::Revision> files, PendingDriver pending)
  : m_config(std::move(config)), m_files(std::move(files)), m_pending(std::move(pending))
{
}

Migrator::Migrator(config::Config config, std::vector<script::Revision> files, std::unique_ptr<db::Driver> driver)
  : m_config(std::move(config)), m_files(std::move(files)), m_driver(std::move(driver))
{
}

PendingDriver Migrator::connect_in_background(const config::Config& config)
{
  db::ConnectionTarget target = connection_target(config);
  std::promise<std::unique_ptr<db::Driver>> promise;
  PendingDriver pending = promise.get_future();
  // Detached: if loading the files fails first, the process exits without
  // waiting for the connection attempts.
  std::thread(
    [target, names = table_names_of(config), timeout = config.connect_timeout](
      std::promise<std::unique_ptr<db::Driver>> result) {
      try {
        result.set_value(db::connect_postgres(target, names, timeout));
      } catch (...) {
        result.set_exception(std::current_exception());
      }
    },
    std::move(promise))
    .detach();
  return pending;
}

Migrator::~Migrator() = default;

db::TableNames Migrator::table_names() const
{
  return table_names_of(m_config);
}

const db::ConnectionTarget& Migrator::target()
{
  if (!m_target) {
    m_target = connection_target(m_config);
  }
  return *m_target;
}

db::Driver& Migrator::driver()
{
  if (!m_driver && m_pending.valid()) {
    m_driver = m_pending.get();  // rethrows what connecting threw
  }
  if (!m_driver) {
    m_driver = db::connect_postgres(target(), table_names(), m_config.connect_timeout);
  }
  return *m_driver;
}

Snapshot Migrator::read()
{
  db::DatabaseState state = driver().read_state();
  Snapshot snap{m_files, {}, state.rows, state.dirty, {}, {}};

  // Applied revisions (or version rows) this folder lacks: fetch what the
  // database remembers of them.
  std::vector<std::string> missing;
  for (const auto& [revision, checksum] : state.checksums) {
    if (!m_files.graph().find(revision)) {
      missing.push_back(revision);
    }
  }
  if (!missing.empty()) {
    snap.catalog.add_database_only(driver().read_applied(missing));
  }

  const graph::RevisionGraph& graph = snap.catalog.graph();
  std::vector<int> row_nodes;
  std::vector<std::string> unknown;
  for (const auto& row : state.rows) {
    if (auto node = graph.find(row)) {
      row_nodes.push_back(*node);
    } else {
      unknown.push_back(row);
    }
  }
  if (!unknown.empty()) {
    throw_validation("the database is at revision(s) " + util::join(unknown, ", ") + ", which are neither in " +
                     m_config.migrations + " nor recorded in lockstep_applied. Point --migrations at the right "
                     "folder, or run 'lockstep stamp --purge <revision>' once you know where the schema is.");
  }
  snap.applied = graph.ancestors(row_nodes);
  for (size_t i = 0; i < graph.size(); ++i) {
    int node = static_cast<int>(i);
    if (!snap.applied[i]) {
      continue;
    }
    if (snap.catalog.from_database(node)) {
      snap.ahead.push_back(graph.id(node));
      continue;
    }
    auto stored = state.checksums.find(graph.id(node));
    if (stored == state.checksums.end()) {
      continue;  // stamped by Alembic or an older lockstep: nothing to compare with
    }
    std::string now = script::checksum_of(snap.catalog.revision(node));
    if (now != stored->second) {
      snap.edited.push_back(graph.id(node) + " (" + snap.catalog.location(node) + "): applied with checksum " +
                            stored->second.substr(0, 12) + ", the file now has " + now.substr(0, 12));
    }
  }
  return snap;
}

Snapshot Migrator::snapshot()
{
  return read();
}

Outcome Migrator::upgrade(const std::string& target, const RunOptions& options)
{
  return migrate(Kind::upgrade, target, options);
}

Outcome Migrator::downgrade(const std::string& target, const RunOptions& options)
{
  return migrate(Kind::downgrade, target, options);
}

std::vector<graph::Step> plan_to(const Snapshot& snap, graph::Direction direction, const std::string& target)
{
  graph::TargetResolver resolver(snap.catalog.graph(), snap.applied);
  graph::NodeSet goal =
    direction == graph::Direction::up ? resolver.upgrade_goal(target) : resolver.downgrade_goal(target);
  return graph::plan(snap.catalog.graph(), snap.applied, goal);
}

void check_state(const Snapshot& snap, bool ignore_checksums)
{
  if (snap.dirty) {
    refuse_dirty(*snap.dirty);
  }
  if (!snap.edited.empty() && !ignore_checksums) {
    throw_validation("applied revisions were edited after they ran (never edit an applied migration: add a new "
                     "one; --ignore-checksums overrides):\n  " +
                     util::join(snap.edited, "\n  "));
  }
}

Outcome Migrator::migrate(Kind kind, const std::string& target_name, const RunOptions& options)
{
  const graph::Direction direction = kind == Kind::upgrade ? graph::Direction::up : graph::Direction::down;
  auto plan_for = [&](const Snapshot& snap) { return plan_to(snap, direction, target_name); };
  auto validate = [&](const Snapshot& snap) { check_state(snap, options.ignore_checksums); };

  // Read-only fast path: a database at (or ahead of) the target is left
  // alone without touching the lock, so old pods keep starting while a new
  // version migrates.
  {
    Snapshot snap = read();
    validate(snap);
    if (!snap.ahead.empty()) {
      log::event(log::Level::warn, "the database is ahead of " + m_config.migrations + ": " +
                                     util::join(snap.ahead, ", ") +
                                     " are applied but not in this folder (a newer version migrated it)");
    }
    m_progress = Outcome{snap.rows, snap.rows, {}, false};
    if (plan_for(snap).empty()) {
      log::event(log::Level::info, "nothing to do: the database is at " + rows_text(snap.rows),
                 {log::str("revision", rows_text(snap.rows))});
      m_progress.nothing_to_do = true;
      return m_progress;
    }
  }

  // While it waits, a wake-up (the holder's release) first re-reads without
  // the lock: when another run did the work, this one leaves at once
  // instead of queueing for the lock only to find nothing to do.
  std::optional<Snapshot> finished;
  auto done_meanwhile = [&] {
    Snapshot again = read();
    validate(again);
    if (!plan_for(again).empty()) {
      return false;
    }
    finished.emplace(std::move(again));
    return true;
  };
  MigrationLock lock(driver(), m_config.lock_mode, m_config.lock_timeout, m_config.run_by, done_meanwhile);
  if (!lock.held()) {
    m_progress = Outcome{finished->rows, finished->rows, {}, true};
    log::event(log::Level::info, "nothing to do: another run migrated the database to " + rows_text(finished->rows));
    return m_progress;
  }
  driver().create_tables();
  Snapshot snap = read();  // again: another run may have migrated meanwhile
  validate(snap);
  std::vector<graph::Step> steps = plan_for(snap);
  const graph::RevisionGraph& graph = snap.catalog.graph();
  Outcome& outcome = m_progress;
  outcome = Outcome{snap.rows, snap.rows, {}, steps.empty()};
  if (steps.empty()) {
    log::event(log::Level::info, "nothing to do: another run migrated the database to " + rows_text(snap.rows));
    return outcome;
  }
  std::vector<db::StepBatch> batches = check_plan(snap.catalog, steps, table_names(), m_config.run_by);

  db::RunLimits limits;
  limits.statement_timeout = m_config.statement_timeout;
  limits.ddl_lock_timeout = m_config.ddl_lock_timeout;
  const auto run_started = Clock::now();
  for (size_t i = 0; i < steps.size(); ++i) {
    interrupt::check();
    if (!lock.still_held()) {
      throw Error(ExitCode::lock_timeout, "lost the migration lease before " + batches[i].revision + "; stopping");
    }
    const auto started = Clock::now();
    const bool up = steps[i].direction == graph::Direction::up;
    log::event(log::Level::info, describe_step(snap.catalog, steps[i]), {log::str("revision", batches[i].revision)});
    driver().run_step(batches[i], limits);
    outcome.ran.push_back(graph.id(steps[i].node));
    outcome.to = ids_of(graph, steps[i].rows_after);
    log::event(log::Level::info, std::string(up ? "applied " : "reverted ") + batches[i].revision,
               {log::str("revision", batches[i].revision), log::num("duration_ms", elapsed_ms(started))});
  }
  log::event(log::Level::info,
             std::string(kind == Kind::upgrade ? "upgraded " : "downgraded ") + std::to_string(outcome.ran.size()) +
               " revision(s): " + rows_text(outcome.from) + " -> " + rows_text(outcome.to),
             {log::num("applied", static_cast<long long>(outcome.ran.size())),
              log::num("duration_ms", elapsed_ms(run_started))});
  return outcome;
}

Outcome Migrator::stamp(const std::string& target_name, bool purge)
{
  if (!purge) {
    // Read-only fast path, as for upgrade: a database already stamped there
    // is left alone without touching the lock.
    Snapshot snap = read();
    graph::TargetResolver resolver(snap.catalog.graph(), snap.applied);
    if (resolver.stamp_goal(target_name) == snap.applied) {
      log::event(log::Level::info, "nothing to do: the database is stamped at " + rows_text(snap.rows));
      return Outcome{snap.rows, snap.rows, {}, true};
    }
  }
  MigrationLock lock(driver(), m_config.lock_mode, m_config.lock_timeout, m_config.run_by);
  driver().create_tables();
  if (purge) {
    // Forget whatever the table says first: it may name revisions that
    // exist nowhere, which read() would refuse.
    driver().run_transaction("DELETE FROM " + table_names().version() + ";\n" +
                              "DELETE FROM " + table_names().applied() + " WHERE version_table = " +
                              util::quote_literal(table_names().version_table) + ";\n");
  }
  Snapshot snap = read();
  const graph::RevisionGraph& graph = snap.catalog.graph();
  const db::TableNames names = table_names();
  graph::TargetResolver resolver(graph, snap.applied);
  graph::NodeSet goal = resolver.stamp_goal(target_name);

  std::vector<int> rows_after = graph.tips(goal);
  graph::RowChange change = graph::row_change(graph.tips(snap.applied), rows_after);
  std::string sql = db::version_change_sql(names, ids_of(graph, change.removed), ids_of(graph, change.added));
  Outcome outcome{snap.rows, ids_of(graph, rows_after), {}, false};
  for (size_t i = 0; i < graph.size(); ++i) {
    int node = static_cast<int>(i);
    const script::Revision& rev = snap.catalog.revision(node);
    const std::string checksum = script::checksum_of(rev);
    if (goal[i] && !snap.applied[i]) {
      db::AppliedRecord record{rev.id,      rev.parents, rev.depends_on,    rev.branch_labels,
                               rev.message, checksum,    rev.downgrade_sql.str(), rev.transactional};
      sql += db::record_applied_sql(names, record, m_config.run_by);
      sql += db::history_sql(names, rev.id, db::Direction::stamp, checksum, m_config.run_by, db::Outcome::stamped);
      outcome.ran.push_back(rev.id);
    } else if (snap.applied[i] && !goal[i]) {
      sql += db::forget_applied_sql(names, rev.id);
      sql += db::history_sql(names, rev.id, db::Direction::unstamp, checksum, m_config.run_by, db::Outcome::unstamped);
      outcome.ran.push_back(rev.id);
    }
  }
  outcome.nothing_to_do = outcome.ran.empty();
  driver().run_transaction(sql);
  log::event(log::Level::info, "stamped the database at " + rows_text(outcome.to));
  return outcome;
}

std::optional<std::string> Migrator::repair()
{
  MigrationLock lock(driver(), m_config.lock_mode, m_config.lock_timeout, m_config.run_by);
  driver().create_tables();
  db::DatabaseState state = driver().read_state();
  if (!state.dirty) {
    return std::nullopt;
  }
  const db::DirtyState& d = *state.dirty;
  driver().run_transaction(db::clear_dirty_sql(table_names()) +
                           db::history_sql(table_names(), d.revision, d.direction, "", m_config.run_by,
                                           db::Outcome::repaired, "cleared dirty state: " + d.location + ": " + d.error));
  return "cleared the dirty flag of revision " + d.revision + " (failed going " + db::to_string(d.direction) + " at " + d.location +
         " on " + d.failed_at + " by " + d.run_by + ": " + d.error + "). The version table still says " +
         rows_text(state.rows) + ": the failed revision counts as not " +
         (d.direction == db::Direction::up ? "applied, and the next upgrade runs it again from its first statement"
                              : "reverted, and the next downgrade runs its downgrade again") +
         ". If you completed it by hand, run 'lockstep stamp " + d.revision + "' instead of re-running it.";
}

bool Migrator::wait_for_heads(std::chrono::milliseconds timeout)
{
  const auto deadline = Clock::now() + timeout;
  util::Backoff backoff(std::chrono::milliseconds(250), std::chrono::milliseconds(2000));
  auto next_report = Clock::now();
  for (;;) {
    interrupt::check();
    std::string where;
    try {
      Snapshot snap = read();
      if (plan_to(snap, graph::Direction::up, "heads").empty()) {
        log::event(log::Level::info, "the database is at " + rows_text(snap.rows) + ": ready",
                   {log::str("revision", rows_text(snap.rows))});
        return true;
      }
      where = rows_text(snap.rows);
    } catch (const Error& e) {
      if (e.code() != ExitCode::unreachable) {
        throw;
      }
      m_driver.reset();  // the next read connects again
      where = "unreachable";
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    if (Clock::now() >= next_report) {
      log::event(log::Level::info, "waiting for the database to reach its heads; it is at " + where);
      next_report = Clock::now() + std::chrono::seconds(10);
    }
    interrupt::sleep_for(
      std::min(backoff.next(), std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())));
  }
}

} // namespace lockstep::migrator

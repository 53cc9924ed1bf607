#include "migrator/migrator.hpp"

#include "db/connection_url.hpp"
#include "graph/planner.hpp"
#include "graph/targets.hpp"
#include "migrator/step_script.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace lockstep::migrator {

namespace {

using Clock = std::chrono::steady_clock;

// Releases the advisory lock on every path out of a locked section.
class LockGuard {
public:
  explicit LockGuard(db::Session& session) : m_session(session) {}
  ~LockGuard()
  {
    try {
      m_session.unlock();
    } catch (const std::exception& e) {
      // The lock goes with the connection anyway, which closes on exit.
      spdlog::warn("could not release the migration lock: {}", e.what());
    }
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

private:
  db::Session& m_session;
};

long long elapsed_ms(Clock::time_point since)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

} // namespace

Migrator::Migrator(config::Config config, std::vector<script::Revision> files)
  : m_config(std::move(config)), m_files(std::move(files))
{
}

Migrator::~Migrator() = default;

db::TableNames Migrator::table_names() const
{
  db::TableNames names;
  names.schema = m_config.version_table_schema;
  names.version_table = m_config.version_table;
  return names;
}

db::Session& Migrator::session()
{
  if (!m_session) {
    db::ConnectionOptions options;
    options.application_name = "lockstep/" + m_config.run_by;
    options.password = m_config.database_password;
    db::ConnectionTarget target = db::parse_database_url(m_config.database_url, options);
    m_session = std::make_unique<db::Session>(target, table_names(), m_config.connect_timeout);
  }
  return *m_session;
}

Snapshot Migrator::read(bool tolerate_unknown)
{
  db::DatabaseState state = session().read_state(true);
  Snapshot snap{m_files, {}, state.rows, state.initialized};
  if (snap.catalog.add_database_only(state.applied) > 0) {
    spdlog::debug("{} applied revision(s) are known only from the database", state.applied.size());
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
  if (!unknown.empty() && !tolerate_unknown) {
    throw_validation("the database is at revision(s) " + util::join(unknown, ", ") + ", which are neither in " +
                     m_config.migrations + " nor recorded in lockstep_applied. Point --migrations at the right "
                     "folder, or run 'lockstep stamp --purge <revision>' once you know where the schema is.");
  }
  snap.applied = graph.ancestors(row_nodes);
  return snap;
}

Snapshot Migrator::snapshot()
{
  return read(false);
}

void Migrator::acquire_lock()
{
  const auto start = Clock::now();
  std::chrono::milliseconds delay(50);
  auto next_report = start;
  while (!session().try_lock()) {
    if (Clock::now() - start >= m_config.lock_timeout) {
      throw Error(ExitCode::lock_timeout, "the migration lock was not acquired within " +
                                            std::to_string(m_config.lock_timeout.count() / 1000) +
                                            "s; it is held by " + session().lock_holder());
    }
    if (Clock::now() >= next_report) {
      spdlog::info("waiting for the migration lock, held by {}", session().lock_holder());
      next_report = Clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
  spdlog::debug("migration lock acquired after {} ms", elapsed_ms(start));
}

Outcome Migrator::upgrade(const std::string& target)
{
  return migrate(Kind::upgrade, target);
}

Outcome Migrator::downgrade(const std::string& target)
{
  return migrate(Kind::downgrade, target);
}

Outcome Migrator::migrate(Kind kind, const std::string& target)
{
  auto plan_for = [&](const Snapshot& snap) {
    graph::TargetResolver resolver(snap.catalog.graph(), snap.applied);
    graph::NodeSet goal = kind == Kind::upgrade ? resolver.upgrade_goal(target) : resolver.downgrade_goal(target);
    return graph::plan(snap.catalog.graph(), snap.applied, goal);
  };

  // Read-only fast path: a database already at the target is left alone,
  // without touching the lock.
  {
    Snapshot snap = read(false);
    if (plan_for(snap).empty()) {
      spdlog::info("nothing to do: the database is at {}", snap.rows.empty() ? "base" : util::join(snap.rows, ", "));
      return Outcome{snap.rows, snap.rows, {}, true};
    }
  }

  acquire_lock();
  LockGuard guard(session());
  session().create_tables();
  Snapshot snap = read(false);  // again: another run may have migrated meanwhile
  std::vector<graph::Step> steps = plan_for(snap);
  const graph::RevisionGraph& graph = snap.catalog.graph();
  Outcome outcome{snap.rows, snap.rows, {}, steps.empty()};
  if (steps.empty()) {
    spdlog::info("nothing to do: another run got there first");
    return outcome;
  }

  // Check the whole plan before running any of it.
  const db::TableNames names = table_names();
  std::vector<db::StepBatch> batches;
  batches.reserve(steps.size());
  for (const auto& step : steps) {
    const script::Revision& rev = snap.catalog.revision(step.node);
    if (step.direction == graph::Direction::down && !rev.reversible()) {
      throw_usage("revision " + rev.id + " (" + snap.catalog.location(step.node) +
                  ") has an empty downgrade section, so it is irreversible; nothing was run");
    }
    batches.push_back(build_step(snap.catalog, step, names, m_config.run_by));
  }

  for (size_t i = 0; i < steps.size(); ++i) {
    const auto started = Clock::now();
    spdlog::info("{}", describe_step(snap.catalog, steps[i]));
    session().run_step(batches[i]);
    outcome.ran.push_back(graph.id(steps[i].node));
    outcome.to = ids_of(graph, steps[i].rows_after);
    spdlog::info("{} {} in {} ms", graph.id(steps[i].node),
                 steps[i].direction == graph::Direction::up ? "applied" : "reverted", elapsed_ms(started));
  }
  return outcome;
}

Outcome Migrator::stamp(const std::string& target, bool purge)
{
  acquire_lock();
  LockGuard guard(session());
  session().create_tables();
  Snapshot snap = read(purge);
  const graph::RevisionGraph& graph = snap.catalog.graph();
  const db::TableNames names = table_names();
  graph::NodeSet before = purge ? graph.empty_set() : snap.applied;
  graph::TargetResolver resolver(graph, before);
  graph::NodeSet goal = resolver.stamp_goal(target);

  std::string sql;
  if (purge) {
    sql += "DELETE FROM " + names.version() + ";\n";
    for (size_t i = 0; i < graph.size(); ++i) {
      if (snap.applied[i] && !goal[i]) {
        sql += db::forget_applied_sql(names, graph.id(static_cast<int>(i)));
      }
    }
  }
  std::vector<int> rows_before = graph.tips(before);
  std::vector<int> rows_after = graph.tips(goal);
  graph::RowChange change = graph::row_change(rows_before, rows_after);
  sql += db::version_change_sql(names, ids_of(graph, change.removed), ids_of(graph, change.added));

  Outcome outcome{snap.rows, ids_of(graph, rows_after), {}, false};
  for (size_t i = 0; i < graph.size(); ++i) {
    int node = static_cast<int>(i);
    const script::Revision& rev = snap.catalog.revision(node);
    if (goal[i] && !before[i]) {
      std::string checksum = script::upgrade_checksum(rev.upgrade_sql);
      db::AppliedRecord record{rev.id,      rev.parents, rev.depends_on,    rev.branch_labels,
                               rev.message, checksum,    rev.downgrade_sql, rev.transactional};
      sql += db::record_applied_sql(names, record, m_config.run_by);
      sql += db::history_sql(names, rev.id, "stamp", checksum, m_config.run_by, "stamped");
      outcome.ran.push_back(rev.id);
    } else if (before[i] && !goal[i]) {
      sql += db::forget_applied_sql(names, rev.id);
      sql += db::history_sql(names, rev.id, "unstamp", script::upgrade_checksum(rev.upgrade_sql), m_config.run_by,
                             "stamped");
      outcome.ran.push_back(rev.id);
    }
  }
  outcome.nothing_to_do = outcome.ran.empty() && !purge;
  session().run_transaction(sql);
  spdlog::info("stamped the database at {}", outcome.to.empty() ? "base" : util::join(outcome.to, ", "));
  return outcome;
}

} // namespace lockstep::migrator

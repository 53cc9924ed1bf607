#include "migrator/step_script.hpp"

#include "script/statements.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace lockstep::migrator {

std::vector<std::string> ids_of(const graph::RevisionGraph& graph, const std::vector<int>& nodes)
{
  std::vector<std::string> ids;
  ids.reserve(nodes.size());
  for (int n : nodes) {
    ids.push_back(graph.id(n));
  }
  return ids;
}

db::StepBatch build_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by, Statements mode)
{
  const graph::RevisionGraph& graph = catalog.graph();
  const script::Revision& rev = catalog.revision(step.node);
  const bool up = step.direction == graph::Direction::up;
  if (up && catalog.from_database(step.node)) {
    throw Error(ExitCode::internal, "revision " + rev.id + " is only known from the database and cannot be upgraded");
  }

  db::StepBatch batch;
  batch.revision = rev.id;
  batch.location = catalog.location(step.node);
  batch.transactional = rev.transactional;
  const std::string_view sql = up ? rev.upgrade_sql.view() : rev.downgrade_sql.view();
  const int first_line = up ? rev.upgrade_line : rev.downgrade_line;
  if (mode == Statements::split) {
    for (auto& statement : script::split_statements(sql, batch.location, first_line)) {
      batch.statements.push_back({std::move(statement.sql), statement.line});
    }
  } else if (script::has_sql(sql)) {
    batch.statements.push_back({std::string(util::trim(sql)), first_line});
  }

  graph::RowChange rows = graph::row_change(step.rows_before, step.rows_after);
  const std::string checksum = script::checksum_of(rev);
  const db::Direction direction = up ? db::Direction::up : db::Direction::down;
  batch.rows_removed = ids_of(graph, rows.removed);
  batch.rows_added = ids_of(graph, rows.added);
  batch.bookkeeping = db::version_change_sql(names, batch.rows_removed, batch.rows_added);
  if (up) {
    db::AppliedRecord record{rev.id,      rev.parents,  rev.depends_on,     rev.branch_labels,
                             rev.message, checksum,     rev.downgrade_sql.str(), rev.transactional};
    batch.bookkeeping += db::record_applied_sql(names, record, run_by);
  } else {
    batch.bookkeeping += db::forget_applied_sql(names, rev.id);
  }
  batch.bookkeeping += db::history_sql(names, rev.id, direction, checksum, run_by, up ? db::Outcome::applied : db::Outcome::reverted);
  batch.direction = direction;
  batch.checksum = checksum;
  batch.run_by = run_by;
  return batch;
}

std::string describe_step(const Catalog& catalog, const graph::Step& step)
{
  const script::Revision& rev = catalog.revision(step.node);
  std::string parents = util::join(rev.parents, ", ");
  std::string text = step.direction == graph::Direction::up ? "Running upgrade " + parents + " -> " + rev.id
                                                            : "Running downgrade " + rev.id + " -> " + parents;
  if (!rev.message.empty()) {
    text += ", " + rev.message;
  }
  return text;
}

} // namespace lockstep::migrator

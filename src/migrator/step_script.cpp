#include "migrator/step_script.hpp"

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

void require_buildable(const Catalog& catalog, const graph::Step& step)
{
  if (step.direction == graph::Direction::up && catalog.from_database(step.node)) {
    throw Error(ExitCode::internal, "revision " + catalog.revision(step.node).id +
                                      " is only known from the database and cannot be upgraded");
  }
}

void append_bookkeeping(std::string& out, const Catalog& catalog, int node, graph::Direction direction,
                        const int* removed, size_t removed_count, const int* added, size_t added_count,
                        const db::StateNames& names, const std::string& run_by)
{
  const graph::RevisionGraph& graph = catalog.graph();
  const script::Revision& rev = catalog.revision(node);
  const bool up = direction == graph::Direction::up;
  // The rows as ids, in lists kept from call to call: this runs for every
  // step `--sql` prints, and allocates nothing once warm.
  thread_local std::vector<std::string_view> removed_ids;
  thread_local std::vector<std::string_view> added_ids;
  removed_ids.clear();
  added_ids.clear();
  for (size_t i = 0; i < removed_count; ++i) {
    removed_ids.push_back(graph.id(removed[i]));
  }
  for (size_t i = 0; i < added_count; ++i) {
    added_ids.push_back(graph.id(added[i]));
  }
  db::append_version_change(out, names, removed_ids, added_ids);
  // A bundle stores the checksum; a file's is computed.
  const std::string computed = rev.checksum.empty() ? script::upgrade_checksum(rev.upgrade_sql) : std::string();
  const std::string_view checksum = rev.checksum.empty() ? std::string_view(computed) : rev.checksum.view();
  if (up) {
    db::append_record_applied(out, names,
                              {rev.id, rev.parents, rev.depends_on, rev.branch_labels, rev.message, checksum,
                               rev.downgrade_sql.view(), rev.transactional},
                              run_by);
  } else {
    db::append_forget_applied(out, names, rev.id);
  }
  db::append_history(out, names, rev.id, up ? db::Direction::up : db::Direction::down, checksum, run_by,
                     up ? db::Outcome::applied : db::Outcome::reverted);
}

void append_bookkeeping(std::string& out, const Catalog& catalog, const graph::Step& step, const db::StateNames& names,
                        const std::string& run_by)
{
  const graph::RowChange rows = graph::row_change(step.rows_before, step.rows_after);
  append_bookkeeping(out, catalog, step.node, step.direction, rows.removed.data(), rows.removed.size(),
                     rows.added.data(), rows.added.size(), names, run_by);
}

namespace {

db::StepBatch build(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                    const std::string& run_by, const script::SectionFacts& facts)
{
  require_buildable(catalog, step);
  const graph::RevisionGraph& graph = catalog.graph();
  const script::Revision& rev = catalog.revision(step.node);
  const bool up = step.direction == graph::Direction::up;

  db::StepBatch batch;
  batch.revision = rev.id;
  batch.location = catalog.location(step.node);
  batch.transactional = rev.transactional;
  const std::string_view sql = up ? rev.upgrade_sql.view() : rev.downgrade_sql.view();
  const int first_line = up ? rev.upgrade_line : rev.downgrade_line;
  script::require_parses(facts, batch.location, first_line);
  batch.statements.reserve(facts.statements.size());
  for (const auto& statement : facts.statements) {
    batch.statements.push_back({std::string(sql.substr(statement.begin, statement.length)),
                                first_line + static_cast<int>(statement.line)});
  }

  graph::RowChange rows = graph::row_change(step.rows_before, step.rows_after);
  batch.rows_removed = ids_of(graph, rows.removed);
  batch.rows_added = ids_of(graph, rows.added);
  batch.bookkeeping.reserve(1024 + rev.downgrade_sql.size());
  append_bookkeeping(batch.bookkeeping, catalog, step, db::StateNames(names), run_by);
  batch.direction = up ? db::Direction::up : db::Direction::down;
  batch.checksum = script::checksum_of(rev);
  batch.run_by = run_by;
  return batch;
}

} // namespace

std::string_view verbatim_section(const script::Revision& rev, graph::Direction direction)
{
  const std::string_view sql = direction == graph::Direction::up ? rev.upgrade_sql.view() : rev.downgrade_sql.view();
  return script::has_sql(sql) ? util::trim(sql) : std::string_view();
}

db::StepBatch build_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by)
{
  require_buildable(catalog, step);
  const script::SectionFacts facts =
    script::facts_of(catalog.revision(step.node), step.direction == graph::Direction::up);
  return build(catalog, step, names, run_by, facts);
}

db::StepBatch build_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by, const script::SectionFacts& facts)
{
  return build(catalog, step, names, run_by, facts);
}

void append_description(std::string& out, const Catalog& catalog, int node, graph::Direction direction)
{
  const script::Revision& rev = catalog.revision(node);
  const auto parents = [&] {
    for (size_t i = 0; i < rev.parents.size(); ++i) {
      out += i > 0 ? ", " : "";
      out += rev.parents[i];
    }
  };
  if (direction == graph::Direction::up) {
    out += "Running upgrade ";
    parents();
    out += " -> ";
    out += rev.id;
  } else {
    out += "Running downgrade ";
    out += rev.id;
    out += " -> ";
    parents();
  }
  if (!rev.message.empty()) {
    out += ", ";
    out += rev.message;
  }
}

std::string describe_step(const Catalog& catalog, const graph::Step& step)
{
  std::string text;
  append_description(text, catalog, step.node, step.direction);
  return text;
}

} // namespace lockstep::migrator

#include "migrator/offline.hpp"

#include "graph/planner.hpp"
#include "graph/targets.hpp"
#include "migrator/plan_check.hpp"
#include "migrator/step_script.hpp"
#include "util/error.hpp"

namespace lockstep::migrator {

namespace {

enum class Kind { upgrade, downgrade };

void render(const Catalog& files, Kind kind, const std::string& range, const db::TableNames& names,
            const std::string& run_by, std::ostream& out)
{
  size_t colon = range.find(':');
  std::string from = colon == std::string::npos ? "" : range.substr(0, colon);
  std::string to = colon == std::string::npos ? range : range.substr(colon + 1);
  if (kind == Kind::downgrade && from.empty()) {
    throw_usage("downgrade --sql needs a range '<from>:<to>' (there is no database to read the current revision "
                "from), for example 'heads:base'");
  }
  if (to.empty()) {
    throw_usage("the range '" + range + "' has no target after ':'");
  }
  const graph::RevisionGraph& graph = files.graph();
  graph::NodeSet nothing = graph.empty_set();
  graph::TargetResolver base_resolver(graph, nothing);
  graph::NodeSet applied = from.empty() ? nothing : graph.ancestors(base_resolver.nodes(from));
  graph::TargetResolver resolver(graph, applied);
  graph::NodeSet goal = kind == Kind::upgrade ? resolver.upgrade_goal(to) : resolver.downgrade_goal(to);
  std::vector<graph::Step> steps = graph::plan(graph, applied, goal);

  // Everything that can fail is checked before the first line is written,
  // by the rules the online path applies (migrator/plan_check).
  // Kept one step at a time, so 10,000 revisions never sit in memory at once.
  for (const auto& step : steps) {
    check_step(files, step, names, run_by);
  }
  out << "-- lockstep " << (kind == Kind::upgrade ? "upgrade" : "downgrade") << " " << (from.empty() ? "base" : from)
      << ":" << to << " (offline)\n\n";
  if (kind == Kind::upgrade) {
    out << db::create_tables_sql(names) << "\n";
  }
  for (const auto& step : steps) {
    // The sections as written, comments and all: what a DBA reviews.
    db::StepBatch batch = build_step(files, step, names, run_by, Statements::verbatim);
    out << "-- " << describe_step(files, step) << "\n";
    if (batch.transactional) {
      out << "BEGIN;\n\n";
    }
    for (const auto& stmt : batch.statements) {
      // End the section's last statement, whatever its author left after it.
      out << stmt.sql << (stmt.sql.back() == ';' ? "\n\n" : "\n;\n\n");
    }
    if (!batch.transactional) {
      out << "BEGIN;\n\n";
    }
    out << batch.bookkeeping << "\nCOMMIT;\n\n";
  }
  if (steps.empty()) {
    out << "-- nothing to do\n";
  }
}

} // namespace

void offline_upgrade_sql(const Catalog& files, const std::string& range, const db::TableNames& names,
                         const std::string& run_by, std::ostream& out)
{
  render(files, Kind::upgrade, range, names, run_by, out);
}

void offline_downgrade_sql(const Catalog& files, const std::string& range, const db::TableNames& names,
                           const std::string& run_by, std::ostream& out)
{
  render(files, Kind::downgrade, range, names, run_by, out);
}

} // namespace lockstep::migrator

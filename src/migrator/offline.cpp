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
  // The plan kept compact (graph::plan_compact): 10,000 steps would hold
  // two row lists each.
  const graph::CompactPlan plan = graph::plan_compact(graph, applied, goal);

  // Everything that can fail is checked before the first line is written,
  // by the rules the online path applies (migrator/plan_check), without
  // building any step's text (a bundle's revisions carry their statement
  // facts, so this parses nothing).
  for (const auto& step : plan.steps) {
    graph::Step rules;
    rules.node = step.node;
    rules.direction = step.direction;
    check_step_rules(files, rules);
  }
  // The text goes out in blocks, written straight into one buffer: the
  // same bytes build_step's batches would print, without a string per
  // statement (10,000 revisions are 12 MB of SQL, never in memory at once).
  constexpr size_t kBlock = 64 * 1024;
  std::string text;
  text.reserve(kBlock + 16 * 1024);
  const auto flush = [&] {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
  };
  text += "-- lockstep ";
  text += kind == Kind::upgrade ? "upgrade" : "downgrade";
  text += " ";
  text += from.empty() ? "base" : from;
  text += ":";
  text += to;
  text += " (offline)\n\n";
  if (kind == Kind::upgrade) {
    text += db::create_tables_sql(names);
    text += "\n";
  }
  const db::StateNames state_names(names);
  for (const auto& step : plan.steps) {
    const script::Revision& rev = files.revision(step.node);
    text += "-- ";
    append_description(text, files, step.node, step.direction);
    text += "\n";
    if (rev.transactional) {
      text += "BEGIN;\n\n";
    }
    // The section as written, comments and all: what a DBA reviews.
    if (const std::string_view statement = verbatim_section(rev, step.direction); !statement.empty()) {
      text += statement;
      // End the section's last statement, whatever its author left after it.
      text += statement.back() == ';' ? "\n\n" : "\n;\n\n";
    }
    if (!rev.transactional) {
      text += "BEGIN;\n\n";
    }
    const int* rows = plan.row_nodes.data() + step.rows;
    append_bookkeeping(text, files, step.node, step.direction, rows, step.removed, rows + step.removed, step.added,
                       state_names, run_by);
    text += "\nCOMMIT;\n\n";
    if (text.size() >= kBlock) {
      flush();
    }
  }
  if (plan.steps.empty()) {
    text += "-- nothing to do\n";
  }
  flush();
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

#include "migrator/listing.hpp"

#include "graph/targets.hpp"
#include "migrator/step_script.hpp"

namespace lockstep::migrator {

namespace {

graph::NodeSet row_set(const Snapshot& snap)
{
  const graph::RevisionGraph& graph = snap.catalog.graph();
  graph::NodeSet rows = graph.empty_set();
  for (int n : graph.tips(snap.applied)) {
    rows[n] = 1;
  }
  return rows;
}

} // namespace

Listing::Listing(const Catalog& files, std::vector<int> nodes)
  : m_files(&files), m_nodes(std::move(nodes))
{
}

Listing::Listing(Snapshot snapshot, std::vector<int> nodes)
  : m_snapshot(std::move(snapshot)), m_rows(row_set(*m_snapshot)), m_nodes(std::move(nodes))
{
}

const std::vector<std::string>& Listing::rows() const
{
  static const std::vector<std::string> none;
  return m_snapshot ? m_snapshot->rows : none;
}

std::vector<int> history_order(const Catalog& catalog, const graph::NodeSet& applied, const std::string& range)
{
  const graph::RevisionGraph& graph = catalog.graph();
  graph::NodeSet selected = graph::NodeSet(graph.size(), 1);
  if (!range.empty()) {
    graph::TargetResolver resolver(graph, applied);
    selected = resolver.range(range);
  }
  std::vector<int> nodes;
  const auto& order = graph.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (selected[*it]) {
      nodes.push_back(*it);
    }
  }
  return nodes;
}

Listing history(Migrator& migrator, const std::string& range, bool read_database)
{
  if (!read_database) {
    const Catalog& files = migrator.files();
    return Listing(files, history_order(files, files.graph().empty_set(), range));
  }
  Snapshot snap = migrator.snapshot();
  std::vector<int> nodes = history_order(snap.catalog, snap.applied, range);
  return Listing(std::move(snap), std::move(nodes));
}

Listing current(Migrator& migrator)
{
  Snapshot snap = migrator.snapshot();
  std::vector<int> nodes = snap.catalog.graph().branch_heads(snap.applied);
  return Listing(std::move(snap), std::move(nodes));
}

std::vector<Branchpoint> branchpoints(const Catalog& catalog)
{
  const graph::RevisionGraph& graph = catalog.graph();
  std::vector<Branchpoint> out;
  for (int node : graph.topological_order()) {
    if (graph.children(node).size() >= 2) {
      out.push_back({node, {graph.children(node).begin(), graph.children(node).end()}});
    }
  }
  return out;
}

std::vector<int> shown(const Catalog& catalog, const std::string& target)
{
  const graph::NodeSet none = catalog.graph().empty_set();
  return graph::TargetResolver(catalog.graph(), none).nodes(target);
}

Status status(Migrator& migrator)
{
  Snapshot snap = migrator.snapshot();
  std::vector<int> pending;
  for (const graph::Step& step : plan_to(snap, graph::Direction::up, "heads")) {
    pending.push_back(step.node);
  }
  std::vector<std::string> heads = ids_of(snap.catalog.graph(), snap.catalog.graph().heads());
  return {Listing(std::move(snap), std::move(pending)), std::move(heads)};
}

} // namespace lockstep::migrator

#include "graph/planner.hpp"

#include <algorithm>

namespace lockstep::graph {

namespace {

// The steps from `from` to `to`, each handed to `emit(node, direction,
// rows_before, rows_after)` as it is planned.
template <typename Emit>
void plan_into(const RevisionGraph& graph, const NodeSet& from, const NodeSet& to, Emit emit)
{
  std::vector<int> removals;
  std::vector<int> additions;
  for (size_t i = 0; i < graph.size(); ++i) {
    if (from[i] && !to[i]) {
      removals.push_back(static_cast<int>(i));
    } else if (!from[i] && to[i]) {
      additions.push_back(static_cast<int>(i));
    }
  }
  graph.sort_topologically(removals, true);
  graph.sort_topologically(additions, false);

  // Tips change only around the node a step touches, so track them
  // incrementally instead of recomputing over the whole set per step.
  NodeSet applied = from;
  std::vector<int> rows = graph.tips(applied);

  auto covered = [&](int node) {
    for (int c : graph.children(node)) {
      if (applied[c]) {
        return true;
      }
    }
    for (int d : graph.dependents(node)) {
      if (applied[d]) {
        return true;
      }
    }
    return false;
  };
  auto needed_of = [&](int node) {
    std::vector<int> out = graph.parents(node);
    out.insert(out.end(), graph.dependencies(node).begin(), graph.dependencies(node).end());
    return out;
  };

  std::vector<int> before;
  for (int node : removals) {
    before = rows;
    applied[node] = 0;
    rows.erase(std::remove(rows.begin(), rows.end(), node), rows.end());
    for (int up : needed_of(node)) {
      if (applied[up] && !covered(up) && std::find(rows.begin(), rows.end(), up) == rows.end()) {
        rows.push_back(up);
      }
    }
    std::sort(rows.begin(), rows.end());
    emit(node, Direction::down, before, rows);
  }
  for (int node : additions) {
    before = rows;
    applied[node] = 1;
    std::vector<int> up = needed_of(node);
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](int r) { return std::find(up.begin(), up.end(), r) != up.end(); }),
               rows.end());
    rows.push_back(node);
    std::sort(rows.begin(), rows.end());
    emit(node, Direction::up, before, rows);
  }
}

// Calls removed(r) for each row of `before` not in `after`, then added(r)
// for each of `after` not in `before`.
template <typename Removed, typename Added>
void each_row_change(const std::vector<int>& before, const std::vector<int>& after, Removed removed, Added added)
{
  for (int r : before) {
    if (std::find(after.begin(), after.end(), r) == after.end()) {
      removed(r);
    }
  }
  for (int r : after) {
    if (std::find(before.begin(), before.end(), r) == before.end()) {
      added(r);
    }
  }
}

} // namespace

std::vector<Step> plan(const RevisionGraph& graph, const NodeSet& from, const NodeSet& to)
{
  std::vector<Step> steps;
  plan_into(graph, from, to, [&](int node, Direction direction, const std::vector<int>& before,
                                 const std::vector<int>& after) { steps.push_back({node, direction, before, after}); });
  return steps;
}

CompactPlan plan_compact(const RevisionGraph& graph, const NodeSet& from, const NodeSet& to)
{
  CompactPlan plan;
  plan_into(graph, from, to, [&](int node, Direction direction, const std::vector<int>& before,
                                 const std::vector<int>& after) {
    CompactStep step{node, direction, static_cast<uint32_t>(plan.row_nodes.size()), 0, 0};
    each_row_change(
      before, after,
      [&](int r) {
        plan.row_nodes.push_back(r);
        ++step.removed;
      },
      [&](int r) {
        plan.row_nodes.push_back(r);
        ++step.added;
      });
    plan.steps.push_back(step);
  });
  return plan;
}

RowChange row_change(const std::vector<int>& before, const std::vector<int>& after)
{
  RowChange change;
  each_row_change(
    before, after, [&](int r) { change.removed.push_back(r); }, [&](int r) { change.added.push_back(r); });
  return change;
}

} // namespace lockstep::graph

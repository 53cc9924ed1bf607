#include "graph/planner.hpp"

#include <algorithm>

namespace lockstep::graph {

std::vector<Step> plan(const RevisionGraph& graph, const NodeSet& from, const NodeSet& to)
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
  std::vector<Step> steps;
  steps.reserve(removals.size() + additions.size());

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

  for (int node : removals) {
    Step step{node, Direction::down, rows, {}};
    applied[node] = 0;
    rows.erase(std::remove(rows.begin(), rows.end(), node), rows.end());
    for (int up : needed_of(node)) {
      if (applied[up] && !covered(up) && std::find(rows.begin(), rows.end(), up) == rows.end()) {
        rows.push_back(up);
      }
    }
    std::sort(rows.begin(), rows.end());
    step.rows_after = rows;
    steps.push_back(std::move(step));
  }
  for (int node : additions) {
    Step step{node, Direction::up, rows, {}};
    applied[node] = 1;
    std::vector<int> up = needed_of(node);
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](int r) { return std::find(up.begin(), up.end(), r) != up.end(); }),
               rows.end());
    rows.push_back(node);
    std::sort(rows.begin(), rows.end());
    step.rows_after = rows;
    steps.push_back(std::move(step));
  }
  return steps;
}

RowChange row_change(const std::vector<int>& before, const std::vector<int>& after)
{
  RowChange change;
  for (int r : before) {
    if (std::find(after.begin(), after.end(), r) == after.end()) {
      change.removed.push_back(r);
    }
  }
  for (int r : after) {
    if (std::find(before.begin(), before.end(), r) == before.end()) {
      change.added.push_back(r);
    }
  }
  return change;
}

} // namespace lockstep::graph

// From one applied set to another: the ordered steps and the version-table
// rows around each step.
//
// Going up, parents (and dependencies) run before children; going down, the
// reverse. A downgrade never reverts a revision that a remaining revision
// needs, because goals come from TargetResolver, which drops whole
// descendant sets.
#pragma once

#include "graph/revision_graph.hpp"

#include <vector>

namespace lockstep::graph {

enum class Direction { up, down };

struct Step {
  int node = -1;
  Direction direction = Direction::up;
  std::vector<int> rows_before;  // version-table rows before the step
  std::vector<int> rows_after;   // and after it
};

// Removals first (children first), then additions (parents first). A plan
// between a set and itself is empty.
std::vector<Step> plan(const RevisionGraph& graph, const NodeSet& from, const NodeSet& to);

// Rows to delete and to insert to go from `before` to `after`.
struct RowChange {
  std::vector<int> removed;
  std::vector<int> added;
};
RowChange row_change(const std::vector<int>& before, const std::vector<int>& after);

} // namespace lockstep::graph

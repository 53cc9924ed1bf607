// From one applied set to another: the ordered steps and the version-table
// rows around each step.
//
// Going up, parents (and dependencies) run before children; going down, the
// reverse. A downgrade never reverts a revision that a remaining revision
// needs, because goals come from TargetResolver, which drops whole
// descendant sets.
#pragma once

#include "graph/revision_graph.hpp"

#include <cstdint>
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

// plan()'s steps kept small, for a plan of many thousands (`--sql`): each
// step's node, direction and version-row change (row_change of its rows
// before and after), the changes' nodes in one list. No step's rows are
// held: a step is 20 bytes instead of two lists.
struct CompactStep {
  int node = -1;
  Direction direction = Direction::up;
  uint32_t rows = 0;     // at this offset of CompactPlan::row_nodes: the rows removed, then those added
  uint32_t removed = 0;
  uint32_t added = 0;
};
struct CompactPlan {
  std::vector<CompactStep> steps;
  std::vector<int> row_nodes;
};
CompactPlan plan_compact(const RevisionGraph& graph, const NodeSet& from, const NodeSet& to);

// Rows to delete and to insert to go from `before` to `after`.
struct RowChange {
  std::vector<int> removed;
  std::vector<int> added;
};
RowChange row_change(const std::vector<int>& before, const std::vector<int>& after);

} // namespace lockstep::graph

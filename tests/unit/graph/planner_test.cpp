// Plans (graph/planner): the order of steps and the version-table rows
// around each one.
//
// Alembic's rule for the rows: they are the applied revisions that no
// applied revision revises or depends on. So an upgrade of a child replaces
// its parent's row, a merge replaces both parents' rows with one, a
// downgrade of a merge restores them, and a downgrade of a root deletes its
// row.

#include "graph/planner.hpp"
#include "graph/revision_graph.hpp"
#include "graph/targets.hpp"
#include "graph_fixtures.hpp"

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace lockstep;
using namespace lockstep::graph;
using namespace lockstep::test;

namespace {

// "+b[b,c]": b goes up, and the rows are b and c afterwards.
std::string describe(const RevisionGraph& g, const Step& step)
{
  std::string out = (step.direction == Direction::up ? "+" : "-") + g.id(step.node) + "[";
  std::vector<std::string> rows;
  for (int r : step.rows_after) {
    rows.push_back(g.id(r));
  }
  std::sort(rows.begin(), rows.end());
  for (size_t i = 0; i < rows.size(); ++i) {
    out += (i > 0 ? "," : "") + rows[i];
  }
  return out + "]";
}

std::vector<std::string> describe(const RevisionGraph& g, const std::vector<Step>& steps)
{
  std::vector<std::string> out;
  for (const auto& s : steps) {
    out.push_back(describe(g, s));
  }
  return out;
}

// Every applied set a graph allows: the sets closed under parents and
// dependencies (the ancestors of each subset of nodes).
std::vector<NodeSet> closed_sets(const RevisionGraph& g)
{
  std::vector<NodeSet> out;
  const size_t n = g.size();
  REQUIRE(n <= 12);
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    std::vector<int> chosen;
    for (size_t i = 0; i < n; ++i) {
      if (mask & (1u << i)) {
        chosen.push_back(static_cast<int>(i));
      }
    }
    NodeSet set = g.ancestors(chosen);
    if (std::find(out.begin(), out.end(), set) == out.end()) {
      out.push_back(set);
    }
  }
  return out;
}

// Checks a plan from `from` to `to` against the rules, step by step.
void check_plan(const RevisionGraph& g, const NodeSet& from, const NodeSet& to)
{
  INFO("from " << str(ids(g, from)) << " to " << str(ids(g, to)));
  std::vector<Step> steps = plan(g, from, to);
  NodeSet applied = from;
  std::vector<int> rows = g.tips(from);
  bool going_up = false;
  size_t changed = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    changed += from[i] != to[i] ? 1 : 0;
  }
  REQUIRE(steps.size() == changed);  // each changed revision once
  for (const auto& step : steps) {
    INFO("step " << describe(g, step));
    CHECK(step.rows_before == rows);
    if (step.direction == Direction::up) {
      going_up = true;
      REQUIRE_FALSE(applied[step.node]);
      CHECK(to[step.node]);
      // Parents and dependencies first.
      for (int p : g.parents(step.node)) {
        CHECK(applied[p]);
      }
      for (int d : g.dependencies(step.node)) {
        CHECK(applied[d]);
      }
      applied[step.node] = 1;
    } else {
      CHECK_FALSE(going_up);  // removals come first
      REQUIRE(applied[step.node]);
      CHECK_FALSE(to[step.node]);
      // Children and dependents first.
      for (int c : g.children(step.node)) {
        CHECK_FALSE(applied[c]);
      }
      for (int d : g.dependents(step.node)) {
        CHECK_FALSE(applied[d]);
      }
      applied[step.node] = 0;
    }
    CHECK(step.rows_after == g.tips(applied));  // Alembic's rows, in node order
    rows = step.rows_after;
  }
  CHECK(applied == to);
}

} // namespace

TEST_CASE("plans: exact steps and rows", "[graph][planner]")
{
  struct Row {
    const char* name;
    std::vector<std::string> graph;
    Set from;         // version rows before
    Set to;           // version rows after (an applied set's tips)
    std::vector<std::string> steps;
  };
  const Row rows[] = {
    {"a line up from nothing", {"a:", "b: a", "c: b"}, {}, {"c"}, {"+a[a]", "+b[b]", "+c[c]"}},
    {"a line up part of the way", {"a:", "b: a", "c: b"}, {"a"}, {"b"}, {"+b[b]"}},
    {"a line down to base", {"a:", "b: a", "c: b"}, {"c"}, {}, {"-c[b]", "-b[a]", "-a[]"}},
    {"a line down one", {"a:", "b: a", "c: b"}, {"c"}, {"b"}, {"-c[b]"}},
    {"nothing to do", {"a:", "b: a"}, {"b"}, {"b"}, {}},
    {"a merge replaces both parent rows", {"a:", "b: a", "c: a", "m: b c"}, {"b", "c"}, {"m"}, {"+m[m]"}},
    {"a merge is unmerged going down", {"a:", "b: a", "c: a", "m: b c"}, {"m"}, {"b", "c"}, {"-m[b,c]"}},
    {"a branch adds a row", {"a:", "b: a", "c: a"}, {"b"}, {"b", "c"}, {"+c[b,c]"}},
    {"a branch point left by one side", {"a:", "b: a", "c: a"}, {"b", "c"}, {"c"}, {"-b[c]"}},
    {"a second root adds a row", {"a:", "x:"}, {"a"}, {"a", "x"}, {"+x[a,x]"}},
    {"a root's downgrade deletes its row", {"a:", "x:"}, {"a", "x"}, {"a"}, {"-x[a]"}},
    {"a dependency's row is taken over", {"a:", "x: | a"}, {"a"}, {"x"}, {"+x[x]"}},
    {"and given back", {"a:", "x: | a"}, {"x"}, {"a"}, {"-x[a]"}},
    {"a covered dependency adds nothing", {"a:", "b: a", "x: | a"}, {"b"}, {"b", "x"}, {"+x[b,x]"}},
    {"and removing it neither", {"a:", "b: a", "x: | a"}, {"b", "x"}, {"b"}, {"-x[b]"}},
    {"a merge with one parent covered elsewhere", {"a:", "b: a", "c: a", "m: b c", "y: | c"}, {"b", "y"},
     {"m", "y"}, {"+m[m,y]"}},
    {"its unmerge restores only the uncovered parent", {"a:", "b: a", "c: a", "m: b c", "y: | c"}, {"m", "y"},
     {"b", "y"}, {"-m[b,y]"}},
    {"a three-way merge", {"a:", "b: a", "c: a", "d: a", "m: b c d"}, {"b", "c", "d"}, {"m"}, {"+m[m]"}},
    {"and its unmerge", {"a:", "b: a", "c: a", "d: a", "m: b c d"}, {"m"}, {"b", "c", "d"}, {"-m[b,c,d]"}},
    {"merging two roots", {"a:", "x:", "m: a x"}, {}, {"m"}, {"+a[a]", "+x[a,x]", "+m[m]"}},
    {"the project: r2 joins a3", project_graph(), {"a3", "r1"}, {"a3", "r2"}, {"+r2[a3,r2]"}},
    {"the project: r2 needs a2 first", project_graph(), {"a1", "r1"}, {"r2"}, {"+a2[a2,r1]", "+r2[r2]"}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    RevisionGraph g = build(row.graph);
    NodeSet from = applied_at(g, row.from);
    NodeSet to = applied_at(g, row.to);
    std::vector<Step> steps = plan(g, from, to);
    CHECK(describe(g, steps) == row.steps);
    if (!steps.empty()) {
      CHECK(ids(g, steps.front().rows_before) == row.from);
      CHECK(ids(g, steps.back().rows_after) == row.to);
    }
  }
}

TEST_CASE("merge and unmerge steps change the rows as Alembic does", "[graph][planner]")
{
  RevisionGraph g = build(project_graph());
  NodeSet none = g.empty_set();
  TargetResolver from_base(g, none);
  NodeSet all = from_base.upgrade_goal("heads");
  auto up = plan(g, none, all);
  REQUIRE(up.size() == 8);
  bool merged = false;
  for (const auto& step : up) {
    if (g.id(step.node) != "m") {
      continue;
    }
    merged = true;
    RowChange change = row_change(step.rows_before, step.rows_after);
    CHECK(ids(g, change.removed) == Set{"a3", "b2"});
    CHECK(ids(g, change.added) == Set{"m"});
  }
  CHECK(merged);
  CHECK(ids(g, up.back().rows_after) == Set{"m", "r2"});

  TargetResolver from_heads(g, all);
  auto down = plan(g, all, from_heads.downgrade_goal("a2"));
  REQUIRE(down.size() == 4);  // m, then a3, b2, b1 in a valid order
  CHECK(g.id(down.front().node) == "m");
  RowChange unmerge = row_change(down.front().rows_before, down.front().rows_after);
  CHECK(ids(g, unmerge.removed) == Set{"m"});
  CHECK(ids(g, unmerge.added) == Set{"a3", "b2"});
  // a2 stays applied, covered by r2's dependency: no row of its own.
  CHECK(ids(g, down.back().rows_after) == Set{"r2"});
}

TEST_CASE("every plan between any two applied sets follows the rules", "[graph][planner]")
{
  const std::vector<std::string> graphs[] = {
    project_graph(),
    branches_graph(),
    {"a:", "b: a", "c: a", "d: a", "m: b c d", "n: m | x", "x:"},
    {"a:", "b: a | c", "c:", "d: b c", "e: d | a"},  // redundant dependencies and parents
  };
  for (const auto& lines : graphs) {
    RevisionGraph g = build(lines);
    std::vector<NodeSet> sets = closed_sets(g);
    CHECK(sets.size() > 4);
    for (const auto& from : sets) {
      for (const auto& to : sets) {
        check_plan(g, from, to);
      }
    }
  }
}

TEST_CASE("row changes: what to delete and what to insert", "[graph][planner]")
{
  struct Row {
    std::vector<int> before;
    std::vector<int> after;
    std::vector<int> removed;
    std::vector<int> added;
  };
  const Row rows[] = {
    {{}, {}, {}, {}},
    {{}, {1}, {}, {1}},
    {{1}, {}, {1}, {}},
    {{1}, {2}, {1}, {2}},
    {{1, 2}, {3}, {1, 2}, {3}},
    {{3}, {1, 2}, {3}, {1, 2}},
    {{1, 5}, {2, 5}, {1}, {2}},
    {{1, 5}, {1, 5}, {}, {}},
  };
  for (const auto& row : rows) {
    RowChange change = row_change(row.before, row.after);
    CHECK(change.removed == row.removed);
    CHECK(change.added == row.added);
  }
}

TEST_CASE("a compact plan is the plan: the same steps, each with its row change", "[graph][planner]")
{
  const std::vector<std::string> graphs[] = {
    project_graph(),
    branches_graph(),
    {"a:", "b: a", "c: a", "d: a", "m: b c d", "n: m | x", "x:"},
  };
  for (const auto& lines : graphs) {
    RevisionGraph g = build(lines);
    const std::vector<NodeSet> sets = closed_sets(g);
    for (const auto& from : sets) {
      for (const auto& to : sets) {
        const std::vector<Step> steps = plan(g, from, to);
        const CompactPlan compact = plan_compact(g, from, to);
        REQUIRE(compact.steps.size() == steps.size());
        for (size_t i = 0; i < steps.size(); ++i) {
          const CompactStep& c = compact.steps[i];
          CHECK(c.node == steps[i].node);
          CHECK(c.direction == steps[i].direction);
          const RowChange change = row_change(steps[i].rows_before, steps[i].rows_after);
          const int* rows = compact.row_nodes.data() + c.rows;
          CHECK(std::vector<int>(rows, rows + c.removed) == change.removed);
          CHECK(std::vector<int>(rows + c.removed, rows + c.removed + c.added) == change.added);
        }
      }
    }
  }
}

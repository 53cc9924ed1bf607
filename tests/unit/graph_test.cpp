// The revision graph, Alembic's target grammar, and plans.
//
// The test graph (parents point left; r2 also depends on a2):
//
//   a1 -- a2 -- a3 ------ m      (m merges a3 and b2)
//           \-- b1 -- b2 -/
//   r1 [label reporting] -- r2 (depends on a2)

#include "graph/planner.hpp"
#include "graph/revision_graph.hpp"
#include "graph/targets.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <functional>
#include <set>

using namespace lockstep;
using namespace lockstep::graph;
using Catch::Matchers::ContainsSubstring;

namespace {

RevisionGraph test_graph()
{
  return RevisionGraph({
    {"a1", {}, {}, {}, "a1.sql"},
    {"a2", {"a1"}, {}, {}, "a2.sql"},
    {"a3", {"a2"}, {}, {}, "a3.sql"},
    {"b1", {"a2"}, {}, {}, "b1.sql"},
    {"b2", {"b1"}, {}, {}, "b2.sql"},
    {"m", {"a3", "b2"}, {}, {}, "m.sql"},
    {"r1", {}, {}, {"reporting"}, "r1.sql"},
    {"r2", {"r1"}, {"a2"}, {}, "r2.sql"},
  });
}

std::set<std::string> ids(const RevisionGraph& g, const NodeSet& set)
{
  std::set<std::string> out;
  for (size_t i = 0; i < set.size(); ++i) {
    if (set[i]) {
      out.insert(g.id(static_cast<int>(i)));
    }
  }
  return out;
}

std::set<std::string> ids(const RevisionGraph& g, const std::vector<int>& nodes)
{
  std::set<std::string> out;
  for (int n : nodes) {
    out.insert(g.id(n));
  }
  return out;
}

NodeSet applied_at(const RevisionGraph& g, const std::vector<std::string>& rows)
{
  std::vector<int> nodes;
  for (const auto& r : rows) {
    nodes.push_back(*g.find(r));
  }
  return g.ancestors(nodes);
}

std::string error_of(const std::function<void()>& f)
{
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "";
}

using Set = std::set<std::string>;

} // namespace

TEST_CASE("heads, bases, tips and topological order", "[graph]")
{
  RevisionGraph g = test_graph();
  CHECK(ids(g, g.heads()) == Set{"m", "r2"});
  CHECK(ids(g, g.bases()) == Set{"a1", "r1"});
  CHECK(*g.find_label("reporting") == *g.find("r1"));
  CHECK(g.find_prefix("a").size() == 3);
  // Tips: applied revisions nothing applied revises or depends on.
  CHECK(ids(g, g.tips(applied_at(g, {"m", "r2"}))) == Set{"m", "r2"});
  CHECK(ids(g, g.tips(applied_at(g, {"r2"}))) == Set{"r2"});  // a2 is covered by r2's dependency
  CHECK(ids(g, g.tips(applied_at(g, {"a3", "b1"}))) == Set{"a3", "b1"});
  // Every parent and dependency comes before its child.
  for (int n = 0; n < static_cast<int>(g.size()); ++n) {
    for (int p : g.parents(n)) {
      CHECK(g.topological_position(p) < g.topological_position(n));
    }
    for (int d : g.dependencies(n)) {
      CHECK(g.topological_position(d) < g.topological_position(n));
    }
  }
}

TEST_CASE("a bad graph names its culprits", "[graph]")
{
  struct Row {
    std::vector<NodeSpec> specs;
    std::vector<const char*> expected;
  };
  const Row rows[] = {
    {{{"a", {"ghost"}, {}, {}, "a.sql"}}, {"a", "a.sql", "unknown revision ghost"}},
    {{{"a", {}, {"ghost"}, {}, "a.sql"}}, {"depends on unknown revision ghost"}},
    {{{"a", {}, {}, {}, "1.sql"}, {"a", {}, {}, {}, "2.sql"}}, {"declared twice", "1.sql", "2.sql"}},
    {{{"a", {"c"}, {}, {}, ""}, {"b", {"a"}, {}, {}, ""}, {"c", {"b"}, {}, {}, ""}}, {"cycle", "a", "b", "c"}},
    {{{"a", {}, {"b"}, {}, ""}, {"b", {"a"}, {}, {}, ""}}, {"cycle"}},
    {{{"a", {}, {}, {"x"}, ""}, {"b", {}, {}, {"x"}, ""}}, {"label 'x'", "a", "b"}},
  };
  for (const auto& row : rows) {
    std::string message = error_of([&] { RevisionGraph g(row.specs); });
    INFO(message);
    for (const char* part : row.expected) {
      CHECK_THAT(message, ContainsSubstring(part));
    }
  }
}

TEST_CASE("upgrade targets resolve as in Alembic", "[graph][targets]")
{
  RevisionGraph g = test_graph();
  struct Row {
    std::vector<std::string> current;  // version rows
    std::string target;
    Set goal;  // applied afterwards; empty with error set
    const char* error = nullptr;
  };
  const Row rows[] = {
    {{}, "heads", {"a1", "a2", "a3", "b1", "b2", "m", "r1", "r2"}},
    {{}, "b2", {"a1", "a2", "b1", "b2"}},
    {{}, "b", {}, "ambiguous"},                       // b1, b2
    {{}, "zz", {}, "unknown revision 'zz'"},
    {{}, "head", {}, "2 heads"},
    {{}, "reporting@head", {"a1", "a2", "r1", "r2"}},  // r2 depends on a2
    {{}, "reporting", {"r1"}},
    {{}, "base", {}},
    {{}, "+1", {}, "ambiguous"},                       // two bases
    {{}, "reporting@+1", {"r1"}},
    {{"a1"}, "+1", {"a1", "a2"}},
    {{"a1"}, "+2", {}, "ambiguous"},                   // a2 branches
    {{"a1"}, "a2+1", {}, "ambiguous"},
    {{"a1"}, "b1+1", {"a1", "a2", "b1", "b2"}},
    {{"a1"}, "m-1", {}, "ambiguous"},                  // m has two parents
    {{"a1"}, "b2-1", {"a1", "a2", "b1"}},
    {{"a1"}, "-1", {}, "needs a revision"},
    {{"b2"}, "+1", {"a1", "a2", "b1", "b2", "a3", "m"}},
    {{"m"}, "+1", {}, "past the head"},
    {{"a3", "b2"}, "+1", {}, "several revisions"},
    {{"b2"}, "a3", {"a1", "a2", "a3", "b1", "b2"}},
  };
  for (const auto& row : rows) {
    INFO(row.target << " from " << row.current.size() << " rows");
    NodeSet applied = applied_at(g, row.current);
    TargetResolver resolver(g, applied);
    if (row.error != nullptr) {
      CHECK_THAT(error_of([&] { resolver.upgrade_goal(row.target); }), ContainsSubstring(row.error));
    } else {
      CHECK(ids(g, resolver.upgrade_goal(row.target)) == row.goal);
    }
  }
}

TEST_CASE("downgrade targets never leave a revision without what it needs", "[graph][targets]")
{
  RevisionGraph g = test_graph();
  const std::vector<std::string> all{"m", "r2"};
  struct Row {
    std::vector<std::string> current;
    std::string target;
    Set goal;
    const char* error = nullptr;
  };
  const Row rows[] = {
    {all, "base", {}},
    {all, "a1", {"a1", "r1"}},                          // r2 needs a2: it goes too
    {all, "a2", {"a1", "a2", "r1", "r2"}},
    {all, "b1", {"a1", "a2", "a3", "b1", "r1", "r2"}},  // m needs b2
    {all, "reporting@base", {"a1", "a2", "a3", "b1", "b2", "m"}},
    {all, "reporting@-1", {"a1", "a2", "a3", "b1", "b2", "m", "r1"}},
    {all, "-1", {}, "several revisions"},
    {{"m"}, "-1", {"a1", "a2", "a3", "b1", "b2"}},     // the merge alone
    {{"m"}, "-2", {}, "ambiguous after stepping back 1"},
    {{"b2"}, "-2", {"a1", "a2"}},
    {{"b2"}, "-5", {}, "only 4 are applied"},
    {{"b2"}, "b2-1", {"a1", "a2", "b1"}},
    {{"b2"}, "a3", {}, "not applied"},
    {{"b2"}, "+1", {}, "not a downgrade target"},
    {{"b2"}, "b2", {"a1", "a2", "b1", "b2"}},           // nothing to do
  };
  for (const auto& row : rows) {
    INFO(row.target);
    NodeSet applied = applied_at(g, row.current);
    TargetResolver resolver(g, applied);
    if (row.error != nullptr) {
      CHECK_THAT(error_of([&] { resolver.downgrade_goal(row.target); }), ContainsSubstring(row.error));
      continue;
    }
    NodeSet goal = resolver.downgrade_goal(row.target);
    CHECK(ids(g, goal) == row.goal);
    // Closed under parents and dependencies: nothing left behind lacks what it needs.
    CHECK(ids(g, g.ancestors([&] {
            std::vector<int> v;
            for (size_t i = 0; i < goal.size(); ++i) {
              if (goal[i]) {
                v.push_back(static_cast<int>(i));
              }
            }
            return v;
          }())) == ids(g, goal));
  }
}

TEST_CASE("stamp goals and history ranges", "[graph][targets]")
{
  RevisionGraph g = test_graph();
  NodeSet at_m = applied_at(g, {"m", "r1"});
  TargetResolver resolver(g, at_m);
  CHECK(ids(g, g.tips(resolver.stamp_goal("b1"))) == Set{"a3", "b1", "r1"});
  CHECK(ids(g, g.tips(resolver.stamp_goal("r2"))) == Set{"m", "r2"});
  CHECK(ids(g, resolver.stamp_goal("base")).empty());
  CHECK(ids(g, resolver.range("a2:b2")) == Set{"a2", "b1", "b2"});
  CHECK(ids(g, resolver.range(":a2")) == Set{"a1", "a2"});
  CHECK(ids(g, resolver.range("b2:")) == Set{"b2", "m"});
  CHECK(ids(g, resolver.range("current:")) == Set{"m", "r1", "r2"});
}

TEST_CASE("plans run parents first going up, children first going down, with the rows of each step", "[graph][planner]")
{
  RevisionGraph g = test_graph();
  NodeSet none = g.empty_set();
  TargetResolver from_base(g, none);
  auto up = plan(g, none, from_base.upgrade_goal("heads"));
  REQUIRE(up.size() == 8);
  std::vector<std::string> done;
  for (const auto& step : up) {
    CHECK(step.direction == Direction::up);
    for (int p : g.parents(step.node)) {
      CHECK(std::find(done.begin(), done.end(), g.id(p)) != done.end());
    }
    done.push_back(g.id(step.node));
    if (g.id(step.node) == "m") {
      // The merge replaces both parent rows with one.
      CHECK(ids(g, row_change(step.rows_before, step.rows_after).removed) == Set{"a3", "b2"});
      CHECK(ids(g, row_change(step.rows_before, step.rows_after).added) == Set{"m"});
    }
  }
  CHECK(ids(g, up.back().rows_after) == Set{"m", "r2"});

  NodeSet all = from_base.upgrade_goal("heads");
  TargetResolver from_heads(g, all);
  auto down = plan(g, all, from_heads.downgrade_goal("a2"));
  REQUIRE(down.size() == 4);  // m, a3, b2, b1
  std::vector<std::string> undone;
  for (const auto& step : down) {
    CHECK(step.direction == Direction::down);
    for (int c : g.children(step.node)) {
      if (all[c]) {
        CHECK(std::find(undone.begin(), undone.end(), g.id(c)) != undone.end());
      }
    }
    undone.push_back(g.id(step.node));
  }
  CHECK(undone.front() == "m");
  // Reverting the merge restores both parent rows.
  CHECK(ids(g, down.front().rows_after) == Set{"a3", "b2", "r2"});
  CHECK(ids(g, down.back().rows_after) == Set{"r2"});  // a2 stays, covered by r2's dependency
  CHECK(ids(g, g.tips(from_heads.downgrade_goal("a2"))) == Set{"r2"});  // r2 depends on a2
  CHECK(plan(g, all, all).empty());
}

TEST_CASE("target text splits into label, symbol and relative step", "[graph][targets]")
{
  struct Row {
    const char* text;
    const char* label;
    const char* symbol;
    int relative;  // 0: none
  };
  const Row rows[] = {
    {"heads", "", "heads", 0}, {"+2", "", "", 2},      {"-1", "", "", -1},       {"ae10+3", "", "ae10", 3},
    {"ae10-1", "", "ae10", -1}, {"lbl@head", "lbl", "head", 0}, {"lbl@+1", "lbl", "", 1}, {"lbl@base", "lbl", "base", 0},
  };
  for (const auto& row : rows) {
    TargetSpec spec = parse_target(row.text);
    INFO(row.text);
    CHECK(spec.label == row.label);
    CHECK(spec.symbol == row.symbol);
    CHECK(spec.relative.value_or(0) == row.relative);
  }
}

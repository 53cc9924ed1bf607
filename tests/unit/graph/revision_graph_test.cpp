// The revision DAG (graph/revision_graph): heads, bases, tips, look-ups,
// topological order, and the errors of a bad graph.

#include "graph/revision_graph.hpp"
#include "graph_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace lockstep;
using namespace lockstep::graph;
using namespace lockstep::test;
using Catch::Matchers::ContainsSubstring;

namespace {

const std::vector<std::string> project = project_graph();

} // namespace

TEST_CASE("heads and bases", "[graph]")
{
  struct Row {
    const char* name;
    std::vector<std::string> graph;
    Set heads;
    Set bases;
  };
  const Row rows[] = {
    {"empty", {}, {}, {}},
    {"one revision", {"a:"}, {"a"}, {"a"}},
    {"a line", {"a:", "b: a", "c: b"}, {"c"}, {"a"}},
    {"a branch point", {"a:", "b: a", "c: a"}, {"b", "c"}, {"a"}},
    {"merged again", {"a:", "b: a", "c: a", "m: b c"}, {"m"}, {"a"}},
    {"several roots", {"a:", "x:", "y: x"}, {"a", "y"}, {"a", "x"}},
    {"roots merged", {"a:", "x:", "m: a x"}, {"m"}, {"a", "x"}},
    // A dependency does not end a branch: a stays a head.
    {"a dependency", {"a:", "x:", "y: x | a"}, {"a", "y"}, {"a", "x"}},
    {"a root with only a dependency", {"a:", "x: | a"}, {"a", "x"}, {"a", "x"}},
    {"the project", project, {"m", "r2"}, {"a1", "r1"}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    RevisionGraph g = build(row.graph);
    CHECK(g.size() == row.graph.size());
    CHECK(ids(g, g.heads()) == row.heads);
    CHECK(ids(g, g.bases()) == row.bases);
    for (int n = 0; n < static_cast<int>(g.size()); ++n) {
      CHECK(g.is_head(n) == (row.heads.count(g.id(n)) == 1));
    }
  }
}

TEST_CASE("tips (version rows) and branch heads (what `current` shows) of an applied set", "[graph]")
{
  // tips: applied revisions that no applied revision revises or depends on.
  // branch heads: applied revisions that no applied revision revises, so a
  // revision current only through another branch's dependency is one too.
  RevisionGraph g = build(project);
  struct Row {
    Set applied;
    Set tips;
    Set branch_heads;
  };
  const Row rows[] = {
    {{}, {}, {}},
    {{"a1"}, {"a1"}, {"a1"}},
    {{"a1", "a2"}, {"a2"}, {"a2"}},
    {{"a1", "a2", "a3", "b1"}, {"a3", "b1"}, {"a3", "b1"}},
    {{"a1", "a2", "a3", "b1", "b2"}, {"a3", "b2"}, {"a3", "b2"}},
    {{"a1", "a2", "a3", "b1", "b2", "m"}, {"m"}, {"m"}},
    {{"a1", "r1"}, {"a1", "r1"}, {"a1", "r1"}},
    {{"a1", "a2", "r1", "r2"}, {"r2"}, {"a2", "r2"}},  // a2 is covered by r2's dependency only
    {{"a1", "a2", "a3", "r1", "r2"}, {"a3", "r2"}, {"a3", "r2"}},
    {{"a1", "a2", "a3", "b1", "b2", "m", "r1", "r2"}, {"m", "r2"}, {"m", "r2"}},
  };
  for (const auto& row : rows) {
    INFO("applied " << str(row.applied));
    std::vector<int> tips = g.tips(set_of(g, row.applied));
    CHECK(ids(g, tips) == row.tips);
    CHECK(ids(g, g.branch_heads(set_of(g, row.applied))) == row.branch_heads);
    // In node order.
    for (size_t i = 1; i < tips.size(); ++i) {
      CHECK(tips[i - 1] < tips[i]);
    }
  }
}

TEST_CASE("edges: parents, children, dependencies, dependents", "[graph]")
{
  RevisionGraph g = build(project);
  auto of = [&](const char* id) { return *g.find(id); };
  CHECK(ids(g, g.parents(of("m"))) == Set{"a3", "b2"});
  CHECK(ids(g, g.children(of("a2"))) == Set{"a3", "b1"});  // r2 only depends on it
  CHECK(ids(g, g.dependents(of("a2"))) == Set{"r2"});
  CHECK(ids(g, g.dependencies(of("r2"))) == Set{"a2"});
  CHECK(g.parents(of("a1")).empty());
  CHECK(g.spec(of("r1")).branch_labels == std::vector<std::string>{"reporting"});
  CHECK(g.spec(of("m")).origin == "m.sql");

  // A revision listed twice as a parent or dependency is one edge.
  RevisionGraph twice = build({"a:", "b: a a | a a"});
  CHECK(twice.parents(1).size() == 1);
  CHECK(twice.dependencies(1).size() == 1);
  CHECK(twice.children(0).size() == 1);
}

TEST_CASE("ancestors, descendants and lineage", "[graph]")
{
  RevisionGraph g = build(project);
  struct Row {
    Set of;
    Set expected;
  };
  const Row ancestors[] = {
    {{"a1"}, {"a1"}},
    {{"m"}, {"a1", "a2", "a3", "b1", "b2", "m"}},
    {{"r2"}, {"a1", "a2", "r1", "r2"}},  // through the dependency
    {{"a3", "r1"}, {"a1", "a2", "a3", "r1"}},
    {{}, {}},
  };
  for (const auto& row : ancestors) {
    INFO("ancestors of " << str(row.of));
    CHECK(ids(g, g.ancestors(nodes_of(g, row.of))) == row.expected);
  }
  const Row descendants[] = {
    {{"a2"}, {"a2", "a3", "b1", "b2", "m", "r2"}},  // through the dependent
    {{"b2"}, {"b2", "m"}},
    {{"r1"}, {"r1", "r2"}},
    {{"m", "r2"}, {"m", "r2"}},
  };
  for (const auto& row : descendants) {
    INFO("descendants of " << str(row.of));
    CHECK(ids(g, g.descendants(nodes_of(g, row.of))) == row.expected);
  }
  // Lineage follows parents only.
  CHECK(ids(g, g.lineage(*g.find("r2"))) == Set{"r1", "r2"});
  CHECK(ids(g, g.lineage(*g.find("m"))) == Set{"a1", "a2", "a3", "b1", "b2", "m"});
}

TEST_CASE("look-ups by id, prefix and branch label", "[graph]")
{
  RevisionGraph g = build(branches_graph());
  CHECK(g.find("27c6a3") == 1);
  CHECK_FALSE(g.find("27c6").has_value());  // find() is exact
  CHECK_FALSE(g.find("cart").has_value());  // and knows no labels
  CHECK(g.find_label("cart") == 0);
  CHECK(g.find_label("net") == 3);
  CHECK_FALSE(g.find_label("ae1038").has_value());
  struct Row {
    const char* prefix;
    std::vector<std::string> matches;  // sorted by id
  };
  const Row rows[] = {
    {"2", {"27c6a3", "29f859", "2a95ca"}},
    {"27", {"27c6a3"}},
    {"2a95ca", {"2a95ca"}},
    {"2a95cab", {}},
    {"x", {}},
    {"", {"27c6a3", "29f859", "2a95ca", "3cac04", "55af2c", "ae1038"}},
  };
  for (const auto& row : rows) {
    INFO(row.prefix);
    std::vector<std::string> found;
    for (int n : g.find_prefix(row.prefix)) {
      found.push_back(g.id(n));
    }
    CHECK(found == row.matches);
  }
  // A dependency may name a branch label.
  RevisionGraph by_label = build({"a: [core]", "b: a", "x: | core"});
  CHECK(ids(by_label, by_label.dependencies(2)) == Set{"a"});
}

TEST_CASE("topological order puts parents and dependencies first", "[graph]")
{
  const std::vector<std::string> graphs[] = {
    project,
    {"z:", "y: z", "x: y"},
    {"c: b", "b: a", "a:"},  // children declared before parents
    {"m: b c", "c: a | d", "b: a", "a:", "d:"},
  };
  for (const auto& lines : graphs) {
    RevisionGraph g = build(lines);
    const std::vector<int>& order = g.topological_order();
    REQUIRE(order.size() == g.size());
    CHECK(Set(ids(g, order)).size() == g.size());  // every node once
    for (int n = 0; n < static_cast<int>(g.size()); ++n) {
      CHECK(order[static_cast<size_t>(g.topological_position(n))] == n);
      for (int p : g.parents(n)) {
        CHECK(g.topological_position(p) < g.topological_position(n));
      }
      for (int d : g.dependencies(n)) {
        CHECK(g.topological_position(d) < g.topological_position(n));
      }
    }
    std::vector<int> all(order.rbegin(), order.rend());
    g.sort_topologically(all);
    CHECK(all == order);
    g.sort_topologically(all, true);
    CHECK(all == std::vector<int>(order.rbegin(), order.rend()));
  }
}

TEST_CASE("a bad graph is a usage error naming its culprits", "[graph]")
{
  struct Row {
    const char* name;
    std::vector<std::string> graph;
    std::vector<const char*> expected;
  };
  const Row rows[] = {
    {"unknown parent", {"a:", "b: ghost"}, {"revision b (b.sql) revises unknown revision ghost"}},
    {"unknown dependency", {"a:", "b: a | ghost"}, {"revision b (b.sql) depends on unknown revision ghost"}},
    {"duplicate id", {"a:", "b: a", "a: b"}, {"revision a is declared twice", "a.sql"}},
    {"duplicate label", {"a: [x]", "b: [x]"}, {"branch label 'x'", "a", "b"}},
    {"label that is another revision's id", {"a: [b]", "b:"}, {"branch label 'b' of revision a is also a revision id"}},
    {"self parent", {"a: a"}, {"cycle", "a -> a"}},
    {"self dependency", {"a: | a"}, {"revision a (a.sql) depends on itself"}},
    {"cycle of parents", {"a: c", "b: a", "c: b"}, {"cycle", "a", "b", "c"}},
    {"cycle through a dependency", {"a: | b", "b: a"}, {"cycle", "a", "b"}},
    {"cycle beside a sound part", {"r:", "s: r", "a: b", "b: a"}, {"cycle", "a -> b"}},
    {"dependency on a descendant", {"a: | c", "b: a", "c: b"}, {"cycle", "a", "c"}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    std::string message;
    try {
      build(row.graph);
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      message = e.what();
    }
    INFO(message);
    REQUIRE_FALSE(message.empty());
    for (const char* part : row.expected) {
      CHECK_THAT(message, ContainsSubstring(part));
    }
  }
}

TEST_CASE("a label may be its own revision's id", "[graph]")
{
  RevisionGraph g = build({"a: [a]", "b: a"});
  CHECK(g.find_label("a") == g.find("a"));
}

TEST_CASE("a graph over borrowed fields is the graph over the same specs; copies read their own", "[graph]")
{
  std::vector<NodeSpec> specs;
  for (const auto& line : project) {
    specs.push_back(test::node(line));
  }
  std::vector<NodeRef> refs;
  for (const auto& s : specs) {
    refs.push_back({&s.id, &s.parents, &s.depends_on, &s.branch_labels, &s.origin, s.stored});
  }
  const RevisionGraph owned(specs);
  const RevisionGraph borrowed(refs);
  REQUIRE(borrowed.size() == owned.size());
  for (int n = 0; n < static_cast<int>(owned.size()); ++n) {
    CHECK(&borrowed.id(n) == &specs[static_cast<size_t>(n)].id);  // read in place, not copied
    CHECK(ids(borrowed, borrowed.parents(n)) == ids(owned, owned.parents(n)));
    CHECK(ids(borrowed, borrowed.children(n)) == ids(owned, owned.children(n)));
    CHECK(ids(borrowed, borrowed.dependencies(n)) == ids(owned, owned.dependencies(n)));
    CHECK(ids(borrowed, borrowed.dependents(n)) == ids(owned, owned.dependents(n)));
  }
  CHECK(borrowed.topological_order() == owned.topological_order());
  CHECK(borrowed.find_label("reporting") == owned.find_label("reporting"));

  // The same errors, naming the same files.
  std::vector<NodeSpec> twice{test::node("a:"), test::node("a:")};
  twice[1].origin = "other.sql";
  std::vector<NodeRef> twice_refs;
  for (const auto& s : twice) {
    twice_refs.push_back({&s.id, &s.parents, &s.depends_on, &s.branch_labels, &s.origin, s.stored});
  }
  CHECK_THROWS_WITH(RevisionGraph(twice_refs), "revision a is declared twice: (a.sql) (other.sql)");

  // A copy of a graph that owns its specs reads the copy's, which outlive
  // the original.
  std::optional<RevisionGraph> original(std::in_place, specs);
  const RevisionGraph copy(*original);
  RevisionGraph assigned = build({"x:"});
  assigned = *original;
  original.reset();
  for (const RevisionGraph* g : std::vector<const RevisionGraph*>{&copy, &assigned}) {
    CHECK(g->id(*g->find("m")) == "m");
    CHECK(g->spec(*g->find("m")).origin == "m.sql");
    CHECK(ids(*g, g->parents(*g->find("m"))) == Set{"a3", "b2"});
  }
}

TEST_CASE("a node's lists read like vectors and become vectors", "[graph]")
{
  RevisionGraph g = build(project);
  const int m = *g.find("m");
  const std::vector<int> parents = g.parents(m);
  REQUIRE(parents.size() == 2);
  CHECK(parents[0] == g.parents(m)[0]);
  CHECK(parents[1] == g.parents(m)[1]);
  CHECK(parents[0] < parents[1]);  // node order
  std::vector<int> next{42};
  next = g.children(*g.find("a2"));
  CHECK(ids(g, next) == Set{"a3", "b1"});
  CHECK(g.descendants(g.children(*g.find("b1"))) == g.descendants({*g.find("b2")}));
}

// Alembic's target grammar (graph/targets): parsing, naming revisions, and
// the applied set each command aims for.
//
// Rows give the database's version rows before the command ("current") and
// the applied set expected afterwards, or a piece of the expected error.
// Where lockstep deliberately differs from Alembic the row says so.

#include "graph/revision_graph.hpp"
#include "graph/targets.hpp"
#include "graph_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace lockstep;
using namespace lockstep::graph;
using namespace lockstep::test;
using Catch::Matchers::ContainsSubstring;

namespace {

const Set everything{"a1", "a2", "a3", "b1", "b2", "m", "r1", "r2"};
const Set all_branches{"ae1038", "27c6a3", "55af2c", "3cac04", "2a95ca", "29f859"};

struct GoalRow {
  Set current;        // version rows before
  std::string target;
  Set goal;           // applied afterwards, when `error` is null
  const char* error = nullptr;
};

enum class Goal { upgrade, downgrade, stamp };

NodeSet goal_of(const TargetResolver& resolver, Goal kind, const std::string& target)
{
  switch (kind) {
  case Goal::upgrade:
    return resolver.upgrade_goal(target);
  case Goal::downgrade:
    return resolver.downgrade_goal(target);
  case Goal::stamp:
    break;
  }
  return resolver.stamp_goal(target);
}

void check_goals(const RevisionGraph& g, Goal kind, const std::vector<GoalRow>& rows)
{
  for (const auto& row : rows) {
    INFO("'" << row.target << "' from " << str(row.current));
    NodeSet applied = applied_at(g, row.current);
    TargetResolver resolver(g, applied);
    if (row.error != nullptr) {
      CHECK_THAT(usage_error_of([&] { goal_of(resolver, kind, row.target); }), ContainsSubstring(row.error));
      continue;
    }
    NodeSet goal = goal_of(resolver, kind, row.target);
    CHECK(ids(g, goal) == row.goal);
    // Every goal is closed under parents and dependencies: nothing applied
    // lacks what it needs.
    CHECK(ids(g, g.ancestors(members(goal))) == ids(g, goal));
  }
}

} // namespace

TEST_CASE("target text splits into label, symbol and relative step", "[graph][targets]")
{
  struct Row {
    const char* text;
    const char* label;
    const char* symbol;
    std::optional<int> relative;
  };
  const Row rows[] = {
    {"heads", "", "heads", {}},
    {"head", "", "head", {}},
    {"base", "", "base", {}},
    {"ae10", "", "ae10", {}},
    {"+2", "", "", 2},
    {"-1", "", "", -1},
    {"+0", "", "", 0},
    {"ae10+3", "", "ae10", 3},
    {"ae10-1", "", "ae10", -1},
    {"lbl@head", "lbl", "head", {}},
    {"lbl@heads", "lbl", "heads", {}},
    {"lbl@base", "lbl", "base", {}},
    {"lbl@+1", "lbl", "", 1},
    {"lbl@-2", "lbl", "", -2},
    {"lbl@ae10-2", "lbl", "ae10", -2},
    {"lbl@ae10", "lbl", "ae10", {}},
    {"a@b@head", "a@b", "head", {}},
    {"@head", "", "head", {}},
    {"ae10+", "", "ae10+", {}},     // no digits: not a relative step
    {"ae10+1x", "", "ae10+1x", {}},
    {"+", "", "+", {}},
    {"", "", "", {}},
    {"-999999", "", "", -999999},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    TargetSpec spec = parse_target(row.text);
    CHECK(spec.label == row.label);
    CHECK(spec.symbol == row.symbol);
    CHECK(spec.relative == row.relative);
  }
  // A step count that does not fit is a usage error, not a crash.
  CHECK_THAT(usage_error_of([] { parse_target("+99999999999999999999"); }), ContainsSubstring("at most"));
  CHECK_THAT(usage_error_of([] { parse_target("ae10-1234567"); }), ContainsSubstring("ae10-1234567"));
}

TEST_CASE("a revision is named by id, branch label or unique prefix", "[graph][targets]")
{
  RevisionGraph g = build(project_graph());
  NodeSet none = g.empty_set();
  TargetResolver resolver(g, none);
  struct Row {
    const char* name;
    const char* id;  // null: an error
    std::vector<const char*> error;
  };
  const Row rows[] = {
    {"a1", "a1", {}},
    {"m", "m", {}},
    {"reporting", "r1", {}},
    {"a3", "a3", {}},
    {"b", nullptr, {"revision prefix 'b' is ambiguous", "b1 (b1.sql), b2 (b2.sql)"}},
    {"r", nullptr, {"ambiguous", "r1 (r1.sql), r2 (r2.sql)"}},
    {"zz", nullptr, {"unknown revision 'zz'", "the heads are: m (m.sql), r2 (r2.sql)"}},
    {"a1x", nullptr, {"unknown revision 'a1x'"}},
    {"", nullptr, {"empty revision name"}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    if (row.id != nullptr) {
      CHECK(g.id(resolver.revision(row.name)) == row.id);
      continue;
    }
    std::string message = usage_error_of([&] { resolver.revision(row.name); });
    for (const char* part : row.error) {
      CHECK_THAT(message, ContainsSubstring(part));
    }
  }
  // An id that is a prefix of another names itself.
  RevisionGraph nested = build({"ab:", "abc: ab"});
  NodeSet nothing = nested.empty_set();
  TargetResolver nested_resolver(nested, nothing);
  CHECK(nested.id(nested_resolver.revision("ab")) == "ab");
  CHECK(nested.id(nested_resolver.revision("abc")) == "abc");
  CHECK_THAT(usage_error_of([&] { nested_resolver.revision("a"); }), ContainsSubstring("ambiguous"));
  // No revisions at all.
  RevisionGraph empty = build({});
  NodeSet none_at_all = empty.empty_set();
  TargetResolver empty_resolver(empty, none_at_all);
  CHECK_THAT(usage_error_of([&] { empty_resolver.revision("a"); }), ContainsSubstring("there are no revisions"));
}

TEST_CASE("the revisions a target names", "[graph][targets]")
{
  struct Row {
    std::vector<std::string> graph;
    Set current;
    const char* target;
    Set nodes;
    std::vector<const char*> error;
  };
  const Row rows[] = {
    {project_graph(), {}, "heads", {"m", "r2"}, {}},
    {project_graph(), {}, "head", {}, {"'head' is ambiguous: there are 2 heads: m (m.sql), r2 (r2.sql)"}},
    {project_graph(), {}, "base", {}, {}},
    {project_graph(), {"a3", "r1"}, "current", {"a3", "r1"}, {}},
    {project_graph(), {}, "current", {}, {}},
    {project_graph(), {}, "reporting@head", {"r2"}, {}},
    {project_graph(), {}, "reporting@heads", {"r2"}, {}},
    {project_graph(), {}, "a2@head", {"m"}, {}},  // a revision as the branch; r2 only depends on a2
    {project_graph(), {}, "b1@heads", {"m"}, {}},
    {project_graph(), {}, "reporting@r2", {"r2"}, {}},
    {project_graph(), {}, "reporting@b2", {}, {"revision b2 is not on branch reporting"}},
    {project_graph(), {}, "reporting@a2", {}, {"revision a2 is not on branch reporting"}},
    {project_graph(), {}, "b1@a3", {}, {"revision a3 is not on branch b1"}},
    {project_graph(), {}, "b1@a1", {"a1"}, {}},  // an ancestor is on the branch
    {project_graph(), {}, "nolabel@head", {}, {"unknown revision 'nolabel'"}},
    {project_graph(), {}, "m", {"m"}, {}},
    // Prefixes are looked up within the branch.
    {project_graph(), {}, "reporting@r", {}, {"prefix 'r' is ambiguous on branch reporting", "r1", "r2"}},
    {project_graph(), {}, "reporting@a", {}, {"unknown revision 'a' on branch reporting", "r2"}},
    {project_graph(), {}, "a3@b", {}, {"unknown revision 'b' on branch a3"}},
    {branches_graph(), {}, "head", {}, {"2 heads: 55af2c (55af2c.sql), 29f859 (29f859.sql)"}},
    {branches_graph(), {}, "cart@head", {"55af2c"}, {}},
    {branches_graph(), {}, "net@head", {"29f859"}, {}},
    {branches_graph(), {}, "2", {}, {"ambiguous", "27c6a3", "29f859", "2a95ca"}},
    {branches_graph(), {}, "cart@2", {"27c6a3"}, {}},  // ambiguous globally, unique on the branch
    {branches_graph(), {}, "net@2", {}, {"ambiguous on branch net", "29f859", "2a95ca"}},
    {branches_graph(), {}, "net@2a", {"2a95ca"}, {}},
    {branches_graph(), {}, "cart@29f859", {}, {"not on branch cart"}},  // depends on cart, is not on it
    {branches_graph(), {}, "cart@+1", {"ae1038"}, {}},
    {branches_graph(), {}, "+1", {}, {"ambiguous at base", "ae1038", "3cac04"}},
  };
  for (const auto& row : rows) {
    INFO(row.target << " from " << str(row.current));
    RevisionGraph g = build(row.graph);
    NodeSet applied = applied_at(g, row.current);
    TargetResolver resolver(g, applied);
    if (row.error.empty()) {
      CHECK(ids(g, resolver.nodes(row.target)) == row.nodes);
      continue;
    }
    std::string message = usage_error_of([&] { resolver.nodes(row.target); });
    for (const char* part : row.error) {
      CHECK_THAT(message, ContainsSubstring(part));
    }
  }
}

TEST_CASE("upgrade goals", "[graph][targets]")
{
  RevisionGraph g = build(project_graph());
  const std::vector<GoalRow> rows = {
    {{}, "heads", everything},
    {{}, "b2", {"a1", "a2", "b1", "b2"}},
    {{}, "b2x", {}, "unknown revision 'b2x'"},
    {{}, "b", {}, "ambiguous"},
    {{}, "head", {}, "2 heads: m (m.sql), r2 (r2.sql)"},
    {{}, "reporting@head", {"a1", "a2", "r1", "r2"}},  // r2 depends on a2
    {{}, "reporting", {"r1"}},
    {{}, "base", {}},
    {{}, "current", {}},
    // Relative steps up.
    {{}, "+1", {}, "ambiguous at base, which leads to a1 (a1.sql), r1 (r1.sql)"},
    {{}, "reporting@+1", {"r1"}},
    {{}, "reporting@+2", {"a1", "a2", "r1", "r2"}},
    {{}, "reporting@+3", {}, "goes past the head"},
    {{"a1"}, "+1", {"a1", "a2"}},
    {{"a1"}, "+2", {}, "ambiguous at a2, which leads to a3 (a3.sql), b1 (b1.sql)"},
    {{"a1"}, "a2+1", {}, "ambiguous"},
    {{"a1"}, "b1+1", {"a1", "a2", "b1", "b2"}},
    {{"a1"}, "b1+2", {"a1", "a2", "a3", "b1", "b2", "m"}},  // through the merge
    {{"a1"}, "b1+3", {}, "past the head"},
    {{"a1"}, "base+1", {}, "ambiguous at base"},
    {{"a1"}, "reporting@base+1", {"a1", "r1"}},
    {{"b2"}, "+1", {"a1", "a2", "a3", "b1", "b2", "m"}},
    {{"m"}, "+1", {}, "goes past the head"},
    {{"a3", "b2"}, "+1", {}, "several revisions (a3 (a3.sql), b2 (b2.sql))"},
    {{"a3", "r1"}, "reporting@+1", {"a1", "a2", "a3", "r1", "r2"}},
    {{"a3", "r1"}, "a3@+1", {"a1", "a2", "a3", "b1", "b2", "m", "r1"}},
    // Nothing of branch b1 is applied but shared ancestors: start from the
    // newest of those (a2), not from a3 on the other side.
    {{"a3"}, "b1@+1", {"a1", "a2", "a3", "b1"}},
    {{"a3"}, "b1@+2", {"a1", "a2", "a3", "b1", "b2"}},
    // Relative steps down name a revision below another.
    {{"a1"}, "m-1", {}, "ambiguous at m"},
    {{"a1"}, "b2-1", {"a1", "a2", "b1"}},
    {{"a1"}, "b2-3", {"a1"}},
    {{"a1"}, "b2-4", {"a1"}},                   // base: nothing to add
    {{"a1"}, "b2-5", {}, "goes below base"},
    {{"a1"}, "-1", {}, "needs a revision to count from"},
    // Targets below or beside what is applied add only what they need.
    {{"b2"}, "a3", {"a1", "a2", "a3", "b1", "b2"}},
    {{"b2"}, "a1", {"a1", "a2", "b1", "b2"}},
    {{"m", "r1"}, "heads", everything},
    {{"m", "r2"}, "heads", everything},
  };
  check_goals(g, Goal::upgrade, rows);
}

TEST_CASE("upgrade goals across independent branches", "[graph][targets]")
{
  RevisionGraph g = build(branches_graph());
  const std::vector<GoalRow> rows = {
    {{}, "heads", all_branches},
    {{}, "net@head", {"ae1038", "27c6a3", "3cac04", "2a95ca", "29f859"}},  // with what 29f859 depends on
    {{}, "cart@head", {"ae1038", "27c6a3", "55af2c"}},
    {{}, "cart@+1", {"ae1038"}},
    {{}, "cart@+2", {"ae1038", "27c6a3"}},
    {{}, "net@2a95", {"3cac04", "2a95ca"}},
    {{}, "cart@2a95", {}, "unknown revision '2a95' on branch cart"},
    {{"ae1038"}, "net@+1", {"ae1038", "3cac04"}},
    // 27c6a3 is applied but no version row: 29f859 depends on it. The
    // branch still continues from there.
    {{"29f859"}, "cart@+1", all_branches},
    {{"29f859"}, "+1", {}, "goes past the head"},
    {{"2a95ca", "27c6a3"}, "29f859", {"ae1038", "27c6a3", "3cac04", "2a95ca", "29f859"}},
  };
  check_goals(g, Goal::upgrade, rows);
}

TEST_CASE("downgrade goals never leave a revision without what it needs", "[graph][targets]")
{
  RevisionGraph g = build(project_graph());
  const Set all{"m", "r2"};
  const std::vector<GoalRow> rows = {
    {all, "base", {}},
    {all, "a1", {"a1", "r1"}},                          // r2 needs a2: it goes too
    {all, "a2", {"a1", "a2", "r1", "r2"}},              // r2 only depends on a2, which stays
    {all, "b1", {"a1", "a2", "a3", "b1", "r1", "r2"}},  // m needs b2
    {all, "a3", {"a1", "a2", "a3", "b1", "b2", "r1", "r2"}},
    {all, "m", everything},                             // already there
    {all, "r1", {"a1", "a2", "a3", "b1", "b2", "m", "r1"}},
    {all, "a1+1", {"a1", "a2", "r1", "r2"}},
    {all, "b2-1", {"a1", "a2", "a3", "b1", "r1", "r2"}},
    {all, "reporting@base", {"a1", "a2", "a3", "b1", "b2", "m"}},
    {all, "reporting@-1", {"a1", "a2", "a3", "b1", "b2", "m", "r1"}},
    {all, "reporting@-2", {"a1", "a2", "a3", "b1", "b2", "m"}},
    {all, "reporting@-3", {}, "only 2 are applied on branch reporting"},
    // <label>@<rev> takes down only that branch.
    {all, "b1@a2", {"a1", "a2", "a3", "r1", "r2"}},
    {all, "a3@a2", {"a1", "a2", "b1", "b2", "r1", "r2"}},
    {all, "a3@a1", {"a1", "r1"}},
    {all, "reporting@a2", {}, "not on branch reporting"},
    // D1: -N with several current revisions is ambiguous (Alembic picks one).
    {all, "-1", {}, "several revisions (m (m.sql), r2 (r2.sql))"},
    {all, "head", {}, "2 heads"},
    {all, "heads", {}, "names 2 revisions"},
    {all, "+1", {}, "not a downgrade target"},
    {all, "m+1", {}, "past the head"},
    {all, "zz", {}, "unknown revision 'zz'"},
    // D2: -1 at a merge takes the merge revision off.
    {{"m"}, "-1", {"a1", "a2", "a3", "b1", "b2"}},
    {{"m"}, "-2", {}, "ambiguous after stepping back 1"},
    {{"b2"}, "-1", {"a1", "a2", "b1"}},
    {{"b2"}, "-2", {"a1", "a2"}},
    {{"b2"}, "-4", {}},
    {{"b2"}, "-5", {}, "only 4 are applied"},
    {{"b2"}, "b2-1", {"a1", "a2", "b1"}},
    {{"b2"}, "b2-4", {}},
    {{"b2"}, "b2-5", {}, "goes below base"},
    {{"b2"}, "a3", {}, "a3 is not applied"},
    {{"b2"}, "b2", {"a1", "a2", "b1", "b2"}},
    {{}, "-1", {}, "only 0 are applied"},
    {{}, "base", {}},
    // Walking down to base from a revision empties only its lineage
    // (Alembic's `<rev>-N` to base would take every branch down).
    {{"a3", "r2"}, "r2-2", {"a1", "a2", "a3"}},
    {{"a3", "r1"}, "r1-1", {"a1", "a2", "a3"}},
  };
  check_goals(g, Goal::downgrade, rows);
}

TEST_CASE("downgrade goals across independent branches", "[graph][targets]")
{
  RevisionGraph g = build(branches_graph());
  const Set heads{"55af2c", "29f859"};
  const std::vector<GoalRow> rows = {
    {heads, "cart@-1", {"ae1038", "27c6a3", "3cac04", "2a95ca", "29f859"}},
    {heads, "net@-1", {"ae1038", "27c6a3", "55af2c", "3cac04", "2a95ca"}},
    {heads, "27c6a3", {"ae1038", "27c6a3", "3cac04", "2a95ca", "29f859"}},  // 29f859 only depends on it
    {heads, "cart@ae1038", {"ae1038", "3cac04", "2a95ca"}},                  // 29f859 needs 27c6a3
    {heads, "cart@base", {"3cac04", "2a95ca"}},
    {heads, "net@base", {"ae1038", "27c6a3", "55af2c"}},
    {heads, "base", {}},
    // 27c6a3 is cart's newest applied revision, but not a version row:
    // 29f859 on the other branch depends on it. Stepping cart back takes
    // both (as Alembic does).
    {{"29f859"}, "cart@-1", {"ae1038", "3cac04", "2a95ca"}},
    {{"29f859"}, "net@-1", {"ae1038", "27c6a3", "3cac04", "2a95ca"}},
    {{"29f859"}, "-1", {"ae1038", "27c6a3", "3cac04", "2a95ca"}},
    {{"29f859"}, "-2", {}, "ambiguous after stepping back 1"},
  };
  check_goals(g, Goal::downgrade, rows);
}

TEST_CASE("stamp goals", "[graph][targets]")
{
  RevisionGraph g = build(project_graph());
  struct Row {
    Set current;
    const char* target;
    Set rows;  // version rows afterwards
    const char* error = nullptr;
  };
  const Row rows[] = {
    {{"m", "r1"}, "b1", {"a3", "b1", "r1"}},  // D3: the merge's other parent stays
    {{"m", "r1"}, "r2", {"m", "r2"}},
    {{"m", "r1"}, "a1", {"a1", "r1"}},
    {{"m", "r1"}, "heads", {"m", "r2"}},
    {{"m", "r1"}, "reporting@head", {"m", "r2"}},
    {{"m", "r1"}, "base", {}},
    {{"m", "r1"}, "head", {}, "2 heads"},
    {{}, "b2", {"b2"}},
    {{}, "heads", {"m", "r2"}},
    {{"b2"}, "a3", {"a3", "b2"}},
    {{"b2"}, "b1", {"b1"}},
  };
  for (const auto& row : rows) {
    INFO(row.target << " from " << str(row.current));
    NodeSet applied = applied_at(g, row.current);
    TargetResolver resolver(g, applied);
    if (row.error != nullptr) {
      CHECK_THAT(usage_error_of([&] { resolver.stamp_goal(row.target); }), ContainsSubstring(row.error));
      continue;
    }
    NodeSet goal = resolver.stamp_goal(row.target);
    CHECK(ids(g, g.tips(goal)) == row.rows);
    CHECK(ids(g, g.ancestors(members(goal))) == ids(g, goal));
  }
}

TEST_CASE("history ranges A:B", "[graph][targets]")
{
  RevisionGraph g = build(project_graph());
  NodeSet applied = applied_at(g, {"m", "r1"});
  TargetResolver resolver(g, applied);
  struct Row {
    const char* range;
    Set revisions;
    const char* error = nullptr;
  };
  const Row rows[] = {
    {"a2:b2", {"a2", "b1", "b2"}},
    {":a2", {"a1", "a2"}},
    {"base:a3", {"a1", "a2", "a3"}},
    {"b2:", {"b2", "m"}},
    {"a2:", {"a2", "a3", "b1", "b2", "m", "r2"}},  // r2 depends on a2
    {"a2:heads", {"a2", "a3", "b1", "b2", "m", "r2"}},
    {"r1:r2", {"r1", "r2"}},
    {"a3:b2", {}},                                 // not on one line
    {":", everything},
    {"base:heads", everything},
    {"current:", {"m", "r1", "r2"}},
    {":current", {"a1", "a2", "a3", "b1", "b2", "m", "r1"}},
    {"b1", {"b1"}},
    {"heads", {"m", "r2"}},
    {"reporting@head", {"r2"}},
    {"zz:", {}, "unknown revision 'zz'"},
    {":head", {}, "2 heads"},
  };
  for (const auto& row : rows) {
    INFO(row.range);
    if (row.error != nullptr) {
      CHECK_THAT(usage_error_of([&] { resolver.range(row.range); }), ContainsSubstring(row.error));
      continue;
    }
    CHECK(ids(g, resolver.range(row.range)) == row.revisions);
  }
}

TEST_CASE("goals for every revision from every applied set stay closed", "[graph][targets]")
{
  const std::vector<std::string> graphs[] = {
    project_graph(),
    branches_graph(),
    {"a:", "b: a", "c: a", "m: b c | x", "x: [side]", "y: x | b"},
  };
  for (const auto& lines : graphs) {
    RevisionGraph g = build(lines);
    std::vector<NodeSet> sets;
    for (unsigned mask = 0; mask < (1u << g.size()); ++mask) {
      std::vector<int> chosen;
      for (size_t i = 0; i < g.size(); ++i) {
        if (mask & (1u << i)) {
          chosen.push_back(static_cast<int>(i));
        }
      }
      sets.push_back(g.ancestors(chosen));
    }
    for (const auto& applied : sets) {
      TargetResolver resolver(g, applied);
      for (int n = 0; n < static_cast<int>(g.size()); ++n) {
        const std::string& id = g.id(n);
        INFO(id << " from " << str(ids(g, applied)));
        NodeSet up = resolver.upgrade_goal(id);
        CHECK(up[n]);
        CHECK(ids(g, g.ancestors(members(up))) == ids(g, up));
        for (size_t i = 0; i < up.size(); ++i) {
          CHECK((!applied[i] || up[i]));  // an upgrade removes nothing
        }
        if (!applied[n]) {
          CHECK_THAT(usage_error_of([&] { resolver.downgrade_goal(id); }), ContainsSubstring("not applied"));
          continue;
        }
        NodeSet down = resolver.downgrade_goal(id);
        CHECK(down[n]);
        CHECK(ids(g, g.ancestors(members(down))) == ids(g, down));
        NodeSet above = g.descendants(g.children(n));
        for (size_t i = 0; i < down.size(); ++i) {
          CHECK((!down[i] || applied[i]));                 // a downgrade adds nothing
          CHECK(down[i] == (applied[i] && !above[i]));     // it drops exactly what stands on n
        }
      }
    }
  }
}

// `@files`: lockstep's own target, the heads of the revisions that came from
// files. s1, s2 and t1 are known only from the database's record (an older
// image whose folder lacks what a newer one applied); r1's branch label is
// "files", which `@files` never means.
//
//   a1 -- a2 -- a3 -- s1 -- s2
//           \-- t1
//   r1 [files]
TEST_CASE("@files names the files' heads; downgrade @files reverts only what the files lack", "[graph][targets]")
{
  std::vector<NodeSpec> specs;
  for (const char* line : {"a1:", "a2: a1", "a3: a2", "s1: a3", "s2: s1", "t1: a2", "r1: [files]"}) {
    specs.push_back(node(line));
  }
  for (auto& spec : specs) {
    spec.stored = spec.id[0] == 's' || spec.id[0] == 't';
  }
  RevisionGraph g(specs);

  const Set none;
  TargetResolver at_nothing(g, applied_at(g, none));
  CHECK(ids(g, at_nothing.nodes("@files")) == Set{"a3", "r1"});
  CHECK(ids(g, at_nothing.nodes("files")) == Set{"r1"});  // the branch label
  CHECK(ids(g, at_nothing.nodes("heads")) == Set{"r1", "s2", "t1"});

  check_goals(g, Goal::downgrade, {
    {{"s2", "t1", "r1"}, "@files", {"a1", "a2", "a3", "r1"}},
    {{"s2"}, "@files", {"a1", "a2", "a3"}},
    {{"t1"}, "@files", {"a1", "a2"}},           // a3 is not applied: a downgrade never upgrades
    {{"a3", "r1"}, "@files", {"a1", "a2", "a3", "r1"}},  // already there: nothing to revert
    {{}, "@files", {}},
  });
  check_goals(g, Goal::upgrade, {
    {{}, "@files", {"a1", "a2", "a3", "r1"}},
    {{"s1"}, "@files", {"a1", "a2", "a3", "r1", "s1"}},  // upgrade never reverts
  });

  // Twice in a row: the second run reverts nothing.
  NodeSet applied = applied_at(g, {"s2", "t1"});
  NodeSet once = TargetResolver(g, applied).downgrade_goal("@files");
  NodeSet twice = TargetResolver(g, once).downgrade_goal("@files");
  CHECK(twice == once);
  CHECK(ids(g, once) == Set{"a1", "a2", "a3"});
}

// Graphs for the graph/ tests, written one revision per string:
//
//   "id: parent parent | dependency dependency [label label]"
//
// and helpers that turn node sets into sorted id sets, so table rows read
// as the revisions they name.
#pragma once

#include "graph/revision_graph.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace lockstep::test {

using Set = std::set<std::string>;

inline graph::NodeSpec node(const std::string& line)
{
  graph::NodeSpec spec;
  std::string section = "id";
  std::string word;
  auto flush = [&] {
    if (word.empty()) {
      return;
    }
    if (section == "id") {
      spec.id = word;
    } else if (section == "parents") {
      spec.parents.push_back(word);
    } else if (section == "deps") {
      spec.depends_on.push_back(word);
    } else {
      spec.branch_labels.push_back(word);
    }
    word.clear();
  };
  for (char c : line + " ") {
    if (c == ' ' || c == ':' || c == '|' || c == '[' || c == ']') {
      flush();
      if (c == ':') {
        section = "parents";
      } else if (c == '|') {
        section = "deps";
      } else if (c == '[') {
        section = "labels";
      }
    } else {
      word += c;
    }
  }
  spec.origin = spec.id + ".sql";
  return spec;
}

inline graph::RevisionGraph build(const std::vector<std::string>& lines)
{
  std::vector<graph::NodeSpec> specs;
  for (const auto& line : lines) {
    specs.push_back(node(line));
  }
  return graph::RevisionGraph(specs);
}

// A typical project:
//
//   a1 -- a2 -- a3 ------ m      (m merges a3 and b2)
//           \-- b1 -- b2 -/
//   r1 [reporting] -- r2         (r2 also depends on a2)
inline std::vector<std::string> project_graph()
{
  return {"a1:", "a2: a1", "a3: a2", "b1: a2", "b2: b1", "m: a3 b2", "r1: [reporting]", "r2: r1 | a2"};
}

// Alembic's documentation example of independent branches: two roots with
// labels, and a revision on one branch that depends on the other.
//
//   ae1038 [cart] -- 27c6a3 -- 55af2c
//   3cac04 [net]  -- 2a95ca -- 29f859 (depends on 27c6a3)
inline std::vector<std::string> branches_graph()
{
  return {"ae1038: [cart]", "27c6a3: ae1038", "55af2c: 27c6a3",
          "3cac04: [net]",  "2a95ca: 3cac04", "29f859: 2a95ca | 27c6a3"};
}

inline Set ids(const graph::RevisionGraph& g, const std::vector<int>& nodes)
{
  Set out;
  for (int n : nodes) {
    out.insert(g.id(n));
  }
  return out;
}

inline Set ids(const graph::RevisionGraph& g, const graph::NodeSet& set)
{
  Set out;
  for (size_t i = 0; i < set.size(); ++i) {
    if (set[i]) {
      out.insert(g.id(static_cast<int>(i)));
    }
  }
  return out;
}

inline std::vector<int> nodes_of(const graph::RevisionGraph& g, const Set& names)
{
  std::vector<int> out;
  for (const auto& name : names) {
    auto n = g.find(name);
    REQUIRE(n.has_value());
    out.push_back(*n);
  }
  return out;
}

inline graph::NodeSet set_of(const graph::RevisionGraph& g, const Set& names)
{
  graph::NodeSet out = g.empty_set();
  for (int n : nodes_of(g, names)) {
    out[n] = 1;
  }
  return out;
}

// The applied set whose version rows are `rows`: their ancestors.
inline graph::NodeSet applied_at(const graph::RevisionGraph& g, const Set& rows)
{
  return g.ancestors(nodes_of(g, rows));
}

inline std::vector<int> members(const graph::NodeSet& set)
{
  std::vector<int> out;
  for (size_t i = 0; i < set.size(); ++i) {
    if (set[i]) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

inline std::string str(const Set& names)
{
  std::string out = "{";
  for (const auto& n : names) {
    out += (out.size() > 1 ? "," : "") + n;
  }
  return out + "}";
}

// The message of the usage error `f` throws, or "" when it throws none.
inline std::string usage_error_of(const std::function<void()>& f)
{
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "";
}

} // namespace lockstep::test

// The revision DAG. Pure: no I/O, no SQL.
//
// Nodes are revisions; edges point from a revision to its parents ("Revises",
// the versioned edges) and to the revisions it depends on ("Depends On").
// Following Alembic:
//   - heads are revisions no other revision *revises* (a dependency does not
//     end a branch);
//   - bases are revisions with no parents;
//   - an applied set is always closed under both kinds of edge, and the
//     version table holds its "tips": applied revisions that no other
//     applied revision revises or depends on.
// Nodes are addressed by index (0..size()-1) in the order they were given.
// Construction rejects an unknown parent or dependency, a duplicate id or
// branch label, and a cycle, naming the culprits (Error, ExitCode::usage).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::graph {

struct NodeSpec {
  std::string id;
  std::vector<std::string> parents;
  std::vector<std::string> depends_on;  // ids or branch labels
  std::vector<std::string> branch_labels;
  std::string origin;  // where it came from, for error messages (a file path)
  bool stored = false;  // known only from the database's record, not from a file (target `@files`)
};

// A set of nodes: one flag per node index.
using NodeSet = std::vector<char>;

class RevisionGraph {
public:
  explicit RevisionGraph(std::vector<NodeSpec> specs);

  size_t size() const { return m_nodes.size(); }
  const std::string& id(int node) const { return m_specs[node].id; }
  const NodeSpec& spec(int node) const { return m_specs[node]; }
  const std::vector<int>& parents(int node) const { return m_nodes[node].parents; }
  const std::vector<int>& dependencies(int node) const { return m_nodes[node].dependencies; }
  const std::vector<int>& children(int node) const { return m_nodes[node].children; }
  const std::vector<int>& dependents(int node) const { return m_nodes[node].dependents; }

  // In node order.
  std::vector<int> heads() const;
  std::vector<int> bases() const;
  bool is_head(int node) const { return m_nodes[node].children.empty(); }

  std::optional<int> find(std::string_view id) const;
  // Every node whose id starts with `prefix`, sorted by id.
  std::vector<int> find_prefix(std::string_view prefix) const;
  std::optional<int> find_label(std::string_view label) const;

  // Every node, parents and dependencies before their children. Branches
  // stay together: a head's whole lineage comes before the next head's.
  const std::vector<int>& topological_order() const { return m_topological; }
  int topological_position(int node) const { return m_position[node]; }

  NodeSet empty_set() const { return NodeSet(size(), 0); }
  // `of` and everything it needs, through parents and dependencies.
  NodeSet ancestors(const std::vector<int>& of) const;
  // `of` and everything that needs it, through children and dependents.
  NodeSet descendants(const std::vector<int>& of) const;
  // Ancestors through parents only (a branch's lineage).
  NodeSet lineage(int node) const;

  // The version-table rows for an applied set (see the file comment), in node order.
  std::vector<int> tips(const NodeSet& applied) const;
  // What `current` shows, as Alembic does: applied revisions that no applied
  // revision revises. Unlike tips(), a revision that is applied only because
  // another branch depends on it is listed too.
  std::vector<int> branch_heads(const NodeSet& applied) const;

  // Sorts in topological order (reverse = children first).
  void sort_topologically(std::vector<int>& nodes, bool reverse = false) const;

private:
  // Applied nodes with no applied child (nor dependent, when they count).
  std::vector<int> uncovered(const NodeSet& applied, bool dependents_cover) const;

  struct Node {
    std::vector<int> parents;
    std::vector<int> dependencies;
    std::vector<int> children;
    std::vector<int> dependents;
  };

  int find_node(std::string_view id) const;  // -1 when absent
  void index_ids();
  void link();
  void order_and_check_cycles();
  template <typename Edges>
  NodeSet reach(const std::vector<int>& from, Edges edges) const;

  std::vector<NodeSpec> m_specs;  // as given, moved in whole: no copy of 10,000 specs at their peak
  std::vector<Node> m_nodes;      // the edges, by the same index
  // Open addressing over node indices (-1: empty), a power of two at least
  // twice the node count: one allocation for every id, where a map would
  // make one per node on every start.
  std::vector<int> m_id_slots;
  std::vector<std::pair<std::string, int>> m_by_label;  // sorted by label
  // Sorted ids for prefix look-ups, built on the first one (most runs
  // never resolve a prefix, and sorting 10,000 ids is not free).
  mutable std::vector<std::pair<std::string, int>> m_sorted_ids;
  std::vector<int> m_topological;
  std::vector<int> m_position;
};

} // namespace lockstep::graph

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
// Nodes are addressed by index (0..size()-1) in the order they were given,
// from NodeSpecs the graph owns or NodeRefs to fields the caller keeps.
// Construction rejects an unknown parent or dependency, a duplicate id or
// branch label, and a cycle, naming the culprits (Error, ExitCode::usage).
#pragma once

#include <cstdint>
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

// A node's fields where the caller keeps them (migrator::Catalog's
// revisions), for a graph that borrows them instead of copying 10,000 ids,
// parent lists and paths on every start. They must stay where they are, and
// unchanged, for as long as the graph reads them.
struct NodeRef {
  const std::string* id;
  const std::vector<std::string>* parents;
  const std::vector<std::string>* depends_on;
  const std::vector<std::string>* branch_labels;
  const std::string* origin;
  bool stored;
};

// What spec() gives: a node's fields, read in place (a NodeSpec's names).
struct NodeView {
  const std::string& id;
  const std::vector<std::string>& parents;
  const std::vector<std::string>& depends_on;
  const std::vector<std::string>& branch_labels;
  const std::string& origin;
  bool stored;
};

// A node's neighbours of one kind, in node order: a view into the graph
// (valid as long as it is), read like a const std::vector<int>, and turned
// into one where a vector is wanted.
class NodeList {
public:
  NodeList(const int* begin, const int* end) : m_begin(begin), m_end(end) {}
  const int* begin() const { return m_begin; }
  const int* end() const { return m_end; }
  size_t size() const { return static_cast<size_t>(m_end - m_begin); }
  bool empty() const { return m_begin == m_end; }
  int operator[](size_t i) const { return m_begin[i]; }
  operator std::vector<int>() const { return {m_begin, m_end}; }  // NOLINT: where a vector was returned

private:
  const int* m_begin;
  const int* m_end;
};

// A set of nodes: one flag per node index.
using NodeSet = std::vector<char>;

class RevisionGraph {
public:
  // Owns the specs (tests, a bundle being written).
  explicit RevisionGraph(std::vector<NodeSpec> specs);
  // Borrows the fields (see NodeRef): the same checks and the same graph.
  explicit RevisionGraph(std::vector<NodeRef> nodes);
  RevisionGraph(const RevisionGraph& other);
  RevisionGraph(RevisionGraph&& other) noexcept = default;
  RevisionGraph& operator=(const RevisionGraph& other);
  RevisionGraph& operator=(RevisionGraph&& other) noexcept = default;
  ~RevisionGraph() = default;

  size_t size() const { return m_nodes.size(); }
  const std::string& id(int node) const { return *m_nodes[node].id; }
  NodeView spec(int node) const
  {
    const NodeRef& n = m_nodes[node];
    return {*n.id, *n.parents, *n.depends_on, *n.branch_labels, *n.origin, n.stored};
  }
  NodeList parents(int node) const { return up(2 * node); }
  NodeList dependencies(int node) const { return up(2 * node + 1); }
  NodeList children(int node) const { return down(2 * node); }
  NodeList dependents(int node) const { return down(2 * node + 1); }

  // In node order.
  std::vector<int> heads() const;
  std::vector<int> bases() const;
  bool is_head(int node) const { return children(node).empty(); }

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

  // List `k` of the edges towards parents (even k: node k/2's parents, odd:
  // its dependencies) or towards children (children, dependents).
  NodeList up(int k) const { return {m_up.data() + m_up_at[k], m_up.data() + m_up_at[k + 1]}; }
  NodeList down(int k) const { return {m_down.data() + m_down_at[k], m_down.data() + m_down_at[k + 1]}; }
  // Parents and dependencies (up) or children and dependents, as one list.
  NodeList edges_of(int node, bool up) const
  {
    const auto k = static_cast<size_t>(2 * node);
    return up ? NodeList(m_up.data() + m_up_at[k], m_up.data() + m_up_at[k + 2])
              : NodeList(m_down.data() + m_down_at[k], m_down.data() + m_down_at[k + 2]);
  }

  void build();
  void point_at_owned();
  int find_node(std::string_view id) const;  // -1 when absent
  void index_ids();
  void link();
  void order_and_check_cycles();
  template <typename Edges>
  NodeSet reach(const std::vector<int>& from, Edges edges) const;

  std::vector<NodeSpec> m_owned;  // the specs of a graph that owns them, moved in whole (no copy at their peak)
  std::vector<NodeRef> m_nodes;   // every node's fields, in m_owned or the caller's records
  // The edges, one array each way: node i's parents are m_up[m_up_at[2i] ..
  // m_up_at[2i+1]), its dependencies run on to m_up_at[2i+2]; m_down holds
  // children and dependents alike. Four allocations for the whole graph
  // where a vector per list made two or more per node.
  std::vector<int> m_up;
  std::vector<uint32_t> m_up_at;
  std::vector<int> m_down;
  std::vector<uint32_t> m_down_at;
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

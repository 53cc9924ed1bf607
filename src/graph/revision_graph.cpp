#include "graph/revision_graph.hpp"

#include "util/error.hpp"

#include <algorithm>

namespace lockstep::graph {

namespace {

int lookup(const std::vector<std::pair<std::string, int>>& sorted, std::string_view key)
{
  auto it = std::lower_bound(sorted.begin(), sorted.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it != sorted.end() && it->first == key) {
    return it->second;
  }
  return -1;
}

std::string origin_suffix(const NodeRef& node)
{
  return node.origin->empty() ? "" : " (" + *node.origin + ")";
}

} // namespace

RevisionGraph::RevisionGraph(std::vector<NodeSpec> specs) : m_owned(std::move(specs))
{
  point_at_owned();
  build();
}

RevisionGraph::RevisionGraph(std::vector<NodeRef> nodes) : m_nodes(std::move(nodes))
{
  build();
}

RevisionGraph::RevisionGraph(const RevisionGraph& other)
  : m_owned(other.m_owned), m_nodes(other.m_nodes), m_up(other.m_up), m_up_at(other.m_up_at), m_down(other.m_down),
    m_down_at(other.m_down_at), m_id_slots(other.m_id_slots), m_by_label(other.m_by_label),
    m_sorted_ids(other.m_sorted_ids), m_topological(other.m_topological), m_position(other.m_position)
{
  if (!m_owned.empty()) {
    point_at_owned();  // the copy reads its own specs
  }
}

RevisionGraph& RevisionGraph::operator=(const RevisionGraph& other)
{
  if (this != &other) {
    *this = RevisionGraph(other);
  }
  return *this;
}

void RevisionGraph::point_at_owned()
{
  m_nodes.clear();
  m_nodes.reserve(m_owned.size());
  for (const NodeSpec& spec : m_owned) {
    m_nodes.push_back({&spec.id, &spec.parents, &spec.depends_on, &spec.branch_labels, &spec.origin, spec.stored});
  }
}

void RevisionGraph::build()
{
  index_ids();
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    for (const auto& label : *m_nodes[i].branch_labels) {
      m_by_label.emplace_back(label, static_cast<int>(i));
    }
  }
  std::sort(m_by_label.begin(), m_by_label.end());
  for (size_t i = 1; i < m_by_label.size(); ++i) {
    if (m_by_label[i].first == m_by_label[i - 1].first) {
      throw_usage("branch label '" + m_by_label[i].first + "' is used by both " + id(m_by_label[i - 1].second) +
                  " and " + id(m_by_label[i].second));
    }
  }
  for (const auto& [label, node] : m_by_label) {
    if (int same = find_node(label); same >= 0 && same != node) {
      throw_usage("branch label '" + label + "' of revision " + id(node) + " is also a revision id");
    }
  }
  link();
  order_and_check_cycles();
}

namespace {

// FNV-1a: ids are short (at most 32 bytes), and a byte loop hashes them in
// a third of std::hash's instructions; every id is hashed on every start.
size_t slot_of(std::string_view id, size_t mask)
{
  uint64_t hash = 14695981039346656037ull;
  for (char c : id) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return static_cast<size_t>(hash ^ (hash >> 29)) & mask;
}

} // namespace

void RevisionGraph::index_ids()
{
  size_t slots = 16;
  while (slots < 2 * m_nodes.size()) {
    slots *= 2;
  }
  m_id_slots.assign(slots, -1);
  const size_t mask = slots - 1;
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    const std::string& id = *m_nodes[i].id;
    for (size_t s = slot_of(id, mask);; s = (s + 1) & mask) {
      if (m_id_slots[s] < 0) {
        m_id_slots[s] = static_cast<int>(i);
        break;
      }
      if (*m_nodes[m_id_slots[s]].id == id) {
        const NodeRef& a = m_nodes[m_id_slots[s]];
        const NodeRef& b = m_nodes[i];
        throw_usage("revision " + *a.id + " is declared twice:" + origin_suffix(a) + origin_suffix(b));
      }
    }
  }
}

int RevisionGraph::find_node(std::string_view id) const
{
  const size_t mask = m_id_slots.size() - 1;
  for (size_t s = slot_of(id, mask);; s = (s + 1) & mask) {
    const int node = m_id_slots[s];
    if (node < 0 || *m_nodes[node].id == id) {
      return node;
    }
  }
}

// Two passes: each node's parents and dependencies, found by id (unknown
// ones and a dependency on itself refused, in node order, as before), then
// the lists the other way, counted and filled in node order.
void RevisionGraph::link()
{
  const size_t n = m_nodes.size();
  size_t edges = 0;
  for (const NodeRef& node : m_nodes) {
    edges += node.parents->size() + node.depends_on->size();
  }
  m_up.clear();
  m_up.reserve(edges);
  m_up_at.assign(2 * n + 1, 0);
  std::vector<uint32_t> counts(2 * n, 0);  // children, dependents
  for (size_t i = 0; i < n; ++i) {
    const NodeRef& node = m_nodes[i];
    const int self = static_cast<int>(i);
    const size_t first = m_up.size();
    m_up_at[2 * i] = static_cast<uint32_t>(first);
    for (const auto& parent_id : *node.parents) {
      const int parent = find_node(parent_id);
      if (parent < 0) {
        throw_usage("revision " + *node.id + origin_suffix(node) + " revises unknown revision " + parent_id);
      }
      if (std::find(m_up.begin() + static_cast<std::ptrdiff_t>(first), m_up.end(), parent) == m_up.end()) {
        m_up.push_back(parent);
        ++counts[2 * static_cast<size_t>(parent)];
      }
    }
    const size_t deps = m_up.size();
    m_up_at[2 * i + 1] = static_cast<uint32_t>(deps);
    for (const auto& dep_id : *node.depends_on) {
      int dep = find_node(dep_id);
      if (dep < 0) {
        dep = lookup(m_by_label, dep_id);
      }
      if (dep < 0) {
        throw_usage("revision " + *node.id + origin_suffix(node) + " depends on unknown revision " + dep_id);
      }
      if (dep == self) {
        throw_usage("revision " + *node.id + origin_suffix(node) + " depends on itself");
      }
      if (std::find(m_up.begin() + static_cast<std::ptrdiff_t>(deps), m_up.end(), dep) == m_up.end()) {
        m_up.push_back(dep);
        ++counts[2 * static_cast<size_t>(dep) + 1];
      }
    }
  }
  m_up_at[2 * n] = static_cast<uint32_t>(m_up.size());

  m_down_at.assign(2 * n + 1, 0);
  uint32_t at = 0;
  for (size_t k = 0; k < 2 * n; ++k) {
    m_down_at[k] = at;
    at += counts[k];
    counts[k] = m_down_at[k];  // now the next free place in list k
  }
  m_down_at[2 * n] = at;
  m_down.assign(at, 0);
  for (size_t i = 0; i < n; ++i) {
    for (int parent : parents(static_cast<int>(i))) {
      m_down[counts[2 * static_cast<size_t>(parent)]++] = static_cast<int>(i);
    }
    for (int dep : dependencies(static_cast<int>(i))) {
      m_down[counts[2 * static_cast<size_t>(dep) + 1]++] = static_cast<int>(i);
    }
  }
}

// Iterative depth-first search from the tips of the whole graph, emitting a
// node after everything it needs. A grey node met again closes a cycle.
void RevisionGraph::order_and_check_cycles()
{
  const size_t n = m_nodes.size();
  enum : char { white, grey, black };
  std::vector<char> colour(n, white);
  m_topological.clear();
  m_topological.reserve(n);

  std::vector<int> starts;
  for (size_t i = 0; i < n; ++i) {
    if (m_down_at[2 * i] == m_down_at[2 * i + 2]) {  // no children, no dependents
      starts.push_back(static_cast<int>(i));
    }
  }
  // Nodes on a cycle may not be reachable from any tip: start from them too.
  for (size_t i = 0; i < n; ++i) {
    starts.push_back(static_cast<int>(i));
  }

  struct Frame {
    int node;
    size_t next;  // index into parents then dependencies
  };
  std::vector<Frame> stack;
  stack.reserve(n);  // as deep as the longest chain: one allocation
  for (int start : starts) {
    if (colour[start] != white) {
      continue;
    }
    stack.push_back({start, 0});
    colour[start] = grey;
    while (!stack.empty()) {
      Frame& frame = stack.back();
      // Parents then dependencies: one run of m_up.
      const size_t first = m_up_at[2 * static_cast<size_t>(frame.node)];
      const size_t edges = m_up_at[2 * static_cast<size_t>(frame.node) + 2] - first;
      if (frame.next == edges) {
        colour[frame.node] = black;
        m_topological.push_back(frame.node);
        stack.pop_back();
        continue;
      }
      int next = m_up[first + frame.next];
      ++frame.next;
      if (colour[next] == grey) {
        std::string cycle = id(next);
        for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
          cycle += " -> " + id(it->node);
          if (it->node == next) {
            break;
          }
        }
        throw_usage("the revisions form a cycle: " + cycle);
      }
      if (colour[next] == white) {
        colour[next] = grey;
        stack.push_back({next, 0});
      }
    }
  }
  m_position.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    m_position[m_topological[i]] = static_cast<int>(i);
  }
}

std::vector<int> RevisionGraph::heads() const
{
  std::vector<int> out;
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    if (children(static_cast<int>(i)).empty()) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

std::vector<int> RevisionGraph::bases() const
{
  std::vector<int> out;
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    if (parents(static_cast<int>(i)).empty()) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

std::optional<int> RevisionGraph::find(std::string_view key) const
{
  const int node = find_node(key);
  return node < 0 ? std::nullopt : std::optional<int>(node);
}

std::vector<int> RevisionGraph::find_prefix(std::string_view prefix) const
{
  std::vector<int> out;
  if (m_sorted_ids.empty() && !m_nodes.empty()) {
    m_sorted_ids.reserve(m_nodes.size());
    for (size_t i = 0; i < m_nodes.size(); ++i) {
      m_sorted_ids.emplace_back(*m_nodes[i].id, static_cast<int>(i));
    }
    std::sort(m_sorted_ids.begin(), m_sorted_ids.end());
  }
  auto it = std::lower_bound(m_sorted_ids.begin(), m_sorted_ids.end(), prefix,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  for (; it != m_sorted_ids.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<int> RevisionGraph::find_label(std::string_view label) const
{
  int node = lookup(m_by_label, label);
  return node < 0 ? std::nullopt : std::optional<int>(node);
}

// Everything reachable from `from` through the edge lists `edges` selects.
template <typename Edges>
NodeSet RevisionGraph::reach(const std::vector<int>& from, Edges edges) const
{
  NodeSet seen = empty_set();
  std::vector<int> work(from.begin(), from.end());
  while (!work.empty()) {
    int node = work.back();
    work.pop_back();
    if (seen[node]) {
      continue;
    }
    seen[node] = 1;
    edges(node, [&work](NodeList next) { work.insert(work.end(), next.begin(), next.end()); });
  }
  return seen;
}

NodeSet RevisionGraph::ancestors(const std::vector<int>& of) const
{
  return reach(of, [this](int n, auto&& follow) { follow(edges_of(n, true)); });
}

NodeSet RevisionGraph::descendants(const std::vector<int>& of) const
{
  return reach(of, [this](int n, auto&& follow) { follow(edges_of(n, false)); });
}

NodeSet RevisionGraph::lineage(int node) const
{
  return reach({node}, [this](int n, auto&& follow) { follow(parents(n)); });
}

std::vector<int> RevisionGraph::tips(const NodeSet& applied) const
{
  return uncovered(applied, true);
}

std::vector<int> RevisionGraph::branch_heads(const NodeSet& applied) const
{
  return uncovered(applied, false);
}

std::vector<int> RevisionGraph::uncovered(const NodeSet& applied, bool dependents_cover) const
{
  std::vector<int> out;
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    if (!applied[i]) {
      continue;
    }
    bool covered = false;
    for (int c : children(static_cast<int>(i))) {
      covered = covered || applied[c];
    }
    for (int d : dependents(static_cast<int>(i))) {
      covered = covered || (dependents_cover && applied[d]);
    }
    if (!covered) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

void RevisionGraph::sort_topologically(std::vector<int>& nodes, bool reverse) const
{
  std::sort(nodes.begin(), nodes.end(), [&](int a, int b) {
    return reverse ? m_position[a] > m_position[b] : m_position[a] < m_position[b];
  });
}

} // namespace lockstep::graph

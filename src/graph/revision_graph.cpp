#include "graph/revision_graph.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <functional>

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

std::string origin_suffix(const NodeSpec& spec)
{
  return spec.origin.empty() ? "" : " (" + spec.origin + ")";
}

} // namespace

RevisionGraph::RevisionGraph(std::vector<NodeSpec> specs)
{
  m_specs = std::move(specs);
  m_nodes.resize(m_specs.size());
  index_ids();
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    for (const auto& label : m_specs[i].branch_labels) {
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

size_t slot_of(std::string_view id, size_t mask)
{
  return std::hash<std::string_view>{}(id) & mask;
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
    const std::string& id = m_specs[i].id;
    for (size_t s = slot_of(id, mask);; s = (s + 1) & mask) {
      if (m_id_slots[s] < 0) {
        m_id_slots[s] = static_cast<int>(i);
        break;
      }
      if (m_specs[m_id_slots[s]].id == id) {
        const NodeSpec& a = m_specs[m_id_slots[s]];
        const NodeSpec& b = m_specs[i];
        throw_usage("revision " + a.id + " is declared twice:" + origin_suffix(a) + origin_suffix(b));
      }
    }
  }
}

int RevisionGraph::find_node(std::string_view id) const
{
  const size_t mask = m_id_slots.size() - 1;
  for (size_t s = slot_of(id, mask);; s = (s + 1) & mask) {
    const int node = m_id_slots[s];
    if (node < 0 || m_specs[node].id == id) {
      return node;
    }
  }
}

void RevisionGraph::link()
{
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    Node& node = m_nodes[i];
    const NodeSpec& spec = m_specs[i];
    int self = static_cast<int>(i);
    for (const auto& parent_id : spec.parents) {
      const int parent = find_node(parent_id);
      if (parent < 0) {
        throw_usage("revision " + spec.id + origin_suffix(spec) + " revises unknown revision " + parent_id);
      }
      if (std::find(node.parents.begin(), node.parents.end(), parent) == node.parents.end()) {
        node.parents.push_back(parent);
        m_nodes[parent].children.push_back(self);
      }
    }
    for (const auto& dep_id : spec.depends_on) {
      int dep = find_node(dep_id);
      if (dep < 0) {
        dep = lookup(m_by_label, dep_id);
      }
      if (dep < 0) {
        throw_usage("revision " + spec.id + origin_suffix(spec) + " depends on unknown revision " + dep_id);
      }
      if (dep == self) {
        throw_usage("revision " + spec.id + origin_suffix(spec) + " depends on itself");
      }
      if (std::find(node.dependencies.begin(), node.dependencies.end(), dep) == node.dependencies.end()) {
        node.dependencies.push_back(dep);
        m_nodes[dep].dependents.push_back(self);
      }
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
    if (m_nodes[i].children.empty() && m_nodes[i].dependents.empty()) {
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
  for (int start : starts) {
    if (colour[start] != white) {
      continue;
    }
    stack.push_back({start, 0});
    colour[start] = grey;
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const Node& node = m_nodes[frame.node];
      size_t edges = node.parents.size() + node.dependencies.size();
      if (frame.next == edges) {
        colour[frame.node] = black;
        m_topological.push_back(frame.node);
        stack.pop_back();
        continue;
      }
      int next = frame.next < node.parents.size() ? node.parents[frame.next]
                                                  : node.dependencies[frame.next - node.parents.size()];
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
    if (m_nodes[i].children.empty()) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

std::vector<int> RevisionGraph::bases() const
{
  std::vector<int> out;
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    if (m_nodes[i].parents.empty()) {
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
      m_sorted_ids.emplace_back(m_specs[i].id, static_cast<int>(i));
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
    edges(m_nodes[node], [&work](const std::vector<int>& next) { work.insert(work.end(), next.begin(), next.end()); });
  }
  return seen;
}

NodeSet RevisionGraph::ancestors(const std::vector<int>& of) const
{
  return reach(of, [](const Node& n, auto&& follow) {
    follow(n.parents);
    follow(n.dependencies);
  });
}

NodeSet RevisionGraph::descendants(const std::vector<int>& of) const
{
  return reach(of, [](const Node& n, auto&& follow) {
    follow(n.children);
    follow(n.dependents);
  });
}

NodeSet RevisionGraph::lineage(int node) const
{
  return reach({node}, [](const Node& n, auto&& follow) { follow(n.parents); });
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
    for (int c : m_nodes[i].children) {
      covered = covered || applied[c];
    }
    for (int d : m_nodes[i].dependents) {
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

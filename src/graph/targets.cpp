#include "graph/targets.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>

namespace lockstep::graph {

namespace {

std::string list_ids(const RevisionGraph& graph, const std::vector<int>& nodes)
{
  std::vector<std::string> ids;
  for (int n : nodes) {
    std::string entry = graph.id(n);
    if (!graph.spec(n).origin.empty()) {
      entry += " (" + graph.spec(n).origin + ")";
    }
    ids.push_back(entry);
  }
  return util::join(ids, ", ");
}

} // namespace

TargetSpec parse_target(std::string_view text)
{
  TargetSpec spec;
  size_t at = text.rfind('@');
  std::string_view rest = text;
  if (at != std::string_view::npos) {
    spec.label = std::string(text.substr(0, at));
    rest = text.substr(at + 1);
  }
  size_t sign = rest.find_first_of("+-");
  if (sign != std::string_view::npos && sign + 1 < rest.size()) {
    bool digits = true;
    for (size_t i = sign + 1; i < rest.size(); ++i) {
      digits = digits && std::isdigit(static_cast<unsigned char>(rest[i]));
    }
    if (digits) {
      if (rest.size() - sign - 1 > 6) {
        throw_usage("relative target '" + std::string(text) + "': at most 999999 steps");
      }
      spec.relative = std::stoi(std::string(rest.substr(sign)));
      rest = rest.substr(0, sign);
    }
  }
  spec.symbol = std::string(rest);
  return spec;
}

TargetResolver::TargetResolver(const RevisionGraph& graph, const NodeSet& applied)
  : m_graph(graph), m_applied(applied)
{
}

int TargetResolver::revision(std::string_view name) const
{
  if (auto exact = m_graph.find(name)) {
    return *exact;
  }
  if (auto labelled = m_graph.find_label(name)) {
    return *labelled;
  }
  if (name.empty()) {
    throw_usage("empty revision name");
  }
  std::vector<int> candidates = m_graph.find_prefix(name);
  if (candidates.size() == 1) {
    return candidates[0];
  }
  if (candidates.empty()) {
    std::vector<int> heads = m_graph.heads();
    throw_usage("unknown revision '" + std::string(name) + "'" +
                (heads.empty() ? std::string(" (there are no revisions)") : "; the heads are: " + list_ids(m_graph, heads)));
  }
  throw_usage("revision prefix '" + std::string(name) + "' is ambiguous; it matches: " + list_ids(m_graph, candidates));
}

int TargetResolver::revision_on_branch(std::string_view name, const std::string& label) const
{
  if (label.empty()) {
    return revision(name);
  }
  int node = -1;
  if (auto exact = m_graph.find(name)) {
    node = *exact;
  } else if (auto labelled = m_graph.find_label(name)) {
    node = *labelled;
  } else {
    if (name.empty()) {
      throw_usage("empty revision name");
    }
    std::vector<int> candidates = in_lineage_of_label(m_graph.find_prefix(name), label);
    if (candidates.empty()) {
      throw_usage("unknown revision '" + std::string(name) + "' on branch " + label + "; the branch's heads are: " +
                  list_ids(m_graph, in_lineage_of_label(m_graph.heads(), label)));
    }
    if (candidates.size() > 1) {
      throw_usage("revision prefix '" + std::string(name) + "' is ambiguous on branch " + label +
                  "; it matches: " + list_ids(m_graph, candidates));
    }
    node = candidates[0];
  }
  if (in_lineage_of_label({node}, label).empty()) {
    throw_usage("revision " + m_graph.id(node) + " is not on branch " + label);
  }
  return node;
}

std::vector<int> TargetResolver::branch_tips(const NodeSet& applied, const std::string& label,
                                             bool within_branch) const
{
  // The branch: the labelled revision's ancestors and its descendants
  // through children (what in_lineage_of_label() keeps), in one pass.
  const int anchor = revision(label);
  NodeSet on_branch = m_graph.lineage(anchor);
  std::vector<int> work{anchor};
  while (!work.empty()) {
    int n = work.back();
    work.pop_back();
    for (int c : m_graph.children(n)) {
      if (!on_branch[c]) {
        on_branch[c] = 1;
        work.push_back(c);
      }
    }
  }
  std::vector<int> out;
  for (int n = 0; n < static_cast<int>(m_graph.size()); ++n) {
    if (!on_branch[n] || !applied[n]) {
      continue;
    }
    bool covered = false;
    for (int c : m_graph.children(n)) {
      covered = covered || (applied[c] && (on_branch[c] || !within_branch));
    }
    if (!covered) {
      out.push_back(n);
    }
  }
  return out;
}

std::vector<int> TargetResolver::current() const
{
  return m_graph.tips(m_applied);
}

std::vector<int> TargetResolver::file_heads() const
{
  std::vector<int> out;
  for (int n = 0; n < static_cast<int>(m_graph.size()); ++n) {
    if (m_graph.spec(n).stored) {
      continue;
    }
    bool revised = false;
    for (int c : m_graph.children(n)) {
      revised = revised || !m_graph.spec(c).stored;
    }
    if (!revised) {
      out.push_back(n);
    }
  }
  return out;
}

// Nodes that share a lineage with the labelled revision: its ancestors and
// its descendants through parents.
std::vector<int> TargetResolver::in_lineage_of_label(const std::vector<int>& nodes, const std::string& label) const
{
  if (label.empty()) {
    return nodes;
  }
  int anchor = revision(label);
  NodeSet above = m_graph.lineage(anchor);
  std::vector<int> out;
  for (int n : nodes) {
    if (above[n] || m_graph.lineage(n)[anchor]) {
      out.push_back(n);
    }
  }
  return out;
}

// Walks `steps` revisions up (children) or down (parents) from `start`
// (nullopt = base). Returns nullopt for base.
std::optional<int> TargetResolver::walk(std::optional<int> start, int steps, const std::string& label,
                                        const std::string& text) const
{
  const int count = steps < 0 ? -steps : steps;
  bool at_base = !start.has_value();
  std::optional<int> here = start;
  for (int i = 0; i < count; ++i) {
    std::vector<int> next;
    if (steps > 0) {
      next = at_base ? m_graph.bases() : m_graph.children(*here);
      next = in_lineage_of_label(next, label);
    } else {
      if (at_base) {
        throw_usage("relative target '" + text + "' goes below base: there are not " + std::to_string(count) +
                    " revisions to step down through");
      }
      next = m_graph.parents(*here);
      if (next.empty()) {
        at_base = true;
        here.reset();
        continue;
      }
    }
    if (next.empty()) {
      throw_usage("relative target '" + text + "' goes past the head: there are not " + std::to_string(count) +
                  " revisions to step up through");
    }
    if (next.size() > 1) {
      throw_usage("relative target '" + text + "' is ambiguous at " + (at_base ? std::string("base") : m_graph.id(*here)) +
                  ", which leads to " + list_ids(m_graph, next) +
                  "; name a revision (<rev>+N) or a branch (<label>@+N)");
    }
    here = next[0];
    at_base = false;
  }
  return here;
}

std::vector<int> TargetResolver::nodes(std::string_view text) const
{
  if (text == kFilesTarget) {
    return file_heads();
  }
  TargetSpec spec = parse_target(text);
  if (spec.relative) {
    std::optional<int> start;
    if (spec.symbol.empty()) {
      if (*spec.relative < 0) {
        throw_usage("relative target '" + std::string(text) + "' needs a revision to count from (<rev>" +
                    std::to_string(*spec.relative) + ")");
      }
      std::vector<int> from = in_lineage_of_label(current(), spec.label);
      if (from.size() > 1) {
        throw_usage("relative target '" + std::string(text) + "' is ambiguous: the database is at several revisions (" +
                    list_ids(m_graph, from) + "); use <rev>+N or <label>@+N");
      }
      if (!from.empty()) {
        start = from[0];
      } else if (!spec.label.empty()) {
        // No version row is on that branch: its newest applied revisions
        // are shared ancestors, or are covered by a revision elsewhere that
        // depends on them. Start from the applied revision on the branch
        // that no applied revision on the branch revises, or from base.
        std::vector<int> tips = branch_tips(m_applied, spec.label, true);
        if (tips.size() > 1) {
          throw_usage("relative target '" + std::string(text) + "' is ambiguous: branch " + spec.label +
                      " is at several revisions (" + list_ids(m_graph, tips) + "); use <rev>+N");
        }
        if (!tips.empty()) {
          start = tips[0];
        }
      }
    } else if (spec.symbol != "base") {
      start = revision_on_branch(spec.symbol, spec.label);
    }
    std::optional<int> end = walk(start, *spec.relative, spec.label, std::string(text));
    return end ? std::vector<int>{*end} : std::vector<int>{};
  }

  if (spec.symbol == "base") {
    return {};
  }
  if (spec.symbol == "current") {
    return current();
  }
  if (spec.symbol == "heads" || spec.symbol == "head") {
    std::vector<int> heads = in_lineage_of_label(m_graph.heads(), spec.label);
    if (spec.symbol == "head" && heads.size() > 1) {
      throw_usage("'" + std::string(text) + "' is ambiguous: there are " + std::to_string(heads.size()) +
                  " heads: " + list_ids(m_graph, heads) +
                  ". Name one, use '<branch label>@head', use 'heads' for all of them, or merge them with "
                  "'lockstep merge -m MSG heads'");
    }
    if (!spec.label.empty() && heads.empty()) {
      throw_usage("branch '" + spec.label + "' has no head");
    }
    return heads;
  }
  return {revision_on_branch(spec.symbol, spec.label)};
}

NodeSet TargetResolver::upgrade_goal(std::string_view target) const
{
  NodeSet goal = m_graph.ancestors(nodes(target));
  for (size_t i = 0; i < goal.size(); ++i) {
    goal[i] = static_cast<char>(goal[i] || m_applied[i]);
  }
  return goal;
}

NodeSet TargetResolver::downgrade_goal(std::string_view text) const
{
  if (text == kFilesTarget) {
    // Every revision known only from the database goes, with whatever
    // needs it; what the files hold stays, even when it is not applied.
    std::vector<int> stored;
    for (int n = 0; n < static_cast<int>(m_graph.size()); ++n) {
      if (m_graph.spec(n).stored && m_applied[n]) {
        stored.push_back(n);
      }
    }
    NodeSet goal = m_applied;
    NodeSet drop = m_graph.descendants(stored);
    for (size_t i = 0; i < goal.size(); ++i) {
      if (drop[i]) {
        goal[i] = 0;
      }
    }
    return goal;
  }
  TargetSpec spec = parse_target(text);
  std::optional<int> target;          // nullopt: base
  std::vector<int> scope;             // for base: the lineage whose roots are dropped; empty = all
  if (spec.relative) {
    std::optional<int> start;
    if (spec.symbol.empty()) {
      if (*spec.relative >= 0) {
        throw_usage("'" + std::string(text) + "' is not a downgrade target: use -N, a revision or base");
      }
      return step_back(*spec.relative, spec.label, std::string(text));
    } else if (spec.symbol != "base") {
      start = revision_on_branch(spec.symbol, spec.label);
    }
    target = walk(start, *spec.relative, spec.label, std::string(text));
    if (!target && start) {
      scope.push_back(*start);
    }
  } else if (spec.symbol == "base") {
    if (!spec.label.empty()) {
      scope.push_back(revision(spec.label));
    }
  } else {
    std::vector<int> named = nodes(text);
    if (named.size() != 1) {
      throw_usage("'" + std::string(text) + "' names " + std::to_string(named.size()) +
                  " revisions; a downgrade needs one (or base)");
    }
    target = named[0];
  }

  NodeSet drop;
  if (target) {
    if (!m_applied[*target]) {
      throw_usage("revision " + m_graph.id(*target) + " is not applied, so there is nothing to downgrade to");
    }
    // What descends from the target's children goes (dependents included);
    // a revision that merely depends on the target stays, as the target does.
    // `<label>@<rev>` takes down only that branch: of the target's children,
    // those on the label's lineage.
    drop = m_graph.descendants(in_lineage_of_label(m_graph.children(*target), spec.label));
  } else if (scope.empty()) {
    drop = NodeSet(m_graph.size(), 1);
  } else {
    std::vector<int> roots;
    for (int s : scope) {
      NodeSet line = m_graph.lineage(s);
      for (int b : m_graph.bases()) {
        if (line[b]) {
          roots.push_back(b);
        }
      }
    }
    drop = m_graph.descendants(roots);
  }
  NodeSet goal = m_applied;
  for (size_t i = 0; i < goal.size(); ++i) {
    if (drop[i]) {
      goal[i] = 0;
    }
  }
  return goal;
}

// "-N" from the current state: take the single current tip off, N times.
// At a merge this reverts the merge revision and leaves both parents
// applied, which is what "step back one revision" means; the next step
// back is then ambiguous and says so.
NodeSet TargetResolver::step_back(int relative, const std::string& label, const std::string& text) const
{
  NodeSet goal = m_applied;
  const int count = -relative;
  for (int i = 0; i < count; ++i) {
    std::vector<int> tips = in_lineage_of_label(m_graph.tips(goal), label);
    if (tips.empty() && !label.empty()) {
      // The branch's newest revision is no version row because a revision
      // on another branch depends on it: that one goes too.
      tips = branch_tips(goal, label, false);
    }
    if (tips.empty()) {
      throw_usage("'" + text + "' steps back " + std::to_string(count) + " revisions, but only " + std::to_string(i) +
                  " are applied" + (label.empty() ? std::string() : " on branch " + label));
    }
    if (tips.size() > 1) {
      throw_usage("'" + text + "' is ambiguous" + (i > 0 ? " after stepping back " + std::to_string(i) : std::string()) +
                  ": the database is at several revisions (" + list_ids(m_graph, tips) +
                  "); use <rev>-N, <label>@-N or a revision");
    }
    NodeSet drop = m_graph.descendants({tips[0]});
    for (size_t n = 0; n < goal.size(); ++n) {
      if (drop[n]) {
        goal[n] = 0;
      }
    }
  }
  return goal;
}

NodeSet TargetResolver::stamp_goal(std::string_view target) const
{
  std::vector<int> targets = nodes(target);
  if (targets.empty()) {
    return m_graph.empty_set();
  }
  NodeSet goal = m_graph.ancestors(targets);
  NodeSet below = m_graph.descendants(targets);
  for (size_t i = 0; i < goal.size(); ++i) {
    if (m_applied[i] && !below[i]) {
      goal[i] = 1;
    }
  }
  return goal;
}

NodeSet TargetResolver::range(std::string_view text) const
{
  size_t colon = text.find(':');
  std::string_view lower = colon == std::string_view::npos ? text : text.substr(0, colon);
  std::string_view upper = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (colon == std::string_view::npos) {
    // A single revision: just that one.
    NodeSet only = m_graph.empty_set();
    for (int n : nodes(text)) {
      only[n] = 1;
    }
    return only;
  }
  NodeSet from = lower.empty() ? NodeSet(m_graph.size(), 1) : m_graph.descendants(nodes(lower));
  if (!lower.empty() && nodes(lower).empty()) {
    from = NodeSet(m_graph.size(), 1);  // "base:"
  }
  NodeSet to = upper.empty() ? NodeSet(m_graph.size(), 1) : m_graph.ancestors(nodes(upper));
  NodeSet out = m_graph.empty_set();
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(from[i] && to[i]);
  }
  return out;
}

} // namespace lockstep::graph

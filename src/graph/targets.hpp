// Alembic's target grammar, resolved against a graph and the applied set.
//
//   head | heads | base | current | <id or unique prefix> | <branch label>
//   <label>@head | <label>@heads | <label>@base | <label>@<rev>
//   +N | -N | <rev>+N | <rev>-N | <label>@+N | <label>@-N
//   @files   (lockstep's own) the heads of the revisions that came from
//            files, leaving out those known only from the database's
//            record (NodeSpec::stored). `downgrade @files` reverts every
//            applied revision the files lack and nothing else, so a second
//            run reverts nothing. No revision id or branch label can be
//            spelled so: neither may contain '@'.
//
// Every error is Error(ExitCode::usage) that lists the candidates: an
// ambiguous prefix, an unknown revision, `head` with several heads, a
// relative walk that is ambiguous or runs off the graph.
//
// One deliberate difference from Alembic: `downgrade -N` (no revision before
// the sign) takes the current tip off N times, so `-1` at a merge reverts the
// merge revision; Alembic walks parents and calls that ambiguous.
#pragma once

#include "graph/revision_graph.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::graph {

// A target split into its parts: "<label>@<symbol><relative>".
// "The heads of my own migration files" (see above).
inline constexpr std::string_view kFilesTarget = "@files";

struct TargetSpec {
  std::string label;
  std::string symbol;
  std::optional<int> relative;
};

TargetSpec parse_target(std::string_view text);

class TargetResolver {
public:
  TargetResolver(const RevisionGraph& graph, const NodeSet& applied);

  // One revision by id, branch label or unique id prefix.
  int revision(std::string_view name) const;

  // The revisions a target names (empty for `base`), for upgrade, stamp and
  // history ranges.
  std::vector<int> nodes(std::string_view target) const;

  // The applied set after `upgrade target`: what is applied plus everything
  // the target needs.
  NodeSet upgrade_goal(std::string_view target) const;

  // The applied set after `downgrade target`: what is applied minus every
  // applied revision that descends from (needs) the target.
  NodeSet downgrade_goal(std::string_view target) const;

  // The applied set after `stamp target`: the target's ancestors, plus what
  // was applied on other lineages.
  NodeSet stamp_goal(std::string_view target) const;

  // Revisions in the range "A:B" (either side may be empty): descendants of
  // A that are ancestors of B, A and B included.
  NodeSet range(std::string_view range) const;

private:
  std::vector<int> current() const;
  // Revisions from files that no revision from files revises.
  std::vector<int> file_heads() const;
  // `name` resolved as revision() does, but prefixes only among the
  // revisions on `label`'s lineage, and the result must be on it.
  int revision_on_branch(std::string_view name, const std::string& label) const;
  // Applied revisions on `label`'s lineage that no applied revision revises
  // (only revisions on the lineage count when `within_branch`).
  std::vector<int> branch_tips(const NodeSet& applied, const std::string& label, bool within_branch) const;
  std::vector<int> in_lineage_of_label(const std::vector<int>& nodes, const std::string& label) const;
  NodeSet step_back(int relative, const std::string& label, const std::string& text) const;
  std::optional<int> walk(std::optional<int> start, int steps, const std::string& label, const std::string& text) const;

  const RevisionGraph& m_graph;
  const NodeSet& m_applied;
};

} // namespace lockstep::graph

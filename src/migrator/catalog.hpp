// The revisions lockstep knows about: the files in the migrations folder,
// plus revisions the database recorded in lockstep_applied that the folder
// lacks (a rollback Job running an older image). One graph over both.
#pragma once

#include "db/state_sql.hpp"
#include "graph/revision_graph.hpp"
#include "script/revision_file.hpp"

#include <string>
#include <vector>

namespace lockstep::migrator {

class Catalog {
public:
  explicit Catalog(std::vector<script::Revision> files);
  // The graph reads the revisions in place (graph::NodeRef): a move keeps
  // them where they are; a copy builds its own graph over its own copies.
  Catalog(const Catalog& other);
  Catalog(Catalog&& other) noexcept = default;
  Catalog& operator=(const Catalog& other);
  Catalog& operator=(Catalog&& other) noexcept = default;
  ~Catalog() = default;

  // Adds applied revisions missing from the files; returns how many.
  size_t add_database_only(const std::vector<db::AppliedRecord>& applied);

  const graph::RevisionGraph& graph() const { return m_graph; }
  const script::Revision& revision(int node) const { return m_revisions[node]; }
  bool from_database(int node) const { return m_revisions[node].path.empty(); }
  // "path" or "(stored in the database)", for messages.
  std::string location(int node) const;

private:

  std::vector<script::Revision> m_revisions;
  graph::RevisionGraph m_graph;
};

} // namespace lockstep::migrator

#include "migrator/catalog.hpp"


namespace lockstep::migrator {

namespace {

std::vector<graph::NodeSpec> specs_of(const std::vector<script::Revision>& revisions)
{
  std::vector<graph::NodeSpec> specs;
  specs.reserve(revisions.size());
  for (const auto& rev : revisions) {
    specs.push_back({rev.id, rev.parents, rev.depends_on, rev.branch_labels, rev.path, rev.path.empty()});
  }
  return specs;
}

} // namespace

Catalog::Catalog(std::vector<script::Revision> files)
  : m_revisions(std::move(files)), m_graph(specs_of(m_revisions))
{
}

size_t Catalog::add_database_only(const std::vector<db::AppliedRecord>& applied)
{
  size_t added = 0;
  for (const auto& record : applied) {
    if (m_graph.find(record.revision)) {  // the graph of the files, until it is rebuilt below
      continue;
    }
    script::Revision rev;
    rev.id = record.revision;
    rev.parents = record.parents;
    rev.depends_on = record.depends_on;
    rev.message = record.message;
    rev.downgrade_sql = record.downgrade_sql;
    rev.downgrade_line = 1;  // lines count from the start of the stored SQL
    rev.transactional = record.transactional;
    // Branch labels stay with the files: a stored label could clash with one
    // a newer file declares.
    m_revisions.push_back(std::move(rev));
    ++added;
  }
  if (added > 0) {
    m_graph = graph::RevisionGraph(specs_of(m_revisions));
  }
  return added;
}

std::string Catalog::location(int node) const
{
  return from_database(node) ? "(stored in the database)" : m_revisions[node].path;
}

} // namespace lockstep::migrator

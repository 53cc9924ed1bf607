#include "migrator/catalog.hpp"


namespace lockstep::migrator {

namespace {

// The graph reads each revision's id, parents, dependencies, labels and
// path where the catalog keeps them: nothing is copied.
std::vector<graph::NodeRef> refs_of(const std::vector<script::Revision>& revisions)
{
  std::vector<graph::NodeRef> refs;
  refs.reserve(revisions.size());
  for (const auto& rev : revisions) {
    refs.push_back({&rev.id, &rev.parents, &rev.depends_on, &rev.branch_labels, &rev.path, rev.path.empty()});
  }
  return refs;
}

} // namespace

Catalog::Catalog(std::vector<script::Revision> files)
  : m_revisions(std::move(files)), m_graph(refs_of(m_revisions))
{
}

Catalog::Catalog(const Catalog& other) : m_revisions(other.m_revisions), m_graph(refs_of(m_revisions))
{
}

Catalog& Catalog::operator=(const Catalog& other)
{
  if (this != &other) {
    Catalog copy(other);
    *this = std::move(copy);
  }
  return *this;
}

size_t Catalog::add_database_only(const std::vector<db::AppliedRecord>& applied)
{
  // Which records the files lack, asked of the graph of the files before
  // anything moves (the graph reads the revisions where they are).
  std::vector<const db::AppliedRecord*> missing;
  for (const auto& record : applied) {
    if (!m_graph.find(record.revision)) {
      missing.push_back(&record);
    }
  }
  if (missing.empty()) {
    return 0;
  }
  const size_t files = m_revisions.size();
  m_revisions.reserve(files + missing.size());
  for (const db::AppliedRecord* record : missing) {
    script::Revision rev;
    rev.id = record->revision;
    rev.parents = record->parents;
    rev.depends_on = record->depends_on;
    rev.message = record->message;
    rev.downgrade_sql = record->downgrade_sql;
    rev.downgrade_line = 1;  // lines count from the start of the stored SQL
    rev.transactional = record->transactional;
    // Branch labels stay with the files: a stored label could clash with one
    // a newer file declares.
    m_revisions.push_back(std::move(rev));
  }
  try {
    m_graph = graph::RevisionGraph(refs_of(m_revisions));
  } catch (...) {
    // The catalog stays the files' (a graph over the revisions where they
    // now are), as it was.
    m_revisions.resize(files);
    m_graph = graph::RevisionGraph(refs_of(m_revisions));
    throw;
  }
  return missing.size();
}

std::string Catalog::location(int node) const
{
  return from_database(node) ? "(stored in the database)" : m_revisions[node].path;
}

} // namespace lockstep::migrator

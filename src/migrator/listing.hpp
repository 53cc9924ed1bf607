// What `history`, `current`, `branches`, `show` and `status` show, as data the CLI prints:
// which revisions, in which order, and which of them the database's version
// rows mark "(current)". The selection and the order are made here, once;
// the CLI maps its options, makes one call and formats each entry
// (cli/format), deciding nothing.
//
//   history    every revision, or those of Alembic's range `A:B` (resolved
//              against the database's state when it was read, so `current`
//              works there), newest first: the graph's topological order
//              reversed. With a database, revisions only it remembers are
//              listed too and its version rows are marked.
//   current    as Alembic's: the version rows and the revisions current
//              through a dependency (graph::RevisionGraph::branch_heads).
//   branches   every branch point, parents first, with its children.
//   show       the revisions a target names, on the files alone.
//   status     where the database is, the heads, and what `upgrade heads`
//              would run, in the order it would run it (migrator::plan_to).
#pragma once

#include "graph/revision_graph.hpp"
#include "migrator/catalog.hpp"
#include "migrator/migrator.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lockstep::migrator {

class Listing {
public:
  // Without a database: revisions of `files`, nothing marked. `files` must
  // outlive the listing.
  Listing(const Catalog& files, std::vector<int> nodes);
  // With one: revisions of the snapshot's catalog, its version rows marked.
  Listing(Snapshot snapshot, std::vector<int> nodes);

  // What the nodes index: the files, plus, when the database was read, what
  // only it remembers.
  const Catalog& catalog() const { return m_snapshot ? m_snapshot->catalog : *m_files; }
  // The revisions to print, in order.
  const std::vector<int>& nodes() const { return m_nodes; }
  // The version rows as nodes, for "(current)"; nullptr when no database was read.
  const graph::NodeSet* current_rows() const { return m_snapshot ? &m_rows : nullptr; }
  // The version table as stored (empty without a database, or at base).
  const std::vector<std::string>& rows() const;

private:
  const Catalog* m_files = nullptr;
  std::optional<Snapshot> m_snapshot;
  graph::NodeSet m_rows;
  std::vector<int> m_nodes;
};

// `history [-r range]`: on the files alone, or (`read_database`) on what
// `migrator.snapshot()` reads. An empty range is every revision. Error(usage)
// for a range the grammar refuses or a revision it cannot find.
Listing history(Migrator& migrator, const std::string& range, bool read_database);
// The same selection and order on a catalog and an applied set, in memory.
std::vector<int> history_order(const Catalog& catalog, const graph::NodeSet& applied, const std::string& range);

// `current`: reads the database (never locks).
Listing current(Migrator& migrator);

struct Branchpoint {
  int node;                   // a revision with two or more children
  std::vector<int> children;  // in the graph's order
};
// `branches`: in topological order (parents first).
std::vector<Branchpoint> branchpoints(const Catalog& catalog);

// `show TARGET`: the revisions Alembic's grammar resolves TARGET to on the
// files, nothing applied (`heads` names every head). Error(usage) as for any
// target that does not resolve.
std::vector<int> shown(const Catalog& catalog, const std::string& target);

struct Status {
  Listing pending;                 // what `upgrade heads` would run, in order; rows() is where the database is
  std::vector<std::string> heads;  // the ids of every head
};
// `status`: reads the database (never locks).
Status status(Migrator& migrator);

} // namespace lockstep::migrator

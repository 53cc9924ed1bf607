// Turning a planned step into the text that runs it: the revision's
// statements plus the bookkeeping that records it. Online and offline
// (--sql) runs use the same text.
#pragma once

#include "db/driver.hpp"
#include "graph/planner.hpp"
#include "migrator/catalog.hpp"

#include <string>

namespace lockstep::migrator {

enum class Statements {
  split,     // one Statement per SQL statement, by the PostgreSQL parser (online runs)
  verbatim,  // the section's text as one piece, comments kept (--sql output)
};

// With Statements::split a syntax error is Error(usage) naming file:line.
// An upgrade step of a revision that exists only in the database cannot be
// built (its upgrade SQL is not stored).
db::StepBatch build_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by, Statements mode = Statements::split);

// Alembic's log line: "Running upgrade a, b -> c, message".
std::string describe_step(const Catalog& catalog, const graph::Step& step);

std::vector<std::string> ids_of(const graph::RevisionGraph& graph, const std::vector<int>& nodes);

} // namespace lockstep::migrator

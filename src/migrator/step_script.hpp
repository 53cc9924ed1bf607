// Turning a planned step into the text that runs it: the revision's
// statements plus the bookkeeping that records it. Online and offline
// (--sql) runs use the same text.
#pragma once

#include "db/driver.hpp"
#include "db/state_sql.hpp"
#include "graph/planner.hpp"
#include "migrator/catalog.hpp"
#include "script/statement_facts.hpp"

#include <string>
#include <string_view>

namespace lockstep::migrator {

// One Statement per SQL statement of the step's section, split by the
// PostgreSQL parser; a syntax error is Error(usage) naming file:line. An
// upgrade step of a revision that exists only in the database cannot be
// built (its upgrade SQL is not stored): Error(internal), as from
// require_buildable.
db::StepBatch build_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by);
// The same, split by facts already derived (script::facts_of the step's section).
db::StepBatch build_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by, const script::SectionFacts& facts);

// Error(internal) for an upgrade of a revision only the database knows.
void require_buildable(const Catalog& catalog, const graph::Step& step);

// Appends the step's bookkeeping (the text build_step puts in
// StepBatch::bookkeeping) to `out`, allocating next to nothing: `--sql`
// writes it for every step of a plan.
void append_bookkeeping(std::string& out, const Catalog& catalog, const graph::Step& step, const db::StateNames& names,
                        const std::string& run_by);
// The same, from the step's node, direction and version-row change
// (graph::row_change's nodes): what a plan kept compact needs.
void append_bookkeeping(std::string& out, const Catalog& catalog, int node, graph::Direction direction,
                        const int* removed, size_t removed_count, const int* added, size_t added_count,
                        const db::StateNames& names, const std::string& run_by);

// Alembic's log line: "Running upgrade a, b -> c, message".
std::string describe_step(const Catalog& catalog, const graph::Step& step);
void append_description(std::string& out, const Catalog& catalog, int node, graph::Direction direction);

// A section as written, comments and all, without the blank space around it
// (what `--sql` prints); empty when it holds no SQL.
std::string_view verbatim_section(const script::Revision& rev, graph::Direction direction);

std::vector<std::string> ids_of(const graph::RevisionGraph& graph, const std::vector<int>& nodes);

} // namespace lockstep::migrator

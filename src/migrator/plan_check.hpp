// One checked plan. Online upgrade/downgrade, `--sql` and `validate` all turn
// steps into batches through check_step, so a revision gets the same verdict
// on every path: what `upgrade` refuses, `upgrade --sql` refuses and
// `validate` reports, before anything runs or is printed.
//
// The rules, in the order they are checked, each Error(usage) naming file:line:
//   1. a downgrade of an irreversible revision (empty downgrade section)
//   2. every statement of the section parses (PostgreSQL's parser)
//   3. a transactional revision holds no statement that cannot run inside a
//      transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...)
//   4. a transactional revision holds no statement that ends the transaction
//      lockstep opened for it (BEGIN, COMMIT, ROLLBACK)
// (An upgrade of a revision only the database knows cannot be built: that is
// build_step's Error(internal), since no plan should ask for it.)
#pragma once

#include "db/driver.hpp"
#include "graph/planner.hpp"
#include "migrator/catalog.hpp"
#include "migrator/step_script.hpp"

#include <string>
#include <vector>

namespace lockstep::migrator {

// Checks `step` by the rules above, without building its batch (what
// `--sql` checks before printing anything), and returns its section's
// statement facts. From a bundle nothing is parsed: the facts are stored.
script::SectionFacts check_step_rules(const Catalog& catalog, const graph::Step& step);

// Checks `step` by the rules above and returns its batch, statements split.
db::StepBatch check_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by);

// check_step for every step, in order; nothing is returned unless all pass.
std::vector<db::StepBatch> check_plan(const Catalog& catalog, const std::vector<graph::Step>& steps,
                                      const db::TableNames& names, const std::string& run_by);

// What `validate` checks without a target: every revision's upgrade, and the
// downgrade of every reversible one, as steps, by the same rules. Returns the
// number of statements that parsed.
size_t check_all_steps(const Catalog& catalog, const db::TableNames& names);

} // namespace lockstep::migrator

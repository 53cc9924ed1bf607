#include "migrator/plan_check.hpp"

#include "script/statement_rules.hpp"
#include "util/error.hpp"

namespace lockstep::migrator {

db::StepBatch check_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by)
{
  const script::Revision& rev = catalog.revision(step.node);
  const std::string location = catalog.location(step.node);
  if (step.direction == graph::Direction::down && !rev.reversible()) {
    throw_usage("revision " + rev.id + " (" + location +
                ") has an empty downgrade section, so it is irreversible; nothing was run");
  }
  db::StepBatch batch = build_step(catalog, step, names, run_by);
  if (batch.transactional) {
    for (const auto& stmt : batch.statements) {
      if (auto why = script::needs_own_transaction(stmt.sql)) {
        throw_usage(location + ":" + std::to_string(stmt.line) + ": " + *why +
                    " cannot run inside a transaction block; put it in a revision of its own with the header "
                    "'-- Transactional: false'. Nothing was run.");
      }
      if (auto why = script::controls_transaction(stmt.sql)) {
        throw_usage(location + ":" + std::to_string(stmt.line) + ": " + *why +
                    " ends lockstep's per-revision transaction; remove it (each revision already runs in its "
                    "own transaction) or mark the revision '-- Transactional: false'. Nothing was run.");
      }
    }
  }
  return batch;
}

std::vector<db::StepBatch> check_plan(const Catalog& catalog, const std::vector<graph::Step>& steps,
                                      const db::TableNames& names, const std::string& run_by)
{
  std::vector<db::StepBatch> batches;
  batches.reserve(steps.size());
  for (const auto& step : steps) {
    batches.push_back(check_step(catalog, step, names, run_by));
  }
  return batches;
}

size_t check_all_steps(const Catalog& catalog, const db::TableNames& names)
{
  const graph::RevisionGraph& graph = catalog.graph();
  size_t statements = 0;
  for (int node = 0; node < static_cast<int>(graph.size()); ++node) {
    if (catalog.from_database(node)) {
      continue;
    }
    graph::Step up;
    up.node = node;
    statements += check_step(catalog, up, names, "validate").statements.size();
    if (catalog.revision(node).reversible()) {
      graph::Step down = up;
      down.direction = graph::Direction::down;
      statements += check_step(catalog, down, names, "validate").statements.size();
    }
  }
  return statements;
}

} // namespace lockstep::migrator

#include "migrator/plan_check.hpp"

#include "script/statement_facts.hpp"
#include "util/error.hpp"

namespace lockstep::migrator {

script::SectionFacts check_step_rules(const Catalog& catalog, const graph::Step& step)
{
  const script::Revision& rev = catalog.revision(step.node);
  const bool up = step.direction == graph::Direction::up;
  if (!up && !rev.reversible()) {
    throw_usage("revision " + rev.id + " (" + catalog.location(step.node) +
                ") has an empty downgrade section, so it is irreversible; nothing was run");
  }
  require_buildable(catalog, step);
  script::SectionFacts facts = script::facts_of(rev, up);
  const int first_line = up ? rev.upgrade_line : rev.downgrade_line;
  if (!facts.parses) {
    script::require_parses(facts, catalog.location(step.node), first_line);
  }
  if (!rev.transactional) {
    return facts;
  }
  for (const auto& stmt : facts.statements) {
    if (stmt.use == script::TransactionUse::fine) {
      continue;
    }
    const std::string where = catalog.location(step.node) + ":" + std::to_string(first_line + static_cast<int>(stmt.line));
    if (script::needs_own_transaction(stmt.use)) {
      throw_usage(where + ": " + script::describe(stmt.use) +
                  " cannot run inside a transaction block; put it in a revision of its own with the header "
                  "'-- Transactional: false'. Nothing was run.");
    }
    throw_usage(where + ": " + script::describe(stmt.use) +
                " ends lockstep's per-revision transaction; remove it (each revision already runs in its "
                "own transaction) or mark the revision '-- Transactional: false'. Nothing was run.");
  }
  return facts;
}

db::StepBatch check_step(const Catalog& catalog, const graph::Step& step, const db::TableNames& names,
                         const std::string& run_by)
{
  const script::SectionFacts facts = check_step_rules(catalog, step);
  return build_step(catalog, step, names, run_by, facts);
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

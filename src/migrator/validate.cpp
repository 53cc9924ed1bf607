#include "migrator/validate.hpp"

#include "migrator/plan_check.hpp"
#include "migrator/step_script.hpp"
#include "util/strings.hpp"

namespace lockstep::migrator {

Validation validate(Migrator& migrator, bool single_head, bool with_database)
{
  const graph::RevisionGraph& graph = migrator.files().graph();
  Validation v;
  v.revisions = graph.size();
  // Every revision's steps by the rules upgrade and --sql apply (plan_check).
  v.statements = check_all_steps(migrator.files(), migrator.table_names());
  v.heads = ids_of(graph, graph.heads());
  if (single_head && v.heads.size() > 1) {
    v.heads_problem = "the graph has " + std::to_string(v.heads.size()) + " heads (" + util::join(v.heads, ", ") +
                      "); merge them with: lockstep merge -m \"merge heads\" " + util::join(v.heads, " ");
    return v;
  }
  if (!with_database) {
    return v;
  }
  Snapshot snap = migrator.snapshot();  // an unknown revision in the database is exit 6
  v.database_read = true;
  v.rows = snap.rows;
  v.problems = snap.edited;
  if (snap.dirty) {
    v.problems.push_back("dirty: revision " + snap.dirty->revision + " failed going " + db::to_string(snap.dirty->direction) + " at " +
                         snap.dirty->location + ": " + snap.dirty->error + " (run 'lockstep repair' once fixed)");
  }
  return v;
}

} // namespace lockstep::migrator

#include "cli/format.hpp"

#include "util/strings.hpp"

namespace lockstep::cli {

namespace {

std::string markers(const migrator::Catalog& catalog, int node, const graph::NodeSet* current_rows)
{
  const graph::RevisionGraph& graph = catalog.graph();
  std::string out;
  for (const auto& label : graph.spec(node).branch_labels) {
    out += " (" + label + ")";
  }
  // As Alembic marks them: a head that a revision elsewhere depends on is
  // an "effective head" (still a head: nothing revises it).
  if (graph.is_head(node)) {
    out += graph.dependents(node).empty() ? " (head)" : " (effective head)";
  }
  if (graph.children(node).size() > 1) {
    out += " (branchpoint)";
  }
  if (graph.parents(node).size() > 1) {
    out += " (mergepoint)";
  }
  if (current_rows != nullptr && (*current_rows)[node]) {
    out += " (current)";
  }
  return out;
}

} // namespace

std::string history_line(const migrator::Catalog& catalog, int node, const graph::NodeSet* current_rows)
{
  const script::Revision& rev = catalog.revision(node);
  std::string parents = rev.parents.empty() ? "<base>" : util::join(rev.parents, ", ");
  if (!rev.depends_on.empty()) {
    parents += " (" + util::join(rev.depends_on, ", ") + ")";  // as Alembic shows dependencies
  }
  std::string line = parents + " -> " + rev.id + markers(catalog, node, current_rows);
  if (!rev.message.empty()) {
    line += ", " + rev.message;
  }
  return line;
}

std::string short_line(const migrator::Catalog& catalog, int node)
{
  return catalog.revision(node).id + markers(catalog, node, nullptr);
}

std::string verbose_block(const migrator::Catalog& catalog, int node, const graph::NodeSet* current_rows)
{
  const script::Revision& rev = catalog.revision(node);
  const graph::RevisionGraph& graph = catalog.graph();
  std::string out = "Rev: " + rev.id + markers(catalog, node, current_rows) + "\n";
  out += (rev.parents.size() > 1 ? "Merges: " : "Parent: ") +
         (rev.parents.empty() ? std::string("<base>") : util::join(rev.parents, ", ")) + "\n";
  if (!graph.children(node).empty()) {
    std::vector<std::string> children;
    for (int c : graph.children(node)) {
      children.push_back(graph.id(c));
    }
    out += (children.size() > 1 ? "Branches into: " : "Child: ") + util::join(children, ", ") + "\n";
  }
  if (!rev.branch_labels.empty()) {
    out += "Branch names: " + util::join(rev.branch_labels, ", ") + "\n";
  }
  if (!rev.depends_on.empty()) {
    out += "Also depends on: " + util::join(rev.depends_on, ", ") + "\n";
  }
  out += "Path: " + catalog.location(node) + "\n\n";
  out += "    " + (rev.message.empty() ? std::string("(no message)") : rev.message) + "\n\n";
  out += "    Revision ID: " + rev.id + "\n";
  out += "    Revises: " + util::join(rev.parents, ", ") + "\n";
  if (!rev.create_date.empty()) {
    out += "    Create Date: " + rev.create_date + "\n";
  }
  if (!rev.transactional) {
    out += "    Transactional: false\n";
  }
  if (!rev.reversible()) {
    out += "    (irreversible: the downgrade section is empty)\n";
  }
  return out;
}

} // namespace lockstep::cli

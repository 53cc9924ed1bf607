#include "cli/format.hpp"

#include "util/strings.hpp"

namespace lockstep::cli {

namespace {

std::string markers(const migrator::Catalog& catalog, int node, const graph::NodeSet* current_rows)
{
  const graph::RevisionGraph& graph = catalog.graph();
  Marks marks;
  marks.labels = &graph.spec(node).branch_labels;
  marks.head = graph.is_head(node);
  marks.effective_head = marks.head && !graph.dependents(node).empty();
  marks.branchpoint = graph.children(node).size() > 1;
  marks.mergepoint = graph.parents(node).size() > 1;
  marks.current = current_rows != nullptr && (*current_rows)[node];
  return marks_text(marks);
}

} // namespace

std::string marks_text(const Marks& marks)
{
  std::string out;
  if (marks.labels != nullptr) {
    for (const auto& label : *marks.labels) {
      out += " (" + label + ")";
    }
  }
  // As Alembic marks them: a head that a revision elsewhere depends on is
  // an "effective head" (still a head: nothing revises it).
  if (marks.head) {
    out += marks.effective_head ? " (effective head)" : " (head)";
  }
  if (marks.branchpoint) {
    out += " (branchpoint)";
  }
  if (marks.mergepoint) {
    out += " (mergepoint)";
  }
  if (marks.current) {
    out += " (current)";
  }
  return out;
}

std::string head_line(const script::BundleHead& head)
{
  Marks marks;
  marks.labels = &head.branch_labels;
  marks.head = true;  // nothing revises a head, so it is never a branchpoint
  marks.effective_head = head.has_dependents;
  marks.mergepoint = head.parents > 1;
  return head.id + marks_text(marks);
}

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

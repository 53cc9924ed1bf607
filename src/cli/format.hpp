// Alembic-style text for revisions: the one-line form used by history,
// heads and current, and the verbose form used by show and --verbose.
#pragma once

#include "graph/revision_graph.hpp"
#include "migrator/catalog.hpp"
#include "script/bundle.hpp"

#include <string>
#include <vector>

namespace lockstep::cli {

// "1c0d3e5f7a9b -> 3f2a9c1e7b4d (head) (current), add edited_at to messages";
// dependencies follow the parents in parentheses: "a2 (p3) -> r1".
std::string history_line(const migrator::Catalog& catalog, int node, const graph::NodeSet* current_rows);

// "3f2a9c1e7b4d (label) (head)"
std::string short_line(const migrator::Catalog& catalog, int node);

// short_line of a head read from the graph a bundle stores (script::read_bundle_heads),
// without loading the catalog: the same bytes.
std::string head_line(const script::BundleHead& head);

// What follows an id, in Alembic's order: " (label)... (head)|(effective head)
// (branchpoint) (mergepoint) (current)".
struct Marks {
  const std::vector<std::string>* labels = nullptr;
  bool head = false;
  bool effective_head = false;
  bool branchpoint = false;
  bool mergepoint = false;
  bool current = false;
};
std::string marks_text(const Marks& marks);

// Rev/Parent/Path header and the indented message and header keys.
std::string verbose_block(const migrator::Catalog& catalog, int node, const graph::NodeSet* current_rows);

} // namespace lockstep::cli

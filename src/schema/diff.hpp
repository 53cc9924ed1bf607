// From one schema model to another: the SQL that turns the first into the
// second, ordered by dependency (schemas, extensions and types before the
// tables that use them, tables before the foreign keys that point at them,
// views last; drops in the reverse order). The downgrade is the same
// function with the models swapped.
//
// Renames cannot be told from drop + add: both are emitted, with a comment
// naming the possible rename. Destructive steps (drops, type changes) are
// marked in the SQL and listed in `warnings`. Enum values that disappear or
// move are flagged, never guessed.
#pragma once

#include "schema/model.hpp"

#include <string>
#include <vector>

namespace lockstep::schema {

struct Changes {
  std::vector<std::string> statements;  // each ends with ';'; comments start with "--"
  std::vector<std::string> warnings;
  bool empty() const { return statements.empty(); }
};

Changes diff(const Model& from, const Model& to);

} // namespace lockstep::schema

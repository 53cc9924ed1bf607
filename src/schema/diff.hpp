// From one schema model to another: the SQL that turns the first into the
// second, ordered by dependency (schemas, extensions; functions that need
// nothing of the user's; types and domains; functions on those types;
// sequences; tables, parents before partitions; owned-sequence
// links; keys, checks, then foreign keys; functions on row types; indexes;
// views, each after the views it reads; indexes on materialized views;
// triggers and policies; owners and grants when
// managed; comments). Drops run in the reverse order, before
// the creates. The downgrade is the same function with the models swapped,
// and `check` passes exactly when diff(replayed, desired) is empty.
//
// The diff is split by object family (diff_types, diff_tables, diff_code,
// diff_views); diff.cpp holds the order.
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

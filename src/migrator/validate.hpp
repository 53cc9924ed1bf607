// `lockstep validate`, the CI guard, as data: what the files and (when one
// is configured) the database say, for the CLI to print.
//
// The files parse and the graph is sound (else the Migrator already threw
// Error(usage)), and every revision's steps pass migrator/plan_check, the
// rules upgrade and --sql apply (else Error(usage) naming file:line). With
// `single_head`, more than one head is a problem and the database is not
// read. Reading the database is the read-only snapshot (an unknown revision
// there is Error(validation)); its problems (applied files edited since
// they ran, a dirty revision) are returned, not thrown, so the CLI reports
// them all at once.
#pragma once

#include "migrator/migrator.hpp"

#include <string>
#include <vector>

namespace lockstep::migrator {

struct Validation {
  size_t revisions = 0;
  size_t statements = 0;                 // over every revision's upgrade and downgrade
  std::vector<std::string> heads;        // ids
  std::string heads_problem;             // single_head asked for and not met; then nothing more was checked
  bool database_read = false;            // false without a database (or after a heads problem)
  std::vector<std::string> rows;         // the version table, when read
  std::vector<std::string> problems;     // of the database: edited applied revisions, a dirty revision
};

// `with_database`: read the migrator's database too (false: files only).
Validation validate(Migrator& migrator, bool single_head, bool with_database);

} // namespace lockstep::migrator

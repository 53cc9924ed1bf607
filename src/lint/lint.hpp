// `lockstep lint`: every upgrade statement through the PostgreSQL parser,
// and the DDL that is risky on a live table flagged, in the spirit of
// squawk and strong_migrations. No database is needed.
//
// "Existing table" means one that no statement earlier in the same revision
// created: a table an earlier revision created may be large by now.
// A revision silences a rule with its header: `-- Lint Ignore: rule-id, ...`.
#pragma once

#include "migrator/catalog.hpp"

#include <string>
#include <vector>

namespace lockstep::lint {

enum class Severity { warning, error };

struct Rule {
  const char* id;
  Severity severity;
  const char* advice;
};

// Every rule lockstep knows, for --help and the README.
const std::vector<Rule>& rules();

struct Finding {
  const Rule* rule = nullptr;
  std::string revision;
  std::string path;
  int line = 0;
  std::string message;  // what the statement does
};

// Revisions in topological order. A syntax error throws Error(usage)
// naming file:line.
std::vector<Finding> lint(const migrator::Catalog& catalog);

std::string format_text(const std::vector<Finding>& findings);
std::string format_json(const std::vector<Finding>& findings);

} // namespace lockstep::lint

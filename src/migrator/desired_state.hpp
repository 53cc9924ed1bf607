// The desired state (the `schema` setting): a .sql file, or a folder of them
// read in name order, as a list of statements that each know their file and
// line. A `pg_dump --schema-only` file works as it is:
//   - psql meta-commands (`\restrict KEY`, `\connect`...) are skipped, with a notice naming them;
//   - SET and SELECT pg_catalog.set_config(...) run as written;
//   - OWNER TO, GRANT, REVOKE and ALTER DEFAULT PRIVILEGES are skipped with one notice
//     unless `schema_ownership` is on (the scratch database usually lacks those roles).
// A syntax error is Error(usage) naming file:line.
#pragma once

#include <string>
#include <vector>

namespace lockstep::migrator {

struct DesiredStatement {
  std::string sql;
  std::string file;
  int line = 0;
  std::string where() const { return file + ":" + std::to_string(line); }
};

struct DesiredState {
  std::vector<DesiredStatement> statements;  // what runs, in order
  std::vector<std::string> notices;          // what was skipped, one line each
};

DesiredState load_desired_state(const std::string& path, bool ownership);

// Where the desired state makes the object called `name`: the first CREATE
// (else ALTER or other) statement that names it, as "file:line"; "" when none does.
std::string locate(const DesiredState& state, const std::string& name);

} // namespace lockstep::migrator

// `lockstep check` and `revision --autogenerate` share one question: what
// separates the schema the migrations build from the desired one (the
// `schema` setting, see desired_state.hpp)? Alembic users write this CI
// guard by hand.
//
// On the dev server (`dev_url`, default the database URL's server) two
// scratch databases, lockstep_dev_<random>, are created through db::Driver: every revision up
// to the heads is replayed into one, the desired schema is applied to the
// other, and both are read by db::CatalogReader into schema::Models. The
// target database is never touched, and both scratch databases are dropped
// on every way out. `check` passes exactly when schema::diff between the two
// is empty: the same diff autogenerate writes, so the two cannot disagree.
//
// An object of a kind lockstep does not model, on either side, is
// Error(usage) naming it (and its file:line in the desired state): it is
// never left out silently.
#pragma once

#include "config/config.hpp"
#include "db/driver.hpp"
#include "migrator/desired_state.hpp"
#include "schema/model.hpp"
#include "script/revision_file.hpp"

#include <string>
#include <vector>

namespace lockstep::migrator {

struct SchemaDifference {
  std::vector<std::string> only_in_migrations;  // what the migrations build and the schema lacks
  std::vector<std::string> only_in_schema;      // what the schema wants and the migrations lack
  bool empty() const { return only_in_migrations.empty() && only_in_schema.empty(); }
};

// Both sides, read back from the scratch databases.
struct ReplayedAndDesired {
  schema::Model replayed;
  schema::Model desired;
};

// Loads the desired state (`schema`), connects to the dev server and
// replays there (below).
ReplayedAndDesired replay_and_load(const config::Config& config, std::vector<script::Revision> files);

// The same on `server`, a driver connected to the dev server: the scratch
// databases are created, reached and dropped through it (db::Driver), so a
// fake server tests this without PostgreSQL.
ReplayedAndDesired replay_and_load(const config::Config& config, std::vector<script::Revision> files,
                                   const DesiredState& desired, db::Driver& server);

SchemaDifference check_schema(const config::Config& config, std::vector<script::Revision> files);

} // namespace lockstep::migrator

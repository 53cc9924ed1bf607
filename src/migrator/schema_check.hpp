// `lockstep check` and `revision --autogenerate`: do the migrations, applied to an empty database, build
// the desired schema (the `schema` setting: a .sql file or a folder of
// them)? Alembic users write this CI guard by hand.
//
// On the dev server (`dev_url`, default the database URL's server) two
// scratch databases, lockstep_dev_<random>, are created: every revision up
// to the heads is replayed into one, the desired schema is applied to the
// other, and their catalogs are compared. The target database is never
// touched, and both scratch databases are dropped on every way out.
#pragma once

#include "config/config.hpp"
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
  std::vector<std::string> replayed_lines;  // db::Session::describe_schema() of each
  std::vector<std::string> desired_lines;
  schema::Model replayed;                   // db::Session::read_model() of each
  schema::Model desired;
};

ReplayedAndDesired replay_and_load(const config::Config& config, std::vector<script::Revision> files);

SchemaDifference check_schema(const config::Config& config, std::vector<script::Revision> files);

// The desired schema's SQL: one file, or a folder's *.sql in name order.
std::string read_desired_schema(const std::string& path);

} // namespace lockstep::migrator

// A fleet's targets: which databases (or tenant schemas of one database) a
// fleet run migrates, and which of them belong to this shard.
//
// Promises: every target has a stable id (for logs, reports and sharding);
// its URL is a secret and only `display` (redacted) is ever printed; a bad
// line of the fleet file is Error(usage) naming file:line, never echoing the
// URL; the order is the file's (or the schema names', sorted), so a canary
// stage is the same targets on every run; the shard assignment depends on
// the id alone (README.md, "Fleets").
#pragma once

#include "config/config.hpp"
#include "db/connection_url.hpp"

#include <string>
#include <vector>

namespace lockstep::fleet {

struct Target {
  std::string id;         // "tenant_0042", or "host:port/dbname", or the id the file gave
  std::string display;    // postgresql://user@host:port/db (and "schema tenant_0042"): safe to print
  config::Config config;  // the base configuration with this target's URL / schema: secret
  db::ConnectionTarget connection;
  bool tenant_schema = false;  // a schema of database_url, not a database of its own
};

// True when the configuration names a fleet (fleet_file, fleet_schemas or fleet_query).
bool configured(const config::Config& config);

// Replaces each ${NAME} with env[NAME]; Error(usage) naming `where` for an
// unset variable or an unterminated "${".
std::string expand_variables(const std::string& text, const config::Environment& env, const std::string& where);

// The targets of a fleet file's text (`path` for messages):
//   # a comment, and blank lines
//   postgresql://app:${TENANT_A_PASSWORD}@db-a:5432/app        (id: db-a:5432/app)
//   tenant-b  postgresql://app:${TENANT_B_PASSWORD}@db-b/app   (id: tenant-b)
std::vector<Target> parse_fleet_file(const std::string& text, const std::string& path, const config::Config& base,
                                     const config::Environment& env);

// One target per schema name (`schema` first on the search_path, lockstep's
// tables in it); names must be plain lower-case identifiers.
std::vector<Target> schema_targets(const std::vector<std::string>& schemas, const config::Config& base);

// The targets of fleet_query's rows (`where` for messages): all database
// URLs (those holding "://" or "="; ${VAR} expanded, ids as in a fleet file),
// or all schema names of database_url. A mix is Error(usage).
std::vector<Target> query_targets(const std::vector<std::string>& rows, const config::Config& base,
                                  const config::Environment& env);

// Which of `count` shards a target id belongs to: the first 15 hex digits of
// SHA-256(id) as an integer, modulo `count`.
int shard_of(const std::string& id, int count);

// Every target of the configured fleet that belongs to this shard (all of
// them without shard_index), in order. Lists tenant schemas, or runs
// fleet_query, through one connection to database_url, closed before the run.
// With fleet_password_dir, a database target whose id names a file there
// takes its password from it (Error(usage) for an unreadable or empty one);
// every id canary_ids names must be a target of the whole fleet.
std::vector<Target> load_targets(const config::Config& config, const config::Environment& env);

} // namespace lockstep::fleet

#include "db/state_sql.hpp"

#include "util/error.hpp"

#include "util/sha256.hpp"
#include "util/sql_quote.hpp"

#include <cstdio>

namespace lockstep::db {

using util::qualified_name;
using util::quote_literal;

std::string TableNames::version() const
{
  return qualified_name(schema, version_table);
}

std::string TableNames::applied() const
{
  return qualified_name(schema, "lockstep_applied");
}

std::string TableNames::history() const
{
  return qualified_name(schema, "lockstep_history");
}

std::string TableNames::dirty() const
{
  return qualified_name(schema, "lockstep_dirty");
}

std::string TableNames::lease() const
{
  return qualified_name(schema, "lockstep_lease");
}

std::string create_tables_sql(const TableNames& names)
{
  std::string sql;
  if (!names.schema.empty()) {
    sql += "CREATE SCHEMA IF NOT EXISTS " + util::quote_ident(names.schema) + ";\n";
  }
  sql += "CREATE TABLE IF NOT EXISTS " + names.version() +
         " (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT " +
         util::quote_ident(names.version_table + "_pkc") + " PRIMARY KEY (version_num)\n);\n";
  sql += "CREATE TABLE IF NOT EXISTS " + names.applied() +
         " (\n"
         "    version_table TEXT NOT NULL,\n"
         "    revision VARCHAR(32) NOT NULL,\n"
         "    parents TEXT[] NOT NULL,\n"
         "    depends_on TEXT[] NOT NULL,\n"
         "    branch_labels TEXT[] NOT NULL,\n"
         "    message TEXT NOT NULL,\n"
         "    checksum TEXT NOT NULL,\n"
         "    downgrade_sql TEXT NOT NULL,\n"
         "    transactional BOOLEAN NOT NULL,\n"
         "    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
         "    applied_by TEXT NOT NULL,\n"
         "    PRIMARY KEY (version_table, revision)\n);\n";
  sql += "CREATE TABLE IF NOT EXISTS " + names.history() +
         " (\n"
         "    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
         "    version_table TEXT NOT NULL,\n"
         "    revision VARCHAR(32) NOT NULL,\n"
         "    direction TEXT NOT NULL,\n"
         "    checksum TEXT NOT NULL,\n"
         "    started_at TIMESTAMPTZ NOT NULL,\n"
         "    finished_at TIMESTAMPTZ NOT NULL,\n"
         "    duration_ms DOUBLE PRECISION NOT NULL,\n"
         "    run_by TEXT NOT NULL,\n"
         "    outcome TEXT NOT NULL,\n"
         "    error TEXT\n);\n";
  sql += "CREATE TABLE IF NOT EXISTS " + names.dirty() +
         " (\n"
         "    version_table TEXT PRIMARY KEY,\n"
         "    revision VARCHAR(32) NOT NULL,\n"
         "    direction TEXT NOT NULL,\n"
         "    location TEXT NOT NULL,\n"
         "    error TEXT NOT NULL,\n"
         "    failed_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
         "    run_by TEXT NOT NULL\n);\n";
  return sql;
}

std::string create_lease_table_sql(const TableNames& names)
{
  std::string sql;
  if (!names.schema.empty()) {
    sql += "CREATE SCHEMA IF NOT EXISTS " + util::quote_ident(names.schema) + ";\n";
  }
  return sql + "CREATE TABLE IF NOT EXISTS " + names.lease() +
         " (\n"
         "    version_table TEXT PRIMARY KEY,\n"
         "    owner TEXT NOT NULL,\n"
         "    acquired_at TIMESTAMPTZ NOT NULL,\n"
         "    heartbeat_at TIMESTAMPTZ NOT NULL,\n"
         "    expires_at TIMESTAMPTZ NOT NULL\n);\n";
}

std::string take_lease_sql(const TableNames& names, const std::string& owner, long long ttl_ms)
{
  std::string expiry = "clock_timestamp() + interval '" + std::to_string(ttl_ms) + " milliseconds'";
  return "INSERT INTO " + names.lease() + " AS l (version_table, owner, acquired_at, heartbeat_at, expires_at) VALUES (" +
         quote_literal(names.version_table) + ", " + quote_literal(owner) + ", clock_timestamp(), clock_timestamp(), " +
         expiry + ") ON CONFLICT (version_table) DO UPDATE SET owner = EXCLUDED.owner, acquired_at = EXCLUDED.acquired_at, "
         "heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at WHERE l.expires_at < clock_timestamp() "
         "RETURNING owner";
}

std::string renew_lease_sql(const TableNames& names, const std::string& owner, long long ttl_ms)
{
  return "UPDATE " + names.lease() + " SET heartbeat_at = clock_timestamp(), expires_at = clock_timestamp() + interval '" +
         std::to_string(ttl_ms) + " milliseconds' WHERE version_table = " + quote_literal(names.version_table) +
         " AND owner = " + quote_literal(owner) + " RETURNING owner";
}

std::string release_lease_sql(const TableNames& names, const std::string& owner)
{
  return "DELETE FROM " + names.lease() + " WHERE version_table = " + quote_literal(names.version_table) +
         " AND owner = " + quote_literal(owner);
}

std::string mark_dirty_sql(const TableNames& names, const std::string& revision, Direction direction,
                           const std::string& location, const std::string& error, const std::string& run_by)
{
  return "INSERT INTO " + names.dirty() + " (version_table, revision, direction, location, error, run_by) VALUES (" +
         quote_literal(names.version_table) + ", " + quote_literal(revision) + ", " + quote_literal(to_string(direction)) + ", " +
         quote_literal(location) + ", " + quote_literal(error) + ", " + quote_literal(run_by) +
         ") ON CONFLICT (version_table) DO UPDATE SET revision = EXCLUDED.revision, direction = EXCLUDED.direction, "
         "location = EXCLUDED.location, error = EXCLUDED.error, failed_at = now(), run_by = EXCLUDED.run_by;\n";
}

std::string clear_dirty_sql(const TableNames& names)
{
  return "DELETE FROM " + names.dirty() + " WHERE version_table = " + quote_literal(names.version_table) + ";\n";
}

std::string version_change_sql(const TableNames& names, const std::vector<std::string>& removed,
                               const std::vector<std::string>& added)
{
  if (removed.size() == 1 && added.size() == 1) {
    return "UPDATE " + names.version() + " SET version_num=" + quote_literal(added[0]) +
           " WHERE version_num = " + quote_literal(removed[0]) + ";\n";
  }
  std::string sql;
  for (const auto& rev : removed) {
    sql += "DELETE FROM " + names.version() + " WHERE version_num = " + quote_literal(rev) + ";\n";
  }
  for (const auto& rev : added) {
    sql += "INSERT INTO " + names.version() + " (version_num) VALUES (" + quote_literal(rev) + ");\n";
  }
  return sql;
}

std::string record_applied_sql(const TableNames& names, const AppliedRecord& r, const std::string& run_by)
{
  // Appended piece by piece: this runs for every revision applied or shown
  // by --sql, and a chain of operator+ makes a temporary string per piece.
  std::string sql;
  sql.reserve(768 + r.downgrade_sql.size() + r.message.size());
  sql += "INSERT INTO ";
  sql += names.applied();
  sql += " (version_table, revision, parents, depends_on, branch_labels, message, checksum, downgrade_sql, "
         "transactional, applied_by) VALUES (";
  for (const std::string* value : {&names.version_table, &r.revision}) {
    util::append_literal(sql, *value);
    sql += ", ";
  }
  for (const std::vector<std::string>* list : {&r.parents, &r.depends_on, &r.branch_labels}) {
    util::append_text_array(sql, *list);
    sql += ", ";
  }
  for (const std::string* value : {&r.message, &r.checksum}) {
    util::append_literal(sql, *value);
    sql += ", ";
  }
  util::append_literal(sql, r.downgrade_sql);
  sql += r.transactional ? ", true, " : ", false, ";
  util::append_literal(sql, run_by);
  sql += ")\n  ON CONFLICT (version_table, revision) DO UPDATE SET parents = EXCLUDED.parents, "
         "depends_on = EXCLUDED.depends_on, branch_labels = EXCLUDED.branch_labels, message = EXCLUDED.message, "
         "checksum = EXCLUDED.checksum, downgrade_sql = EXCLUDED.downgrade_sql, "
         "transactional = EXCLUDED.transactional, applied_at = now(), applied_by = EXCLUDED.applied_by;\n";
  return sql;
}

std::string forget_applied_sql(const TableNames& names, const std::string& revision)
{
  return "DELETE FROM " + names.applied() + " WHERE version_table = " + quote_literal(names.version_table) +
         " AND revision = " + quote_literal(revision) + ";\n";
}

const char* to_string(Direction direction)
{
  static const char* const names[] = {"up", "down", "stamp", "unstamp"};
  return names[static_cast<int>(direction)];
}

const char* to_string(Outcome outcome)
{
  static const char* const names[] = {"applied", "reverted", "stamped", "unstamped", "failed", "interrupted", "repaired"};
  return names[static_cast<int>(outcome)];
}

Direction direction_named(const std::string& name)
{
  for (Direction d : {Direction::up, Direction::down, Direction::stamp, Direction::unstamp}) {
    if (name == to_string(d)) {
      return d;
    }
  }
  throw Error(ExitCode::internal, "unknown direction '" + name + "' in lockstep's tables");
}

std::string history_sql(const TableNames& names, const std::string& revision, Direction direction_value,
                        const std::string& checksum, const std::string& run_by, Outcome outcome,
                        const std::string& error)
{
  const std::string direction = to_string(direction_value);
  std::string sql;
  sql.reserve(384 + error.size());
  sql += "INSERT INTO ";
  sql += names.history();
  sql += " (version_table, revision, direction, checksum, started_at, finished_at, duration_ms, run_by, outcome, "
         "error) VALUES (";
  for (const std::string* value : {&names.version_table, &revision, &direction, &checksum}) {
    util::append_literal(sql, *value);
    sql += ", ";
  }
  sql += "now(), clock_timestamp(), 1000 * extract(epoch FROM clock_timestamp() - now()), ";
  util::append_literal(sql, run_by);
  sql += ", ";
  util::append_literal(sql, to_string(outcome));
  sql += ", ";
  if (error.empty()) {
    sql += "NULL";
  } else {
    util::append_literal(sql, error);
  }
  sql += ");\n";
  return sql;
}

int64_t lock_key(const TableNames& names)
{
  std::string digest = util::sha256_hex("lockstep:" + names.schema + "." + names.version_table);
  uint64_t key = std::stoull(digest.substr(0, 15), nullptr, 16);  // 60 bits: fits a signed bigint
  return static_cast<int64_t>(key);
}

std::string lock_channel(const TableNames& names)
{
  char hex[17];
  std::snprintf(hex, sizeof hex, "%015llx", static_cast<unsigned long long>(lock_key(names)));
  return std::string("lockstep_lock_") + hex;
}

} // namespace lockstep::db

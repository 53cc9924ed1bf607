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

StateNames::StateNames(const TableNames& names)
  : version(names.version()), applied(names.applied()), history(names.history()),
    version_table_literal(quote_literal(names.version_table))
{
}

void append_version_change(std::string& out, const StateNames& names, const std::vector<std::string_view>& removed,
                           const std::vector<std::string_view>& added)
{
  if (removed.size() == 1 && added.size() == 1) {
    out += "UPDATE ";
    out += names.version;
    out += " SET version_num=";
    util::append_literal(out, added[0]);
    out += " WHERE version_num = ";
    util::append_literal(out, removed[0]);
    out += ";\n";
    return;
  }
  for (const auto rev : removed) {
    out += "DELETE FROM ";
    out += names.version;
    out += " WHERE version_num = ";
    util::append_literal(out, rev);
    out += ";\n";
  }
  for (const auto rev : added) {
    out += "INSERT INTO ";
    out += names.version;
    out += " (version_num) VALUES (";
    util::append_literal(out, rev);
    out += ");\n";
  }
}

std::string version_change_sql(const TableNames& names, const std::vector<std::string>& removed,
                               const std::vector<std::string>& added)
{
  std::string sql;
  append_version_change(sql, StateNames(names), std::vector<std::string_view>(removed.begin(), removed.end()),
                        std::vector<std::string_view>(added.begin(), added.end()));
  return sql;
}

void append_record_applied(std::string& out, const StateNames& names, const AppliedFields& r, std::string_view run_by)
{
  out += "INSERT INTO ";
  out += names.applied;
  out += " (version_table, revision, parents, depends_on, branch_labels, message, checksum, downgrade_sql, "
         "transactional, applied_by) VALUES (";
  out += names.version_table_literal;
  out += ", ";
  util::append_literal(out, r.revision);
  out += ", ";
  for (const std::vector<std::string>* list : {&r.parents, &r.depends_on, &r.branch_labels}) {
    util::append_text_array(out, *list);
    out += ", ";
  }
  for (const std::string_view value : {r.message, r.checksum}) {
    util::append_literal(out, value);
    out += ", ";
  }
  util::append_literal(out, r.downgrade_sql);
  out += r.transactional ? ", true, " : ", false, ";
  util::append_literal(out, run_by);
  out += ")\n  ON CONFLICT (version_table, revision) DO UPDATE SET parents = EXCLUDED.parents, "
         "depends_on = EXCLUDED.depends_on, branch_labels = EXCLUDED.branch_labels, message = EXCLUDED.message, "
         "checksum = EXCLUDED.checksum, downgrade_sql = EXCLUDED.downgrade_sql, "
         "transactional = EXCLUDED.transactional, applied_at = now(), applied_by = EXCLUDED.applied_by;\n";
}

std::string record_applied_sql(const TableNames& names, const AppliedRecord& r, const std::string& run_by)
{
  std::string sql;
  sql.reserve(768 + r.downgrade_sql.size() + r.message.size());
  append_record_applied(sql, StateNames(names),
                        {r.revision, r.parents, r.depends_on, r.branch_labels, r.message, r.checksum, r.downgrade_sql,
                         r.transactional},
                        run_by);
  return sql;
}

void append_forget_applied(std::string& out, const StateNames& names, std::string_view revision)
{
  out += "DELETE FROM ";
  out += names.applied;
  out += " WHERE version_table = ";
  out += names.version_table_literal;
  out += " AND revision = ";
  util::append_literal(out, revision);
  out += ";\n";
}

std::string forget_applied_sql(const TableNames& names, const std::string& revision)
{
  std::string sql;
  append_forget_applied(sql, StateNames(names), revision);
  return sql;
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

void append_history(std::string& out, const StateNames& names, std::string_view revision, Direction direction,
                    std::string_view checksum, std::string_view run_by, Outcome outcome, std::string_view error)
{
  out += "INSERT INTO ";
  out += names.history;
  out += " (version_table, revision, direction, checksum, started_at, finished_at, duration_ms, run_by, outcome, "
         "error) VALUES (";
  out += names.version_table_literal;
  out += ", ";
  for (const std::string_view value : {revision, std::string_view(to_string(direction)), checksum}) {
    util::append_literal(out, value);
    out += ", ";
  }
  out += "now(), clock_timestamp(), 1000 * extract(epoch FROM clock_timestamp() - now()), ";
  util::append_literal(out, run_by);
  out += ", ";
  util::append_literal(out, to_string(outcome));
  out += ", ";
  if (error.empty()) {
    out += "NULL";
  } else {
    util::append_literal(out, error);
  }
  out += ");\n";
}

std::string history_sql(const TableNames& names, const std::string& revision, Direction direction,
                        const std::string& checksum, const std::string& run_by, Outcome outcome,
                        const std::string& error)
{
  std::string sql;
  sql.reserve(384 + error.size());
  append_history(sql, StateNames(names), revision, direction, checksum, run_by, outcome, error);
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

// lockstep's own tables and the SQL that keeps them, as text.
//
// The same statements run online (db::Session) and are printed offline
// (`--sql`), so a DBA reviews exactly what lockstep would run.
//
//   <version_table>    Alembic's layout: one row per current head,
//                      version_num varchar(32) primary key.
//   lockstep_applied   per applied revision: parents, dependencies, checksum
//                      and downgrade SQL, so a rollback Job whose folder lacks
//                      newer revisions can still downgrade through them.
//   lockstep_history   one row per step run: revision, direction, checksum,
//                      times, duration, who ran it, outcome.
//   lockstep_dirty     at most one row per version table: a non-transactional
//                      revision that failed part-way; runs refuse until repair.
//   lockstep_lease     the lock for lock_mode: lease (PgBouncer in transaction
//                      pooling): owner, expiry, heartbeat.
// All three live in `version_table_schema` (default: the search path).
// lockstep_applied and lockstep_history are keyed by the version table's name
// too, so two apps with their own version tables can share a schema.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::db {

struct TableNames {
  std::string schema;  // empty: the search path decides
  std::string version_table = "lockstep_version";

  std::string version() const;  // quoted, qualified
  std::string applied() const;
  std::string history() const;
  std::string dirty() const;
  std::string lease() const;
};

struct AppliedRecord {
  std::string revision;
  std::vector<std::string> parents;
  std::vector<std::string> depends_on;
  std::vector<std::string> branch_labels;
  std::string message;
  std::string checksum;
  std::string downgrade_sql;
  bool transactional = true;
};

// The names a step's bookkeeping uses, quoted once: a run that writes the
// bookkeeping of many steps (`--sql` of 10,000 revisions) appends with
// these instead of quoting the same names again for every statement.
struct StateNames {
  explicit StateNames(const TableNames& names);
  std::string version;  // quoted, qualified
  std::string applied;
  std::string history;
  std::string version_table_literal;  // the version table's name as an SQL literal
};

// An AppliedRecord's fields, borrowed (nothing copied to append them).
struct AppliedFields {
  std::string_view revision;
  const std::vector<std::string>& parents;
  const std::vector<std::string>& depends_on;
  const std::vector<std::string>& branch_labels;
  std::string_view message;
  std::string_view checksum;
  std::string_view downgrade_sql;
  bool transactional = true;
};

std::string create_tables_sql(const TableNames& names);

// Moves the version table from `removed` rows to `added` rows. A single
// replacement is one UPDATE, as Alembic writes it.
std::string version_change_sql(const TableNames& names, const std::vector<std::string>& removed,
                               const std::vector<std::string>& added);

std::string record_applied_sql(const TableNames& names, const AppliedRecord& record, const std::string& run_by);
std::string forget_applied_sql(const TableNames& names, const std::string& revision);

// The same texts as version_change_sql, record_applied_sql,
// forget_applied_sql and history_sql (which are made by these), appended to
// `out`.
void append_version_change(std::string& out, const StateNames& names, const std::vector<std::string_view>& removed,
                           const std::vector<std::string_view>& added);
void append_record_applied(std::string& out, const StateNames& names, const AppliedFields& record,
                           std::string_view run_by);
void append_forget_applied(std::string& out, const StateNames& names, std::string_view revision);

// What a lockstep_history row (and lockstep_dirty) records, stored as these
// names in lower case.
enum class Direction { up, down, stamp, unstamp };
enum class Outcome { applied, reverted, stamped, unstamped, failed, interrupted, repaired };
const char* to_string(Direction direction);
const char* to_string(Outcome outcome);
// A direction as stored; Error(internal) for one this version does not know.
Direction direction_named(const std::string& name);

// Times come from the server: started_at = now() (the step's transaction start).
std::string history_sql(const TableNames& names, const std::string& revision, Direction direction,
                        const std::string& checksum, const std::string& run_by, Outcome outcome,
                        const std::string& error = "");
void append_history(std::string& out, const StateNames& names, std::string_view revision, Direction direction,
                    std::string_view checksum, std::string_view run_by, Outcome outcome, std::string_view error = {});

// Marks the version table dirty: `revision` failed going `direction` at
// `location` (file:line) with `error`.
std::string mark_dirty_sql(const TableNames& names, const std::string& revision, Direction direction,
                           const std::string& location, const std::string& error, const std::string& run_by);
std::string clear_dirty_sql(const TableNames& names);

// The lease table alone: it must exist before anyone can take the lease.
std::string create_lease_table_sql(const TableNames& names);
// Takes the lease when it is free or expired; returns a row when `owner` got it.
std::string take_lease_sql(const TableNames& names, const std::string& owner, long long ttl_ms);
// Extends the lease; returns a row while `owner` still holds it.
std::string renew_lease_sql(const TableNames& names, const std::string& owner, long long ttl_ms);
std::string release_lease_sql(const TableNames& names, const std::string& owner);

// The advisory-lock key: 64 bits of SHA-256 over the version table's
// qualified name, so every run against the same table contends for one lock.
int64_t lock_key(const TableNames& names);
// The NOTIFY channel on which a release of that lock (either mode) is
// announced: "lockstep_lock_" and the key in hex, a valid identifier.
std::string lock_channel(const TableNames& names);

} // namespace lockstep::db

// The database seam: the only code that talks to PostgreSQL (and the only
// folder that includes <pqxx/pqxx>).
//
// A Session is one connection. It knows lockstep's tables (TableNames) but
// nothing about graphs or targets: the migrator hands it text to run.
// Failures become lockstep::Error with README.md's exit codes; messages carry
// the redacted target only, never the password. A SIGTERM cancels the
// running statement (see util/interrupt.hpp).
#pragma once

#include "db/connection_url.hpp"
#include "db/state_sql.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::db {

struct DirtyState {
  std::string revision;
  std::string direction;
  std::string location;  // file:line of the failed statement
  std::string error;
  std::string failed_at;
  std::string run_by;
};

struct DatabaseState {
  bool initialized = false;                     // the version table exists
  std::vector<std::string> rows;                // version table rows, sorted
  std::map<std::string, std::string> checksums; // lockstep_applied: revision -> checksum
  std::optional<DirtyState> dirty;
};

// One statement of a revision, as the migrator split it.
struct Statement {
  std::string sql;  // without its trailing semicolon
  int line = 0;     // 1-based line in the file where it starts
};

// One revision's worth of work, ready to run.
struct StepBatch {
  std::string revision;
  std::string location;                      // the file, or "(stored in the database)"
  std::vector<Statement> statements;
  std::string bookkeeping;                   // version table, lockstep_applied, lockstep_history
  bool transactional = true;
  // For the lockstep_history row written when the step fails.
  std::string direction;
  std::string checksum;
  std::string run_by;
};

// How migration statements run (README.md, "Configuration": statement_timeout, ddl_lock_timeout).
struct RunLimits {
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::chrono::milliseconds> ddl_lock_timeout;  // PostgreSQL lock_timeout
  int lock_retries = 5;  // tries after a lock_not_available (55P03) failure
};

class Session {
public:
  // Connects, retrying with capped exponential backoff and jitter until
  // `connect_timeout` has passed (then Error(unreachable)). Wrong
  // credentials or a missing database fail at once: retrying cannot fix them.
  Session(const ConnectionTarget& target, TableNames names, std::chrono::milliseconds connect_timeout);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const TableNames& names() const { return m_names; }
  const std::string& display() const { return m_target.display; }

  // Read-only; works on a database lockstep has never touched.
  DatabaseState read_state();
  // Full lockstep_applied records of the given revisions.
  std::vector<AppliedRecord> read_applied(const std::vector<std::string>& revisions);

  // CREATE ... IF NOT EXISTS for lockstep's tables. Call under the lock.
  void create_tables();

  // Session-level advisory lock on lock_key(names). Never blocks: waiting in
  // pg_advisory_lock would hold a snapshot that stalls the holder's CREATE
  // INDEX CONCURRENTLY.
  bool try_lock();
  void unlock();
  // Who holds the lock, for the log: "pid 123 (lockstep/web-0, 10.0.0.7) connected since ...".
  std::string lock_holder();

  // The lease (lock_mode: lease). take_lease() creates the table if needed.
  bool take_lease(const std::string& owner, std::chrono::milliseconds ttl);
  bool renew_lease(const std::string& owner, std::chrono::milliseconds ttl);
  void release_lease(const std::string& owner);
  std::string lease_holder();

  // Runs a revision. A transactional batch runs its statements and its
  // bookkeeping in one transaction; otherwise each statement commits on its
  // own and the bookkeeping follows. A failure rolls back what it can,
  // records a "failed" history row, marks a non-transactional revision
  // dirty, and throws Error(migration_failed) naming the revision, file:line
  // and the server's message with its SQLSTATE. lock_not_available is
  // retried per `limits`; a signal turns into Error(128+N).
  void run_step(const StepBatch& step, const RunLimits& limits);

  // Runs SQL in one transaction (stamp, repair).
  void run_transaction(const std::string& sql);
  // Runs CREATE ... IF NOT EXISTS SQL that other processes may be running at
  // the same moment; losing that race is not an error.
  void create_if_missing(const std::string& sql);

  // Runs SQL as one simple query outside a transaction block (a desired
  // schema file, CREATE/DROP DATABASE).
  void execute(const std::string& sql);

private:
  friend class CatalogReader;  // db/catalog_reader: reads the catalog on this connection
  struct Connection;  // wraps pqxx::connection, so pqxx stays inside db/ (session_connection.hpp)

  void connect_with_retries(std::chrono::milliseconds connect_timeout);
  [[noreturn]] void lost(const std::exception& e);
  void run_once(const StepBatch& step, const RunLimits& limits);

  ConnectionTarget m_target;
  TableNames m_names;
  std::unique_ptr<Connection> m_connection;
};

} // namespace lockstep::db

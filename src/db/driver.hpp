// The database driver: everything lockstep asks of a database, and the only
// way the migrator, the migration lock and `check` reach one. db::Session is
// the PostgreSQL driver (opened with connect_postgres());
// tests/unit/db/fake_driver.hpp is an in-memory one the unit tests drive the
// migrator and check's scratch databases with;
// tests/integration/driver_conformance_test.cpp runs the same cases against both.
//
// The orchestrator never sees SQL errors, connections or files: it hands a
// driver text and structured steps, and gets back state or a lockstep::Error.
//
// What a driver must do (an implementer's checklist):
//  1. read_state() is read-only and works on a database lockstep has never
//     touched (initialized = false, no rows). It takes no lock.
//  2. create_tables() creates lockstep's tables if missing; it is called under
//     the migration lock but may race other version tables' runs: losing
//     that race is not an error.
//  3. The lock: try_lock()/unlock() (a session-level lock that dies with the
//     connection) and take_lease()/renew_lease()/release_lease() (a row with
//     an expiry, for poolers). try_* never blocks; the caller polls.
//     lock_holder()/lease_holder() describe the holder for the log.
//     unlock() and release_lease() announce the release (NOTIFY on
//     lock_channel(names)) in the same transaction; a waiter that called
//     watch_releases() sleeps in wait_for_release() until one arrives, or
//     until its timeout (the polling fallback: a killed holder announces
//     nothing). pooling() says how the connection reaches the server, so
//     the lock can refuse advisory mode and stop relying on LISTEN behind
//     transaction pooling.
//  4. run_step() runs a revision: statements and bookkeeping in one
//     transaction when step.transactional, else statement by statement and
//     the bookkeeping after. On failure it rolls back what it can, records a
//     "failed" history row, marks a non-transactional revision dirty, and
//     throws Error(migration_failed) with FailureDetail{revision, SQLSTATE}.
//     It retries contention (deadlock, serialization, lock_not_available
//     under ddl_lock_timeout) only while the step can simply run again.
//  5. Every failure leaves as a lockstep::Error whose exit code follows
//     README.md's "Database errors" table (db/sqlstate.hpp): a lost
//     connection is unreachable (3), a missing privilege on lockstep's own
//     tables is usage (2) with a hint. No driver exception crosses this seam.
//  6. A signal (util/interrupt) cancels the running statement; the driver
//     then throws Error(128+N) after rolling back.
// What a driver must not do:
//  - decide what to run: plans, targets and checks belong to migrator/ and graph/;
//  - print or log passwords: messages carry the redacted target only;
//  - keep state between calls beyond its connection (the migrator re-reads).
#pragma once

#include "db/connection_url.hpp"
#include "db/state_sql.hpp"
#include "schema/model.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::db {

struct DirtyState {
  std::string revision;
  Direction direction = Direction::up;  // as stored (db::direction_named)
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
  // What the bookkeeping does to the version table, as data (a driver that
  // does not run SQL, such as the unit tests' fake, applies these instead).
  std::vector<std::string> rows_removed;
  std::vector<std::string> rows_added;
  // For the lockstep_history row written when the step fails.
  Direction direction = Direction::up;
  std::string checksum;
  std::string run_by;
};

// How a connection reaches PostgreSQL. Behind transaction (or statement)
// pooling each transaction may run on another server connection, so nothing
// session-level holds: advisory locks, LISTEN, SET.
enum class Pooling { none, session, transaction };

// How migration statements run (README.md, "Configuration": statement_timeout, ddl_lock_timeout).
struct RunLimits {
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::chrono::milliseconds> ddl_lock_timeout;  // PostgreSQL lock_timeout
  int lock_retries = 5;  // tries after contention: 55P03 (under ddl_lock_timeout), 40001, 40P01
};

class Driver {
public:
  virtual ~Driver() = default;

  virtual const TableNames& names() const = 0;
  virtual const std::string& display() const = 0;  // the redacted target, for messages

  // 1. State.
  virtual DatabaseState read_state() = 0;
  // Full lockstep_applied records of the given revisions.
  virtual std::vector<AppliedRecord> read_applied(const std::vector<std::string>& revisions) = 0;
  // 2. lockstep's tables.
  virtual void create_tables() = 0;

  // 3. The lock, in both modes.
  virtual bool try_lock() = 0;
  virtual void unlock() = 0;
  virtual std::string lock_holder() = 0;
  virtual bool take_lease(const std::string& owner, std::chrono::milliseconds ttl) = 0;
  virtual bool renew_lease(const std::string& owner, std::chrono::milliseconds ttl) = 0;
  virtual void release_lease(const std::string& owner) = 0;
  virtual std::string lease_holder() = 0;
  // Probed once per connection, then remembered: a direct connection costs
  // one query; behind a pooler a second connection proves transaction pooling.
  virtual Pooling pooling() = 0;
  // LISTEN for releases of this lock. Never called behind transaction pooling.
  virtual void watch_releases() = 0;
  virtual void stop_watching() = 0;
  // True when a release was announced within `timeout` (announcements that
  // arrived earlier count); false when the time passed.
  virtual bool wait_for_release(std::chrono::milliseconds timeout) = 0;
  // A second connection to the same database, for the lease's heartbeat.
  virtual std::unique_ptr<Driver> reconnect() = 0;

  // 4. Running.
  virtual void run_step(const StepBatch& step, const RunLimits& limits) = 0;
  // lockstep's own SQL in one transaction (stamp, repair).
  virtual void run_transaction(const std::string& sql) = 0;
  // SQL as one simple query outside a transaction block (a desired schema file).
  virtual void execute(const std::string& sql) = 0;

  // The schema model (`check` and autogenerate): every user object outside
  // lockstep's own tables; `ownership` adds owners and privileges.
  virtual schema::Model read_model(bool ownership) = 0;

  // Scratch databases on the same server (`check`, autogenerate): created
  // empty, dropped with whatever is connected to them (dropping one that is
  // gone is no error), reached through connect_to(): a new connection with
  // the same credentials to `database`, keeping `names` as its lockstep
  // tables. Connecting to a database that does not exist is
  // Error(unreachable) at once.
  virtual void create_database(const std::string& name) = 0;
  virtual void drop_database(const std::string& name) = 0;
  virtual std::unique_ptr<Driver> connect_to(const std::string& database, const TableNames& names) = 0;
};

// The PostgreSQL driver (db::Session) on `target`: connects now, retrying
// until `connect_timeout` has passed (then Error(unreachable)). What
// migrator/ calls instead of naming the implementation.
std::unique_ptr<Driver> connect_postgres(const ConnectionTarget& target, const TableNames& names,
                                         std::chrono::milliseconds connect_timeout);

} // namespace lockstep::db

// The database seam: the only code that talks to PostgreSQL (and the only
// folder that includes <pqxx/pqxx>).
//
// A Session is one connection. It knows lockstep's tables (TableNames) but
// nothing about graphs or targets: the migrator hands it text to run.
// Failures become lockstep::Error with DESIGN.md's exit codes; messages carry
// the redacted target only, never the password.
#pragma once

#include "db/connection_url.hpp"
#include "db/state_sql.hpp"
#include "script/statements.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace lockstep::db {

struct DatabaseState {
  bool initialized = false;             // the version table exists
  std::vector<std::string> rows;        // version table rows, sorted
  std::vector<AppliedRecord> applied;   // lockstep_applied, when asked for and present
};

// One revision's worth of work, ready to run.
struct StepBatch {
  std::string revision;
  std::string location;                      // "path" for messages, or "(stored in the database)"
  std::vector<script::Statement> statements;
  std::string bookkeeping;                   // version table, lockstep_applied, lockstep_history
  bool transactional = true;
  // For the lockstep_history row written when the step fails.
  std::string direction;
  std::string checksum;
  std::string run_by;
};

class Session {
public:
  // Connects, retrying with capped exponential backoff until
  // `connect_timeout` has passed (then Error(unreachable)). Wrong
  // credentials fail at once: retrying cannot fix them.
  Session(const ConnectionTarget& target, TableNames names, std::chrono::milliseconds connect_timeout);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const TableNames& names() const { return m_names; }

  // Read-only; works on a database lockstep has never touched.
  DatabaseState read_state(bool with_applied);

  // CREATE ... IF NOT EXISTS for the three tables. Call under the lock.
  void create_tables();

  // Session-level advisory lock on lock_key(names). Never blocks.
  bool try_lock();
  void unlock();
  // Who holds the lock, for the log: "pid 123 (lockstep/web-0, 10.0.0.7) since ...".
  std::string lock_holder();

  // Runs a revision: transactional batches run their statements and
  // bookkeeping in one transaction; others run each statement on its own,
  // then the bookkeeping. A failure rolls back what it can, records
  // `failure_record`, and throws Error(migration_failed) naming the
  // revision, file:line and the server's message.
  void run_step(const StepBatch& step);

  // Runs SQL in one transaction (stamp, repairs).
  void run_transaction(const std::string& sql);

private:
  void connect_with_retries(std::chrono::milliseconds connect_timeout);

  ConnectionTarget m_target;
  TableNames m_names;
  struct Connection;  // wraps pqxx::connection, so pqxx stays inside db/
  std::unique_ptr<Connection> m_connection;
};

} // namespace lockstep::db

// The PostgreSQL driver (db/driver.hpp): the only code that talks to
// PostgreSQL (and db/ the only folder that includes <pqxx/pqxx>). Its
// implementation is split by idea: session.cpp (connecting with retries,
// state, the error edge), session_lock.cpp (advisory lock and lease),
// session_pooling.cpp (how the connection reaches the server),
// session_step.cpp (running a step), the catalog reading (catalog_reader)
// and a fleet's read-only probes (server_probe).
//
// Private to src/db (Layers.cmake's PRIVATE_HEADERS): other folders open a
// Session as a db::Driver through connect_postgres() (db/driver.hpp), or ask
// their read-only questions through db::ServerProbe (db/server_probe.hpp).
//
// A Session is one connection. It knows lockstep's tables (TableNames) but
// nothing about graphs or targets: the migrator hands it text to run.
// Failures become lockstep::Error with README.md's exit codes; messages carry
// the redacted target only, never the password. A SIGTERM cancels the
// running statement (see util/interrupt.hpp).
#pragma once

#include "db/connection_url.hpp"
#include "db/driver.hpp"
#include "db/sqlstate.hpp"
#include "db/state_sql.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::util {
class Backoff;
}

namespace lockstep::db {

class Session final : public Driver {
public:
  // Connects, retrying with capped exponential backoff and jitter until
  // `connect_timeout` has passed (then Error(unreachable)). Wrong
  // credentials or a missing database fail at once: retrying cannot fix them.
  Session(const ConnectionTarget& target, TableNames names, std::chrono::milliseconds connect_timeout);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const TableNames& names() const override { return m_names; }
  const std::string& display() const override { return m_target.display; }

  // Read-only; works on a database lockstep has never touched.
  DatabaseState read_state() override;
  // Full lockstep_applied records of the given revisions.
  std::vector<AppliedRecord> read_applied(const std::vector<std::string>& revisions) override;

  // CREATE ... IF NOT EXISTS for lockstep's tables. Call under the lock.
  void create_tables() override;

  // Session-level advisory lock on lock_key(names). Never blocks: waiting in
  // pg_advisory_lock would hold a snapshot that stalls the holder's CREATE
  // INDEX CONCURRENTLY.
  bool try_lock() override;
  void unlock() override;
  // Who holds the lock, for the log: "pid 123 (lockstep/web-0, 10.0.0.7) connected since ...".
  std::string lock_holder() override;

  // The lease (lock_mode: lease). take_lease() creates the table if needed.
  bool take_lease(const std::string& owner, std::chrono::milliseconds ttl) override;
  bool renew_lease(const std::string& owner, std::chrono::milliseconds ttl) override;
  void release_lease(const std::string& owner) override;
  std::string lease_holder() override;
  std::unique_ptr<Driver> reconnect() override;

  // Direct, or behind a pooler in session or transaction pooling
  // (session_pooling.cpp). A direct connection costs one query: libpq's
  // backend pid (from the server's BackendKeyData, which a pooler makes up)
  // equals pg_backend_pid(). Behind a pooler, a second connection runs a
  // short transaction, then this one asks again: transaction pooling is
  // proven when the other connection got this one's server connection, or
  // this one's server pid changed; session pooling never does either. The
  // probe never holds a server connection while waiting for another.
  Pooling pooling() override;
  // LISTEN/UNLISTEN on lock_channel(); waits on the connection's socket.
  void watch_releases() override;
  void stop_watching() override;
  bool wait_for_release(std::chrono::milliseconds timeout) override;

  // Runs a revision. A transactional batch runs its statements and its
  // bookkeeping in one transaction; otherwise each statement commits on its
  // own and the bookkeeping follows. A failure rolls back what it can,
  // records a "failed" history row, marks a non-transactional revision
  // dirty, and throws Error(migration_failed) naming the revision, file:line
  // and the server's message with its SQLSTATE. lock_not_available is
  // retried per `limits`; a signal turns into Error(128+N).
  void run_step(const StepBatch& step, const RunLimits& limits) override;

  // Runs SQL in one transaction (stamp, repair).
  void run_transaction(const std::string& sql) override;
  // Runs CREATE ... IF NOT EXISTS SQL that other processes may be running at
  // the same moment; losing that race is not an error.
  void create_if_missing(const std::string& sql);

  // Runs SQL as one simple query outside a transaction block (a desired
  // schema file, CREATE/DROP DATABASE).
  void execute(const std::string& sql) override;

  // The user's schema as a model (db::CatalogReader, lockstep's own tables
  // left out): what `check` and autogenerate compare.
  schema::Model read_model(bool ownership) override;

  // Scratch databases (CREATE DATABASE / DROP DATABASE ... WITH (FORCE)).
  void create_database(const std::string& name) override;
  void drop_database(const std::string& name) override;
  std::unique_ptr<Driver> connect_to(const std::string& database, const TableNames& names) override;

private:
  friend class CatalogReader;  // db/catalog_reader: reads the catalog on this connection
  friend class ServerProbe;    // db/server_probe: a fleet's read-only questions on this connection
  struct Connection;  // wraps pqxx::connection, so pqxx stays inside db/ (session_connection.hpp)

  void connect_with_retries(std::chrono::milliseconds connect_timeout);
  [[noreturn]] void lost(const std::exception& e);
  // Call in a catch block: rethrows what is being handled as a classified
  // lockstep::Error (db/sqlstate.hpp); `doing` says what failed ("taking the lease").
  // A missing privilege gets a hint about lockstep's own tables unless
  // `own_tables` is false (a caller's query: the hint would mislead).
  [[noreturn]] void fail(const std::string& doing, bool own_tables = true);
  std::string configuration_hint(Fault fault, const std::string& message);
  // Sleeps and returns true when a contention failure (deadlock, serialization,
  // lock not available) may be tried again.
  bool retry_contention(const std::string& sqlstate, const std::string& what, int attempt, util::Backoff& backoff);
  void transaction(const std::string& sql);  // raw: driver exceptions pass through
  // transaction() with contention retried (and, when `racing_create`, a lost
  // race to CREATE ... IF NOT EXISTS); other failures go through fail(doing).
  void write_own_tables(const std::string& sql, const std::string& doing, bool racing_create);
  static constexpr int kContentionTries = 5;
  void run_once(const StepBatch& step, const RunLimits& limits);
  std::string notify_sql() const;  // pg_notify(<lock channel>, 'released')
  int server_pid();
  bool prove_transaction_pooling(int first_pid);

  ConnectionTarget m_target;
  TableNames m_names;
  std::chrono::milliseconds m_connect_timeout;
  std::unique_ptr<Connection> m_connection;
  std::optional<Pooling> m_pooling;  // once probed
};

} // namespace lockstep::db

// An in-memory db::Driver for unit tests of the migrator: the state a
// database would hold (version rows, checksums, the dirty flag, the lock and
// the lease), kept in a FakeDatabase that every FakeDriver connected to it
// shares, as connections share a server's database. It runs no SQL: a step's
// effect on the version table comes from StepBatch::rows_removed/rows_added,
// and the one statement it understands is the conformance suite's failing
// one (tests/conformance/driver_cases.hpp), which fails with 22012 as
// PostgreSQL does (in run_step and in execute). Scratch databases are more
// FakeDatabases, and read_model returns what a test put in `model`. tests/integration/driver_conformance_test.cpp holds the
// real driver to the same cases, so the fake cannot drift from it unseen.
#pragma once

#include "db/driver.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::test {

struct FakeDatabase {
  std::mutex mutex;
  db::DatabaseState state;
  int lock_holder = 0;  // the FakeDriver id holding the advisory lock; 0 = free
  std::string lease_owner;
  std::chrono::steady_clock::time_point lease_expires;
  // How every connection reaches the "server" (pooling()).
  db::Pooling pooling = db::Pooling::none;
  // Releases announced so far (unlock, release_lease), and the wake-up of
  // those waiting in wait_for_release().
  long long releases = 0;
  std::condition_variable released;
  // True: wait_for_release() ignores its timeout and returns only when a
  // release is announced, so a test does not race the waiter's fallback poll
  // (which a loaded machine can reach before the test's next step).
  bool waits_until_released = false;
  int next_connection = 1;
  // Every call a driver made, in order: "read_state", "try_lock", "run_step r1", ...
  std::vector<std::string> calls;
  // Runs (without the mutex held) before each try_lock: a test's "meanwhile".
  std::function<void(FakeDatabase&)> before_try_lock;
  // run_step of this revision throws Error(unreachable), as a lost connection does.
  std::string lose_connection_at;
  // The databases create_database made, reached with connect_to; those
  // drop_database dropped move to `dropped`, for a test to look into.
  std::map<std::string, std::shared_ptr<FakeDatabase>> others;
  std::map<std::string, std::shared_ptr<FakeDatabase>> dropped;
  // What read_model returns (a real driver reads it from the catalog).
  schema::Model model;
  // lockstep_applied's records, for read_applied (state.checksums lists them).
  std::vector<db::AppliedRecord> applied;

  void record(const std::string& call);
  std::vector<std::string> calls_so_far();
};

class FakeDriver final : public db::Driver {
public:
  explicit FakeDriver(std::shared_ptr<FakeDatabase> database, db::TableNames names = {});
  ~FakeDriver() override;  // like a closed connection: the advisory lock goes with it

  const db::TableNames& names() const override { return m_names; }
  const std::string& display() const override { return m_display; }

  db::DatabaseState read_state() override;
  std::vector<db::AppliedRecord> read_applied(const std::vector<std::string>& revisions) override;
  void create_tables() override;

  bool try_lock() override;
  void unlock() override;
  std::string lock_holder() override;
  bool take_lease(const std::string& owner, std::chrono::milliseconds ttl) override;
  bool renew_lease(const std::string& owner, std::chrono::milliseconds ttl) override;
  void release_lease(const std::string& owner) override;
  std::string lease_holder() override;
  std::unique_ptr<db::Driver> reconnect() override;
  db::Pooling pooling() override;
  void watch_releases() override;
  void stop_watching() override;
  bool wait_for_release(std::chrono::milliseconds timeout) override;

  void run_step(const db::StepBatch& step, const db::RunLimits& limits) override;
  void run_transaction(const std::string& sql) override;
  void execute(const std::string& sql) override;

  schema::Model read_model(bool ownership) override;

  void create_database(const std::string& name) override;
  void drop_database(const std::string& name) override;
  std::unique_ptr<db::Driver> connect_to(const std::string& database, const db::TableNames& names) override;

private:
  std::shared_ptr<FakeDatabase> m_db;
  db::TableNames m_names;
  int m_id;
  bool m_watching = false;
  long long m_heard = 0;  // FakeDatabase::releases when last heard
  std::string m_display;
};

} // namespace lockstep::test

// The migration lock: exactly one run migrates; the others wait, then find
// nothing to do.
//
//   advisory (default)  a session-level pg_try_advisory_lock, polled with
//                       backoff. It goes with the connection, so a killed
//                       pod never leaves it behind.
//   lease               a row in lockstep_lease with an owner and an expiry,
//                       renewed by a heartbeat on a second connection and
//                       taken over only once expired: for PgBouncer in
//                       transaction pooling, where session locks do not hold.
// Waiting logs who holds the lock; after `timeout` it is Error(lock_timeout).
// The destructor releases the lock on every path.
#pragma once

#include "config/config.hpp"
#include "db/driver.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace lockstep::migrator {

class MigrationLock {
public:
  // Blocks until the lock is held (or throws). The lease's heartbeat opens
  // its own connection with driver.reconnect().
  MigrationLock(db::Driver& driver, config::LockMode mode, std::chrono::milliseconds timeout,
                const std::string& run_by);
  ~MigrationLock();
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

  // False once a lease could not be renewed (another run may take it over).
  bool still_held() const { return !m_lost.load(); }

  static constexpr std::chrono::milliseconds kLeaseTtl{30'000};
  static constexpr std::chrono::milliseconds kHeartbeat{10'000};

private:
  bool try_take();
  std::string holder();
  void heartbeat();

  db::Driver& m_driver;
  config::LockMode m_mode;
  std::string m_owner;
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_lost{false};
  std::thread m_heartbeat;
};

} // namespace lockstep::migrator

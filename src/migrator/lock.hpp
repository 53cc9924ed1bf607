// The migration lock: exactly one run migrates; the others wait, then find
// nothing to do.
//
//   advisory (default)  a session-level pg_try_advisory_lock. It goes with
//                       the connection, so a killed pod never leaves it
//                       behind. Refused (exit 2, hint: lock_mode: lease)
//                       behind a pooler in transaction pooling, where a
//                       session lock does not stay with the connection.
//   lease               a row in lockstep_lease with an owner and an expiry,
//                       renewed by a heartbeat on a second connection and
//                       taken over only once expired: for PgBouncer in
//                       transaction pooling, where session locks do not hold.
//
// Waiting: the holder announces its release (NOTIFY, in both modes) and
// waiters LISTEN, sleeping on the connection's socket; the wait's timeout
// (backoff from 1 s to 5 s) is the fallback for a holder killed without a
// word. Behind transaction pooling LISTEN cannot work, so waiters poll every
// 50-250 ms instead. On every wake a waiter first asks `done_meanwhile`
// (read-only: "did another run finish my work?") and leaves without the lock
// when it did, so a herd does not queue for the lock only to find nothing.
// Waiting logs who holds the lock; after `timeout` it is Error(lock_timeout).
// The destructor releases the lock on every path.
#pragma once

#include "config/config.hpp"
#include "db/driver.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace lockstep::migrator {

class MigrationLock {
public:
  // Blocks until the lock is held, or until `done_meanwhile` (when given)
  // returns true after a wake (then held() is false), or throws. The lease's
  // heartbeat opens its own connection with driver.reconnect().
  MigrationLock(db::Driver& driver, config::LockMode mode, std::chrono::milliseconds timeout,
                const std::string& run_by, const std::function<bool()>& done_meanwhile = {});
  ~MigrationLock();
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

  // False when the constructor left because done_meanwhile() said so.
  bool held() const { return m_held; }
  // False once a lease could not be renewed (another run may take it over).
  bool still_held() const { return m_held && !m_lost.load(); }

  static constexpr std::chrono::milliseconds kLeaseTtl{30'000};
  static constexpr std::chrono::milliseconds kHeartbeat{10'000};

  // The waits between tries: with LISTEN (a fallback for a silent holder's
  // death) and without (polling behind transaction pooling).
  static constexpr std::chrono::milliseconds kListenFirst{1'000};
  static constexpr std::chrono::milliseconds kListenCap{5'000};
  static constexpr std::chrono::milliseconds kPollFirst{50};
  static constexpr std::chrono::milliseconds kPollCap{250};

private:
  bool try_take();
  bool wait_for_release(std::chrono::milliseconds total);
  std::string holder();
  void heartbeat();

  db::Driver& m_driver;
  config::LockMode m_mode;
  std::string m_owner;
  bool m_held = false;
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_lost{false};
  std::thread m_heartbeat;
};

} // namespace lockstep::migrator

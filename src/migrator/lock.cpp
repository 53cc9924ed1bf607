#include "migrator/lock.hpp"

#include "util/backoff.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"

#include <algorithm>

namespace lockstep::migrator {

namespace {

using Clock = std::chrono::steady_clock;

} // namespace

MigrationLock::MigrationLock(db::Driver& driver, config::LockMode mode, std::chrono::milliseconds timeout,
                             const std::string& run_by, const std::function<bool()>& done_meanwhile)
  : m_driver(driver), m_mode(mode), m_owner(run_by + "/" + util::random_hex(4))
{
  const auto start = Clock::now();
  const db::Pooling pooling = m_driver.pooling();
  if (pooling == db::Pooling::transaction && m_mode == config::LockMode::advisory) {
    throw Error(ExitCode::usage,
                "lock_mode advisory cannot work through " + m_driver.display() +
                  ": the connection goes through a pooler in transaction pooling (PgBouncer pool_mode = "
                  "transaction), where a session-level advisory lock does not stay with lockstep's connection. "
                  "Set lock_mode: lease (LOCKSTEP_LOCK_MODE=lease, --lock-mode lease), or connect directly or "
                  "through session pooling");
  }
  // LISTEN before the first try, so a release between a failed try and the
  // wait is still heard.
  const bool listening = pooling != db::Pooling::transaction;
  if (listening) {
    m_driver.watch_releases();
  }
  util::Backoff backoff(listening ? kListenFirst : kPollFirst, listening ? kListenCap : kPollCap);
  auto next_report = start;
  int wakes = 0;
  for (bool first = true;; first = false) {
    if (!first && done_meanwhile && done_meanwhile()) {
      log::event(log::Level::debug, "another run did the work while this one waited for the migration lock",
                 {log::num("wakes", wakes)});
      return;
    }
    if (try_take()) {
      break;
    }
    const auto waited = Clock::now() - start;
    if (waited >= timeout) {
      throw Error(ExitCode::lock_timeout, "the migration lock was not acquired within " +
                                            std::to_string(timeout.count() / 1000) + "s; it is held by " + holder());
    }
    if (Clock::now() >= next_report) {
      std::string who = holder();
      log::event(log::Level::info, "waiting for the migration lock, held by " + who, {log::str("holder", who)});
      next_report = Clock::now() + std::chrono::seconds(5);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(timeout - waited);
    const auto pause = std::min(backoff.next(), left);
    if (listening) {
      wait_for_release(pause);
    } else {
      interrupt::sleep_for(pause);
    }
    ++wakes;
    interrupt::check();
  }
  m_held = true;
  if (listening) {
    m_driver.stop_watching();
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  log::event(log::Level::debug, "migration lock acquired", {log::num("waited_ms", waited), log::num("wakes", wakes)});
  if (m_mode == config::LockMode::lease) {
    m_heartbeat = std::thread(&MigrationLock::heartbeat, this);
  }
}

MigrationLock::~MigrationLock()
{
  m_stop = true;
  if (m_heartbeat.joinable()) {
    m_heartbeat.join();
  }
  if (!m_held) {
    return;
  }
  try {
    if (m_mode == config::LockMode::lease) {
      m_driver.release_lease(m_owner);
    } else {
      m_driver.unlock();
    }
  } catch (const std::exception& e) {
    // An advisory lock goes with the connection, which closes on exit; a
    // lease expires after its TTL.
    log::event(log::Level::warn, std::string("could not release the migration lock: ") + e.what());
  }
}

// Sleeps on the connection in slices, so a signal is noticed within one.
bool MigrationLock::wait_for_release(std::chrono::milliseconds total)
{
  const auto deadline = Clock::now() + total;
  for (auto now = Clock::now(); now < deadline && interrupt::received() == 0; now = Clock::now()) {
    const auto slice = std::min<Clock::duration>(std::chrono::milliseconds(100), deadline - now);
    if (m_driver.wait_for_release(std::chrono::duration_cast<std::chrono::milliseconds>(slice) +
                                  std::chrono::milliseconds(1))) {
      return true;
    }
  }
  return false;
}

bool MigrationLock::try_take()
{
  return m_mode == config::LockMode::lease ? m_driver.take_lease(m_owner, kLeaseTtl) : m_driver.try_lock();
}

std::string MigrationLock::holder()
{
  return m_mode == config::LockMode::lease ? m_driver.lease_holder() : m_driver.lock_holder();
}

// Renews the lease on its own connection, so a long statement on the main
// connection does not let the lease expire.
void MigrationLock::heartbeat()
{
  try {
    std::unique_ptr<db::Driver> beat = m_driver.reconnect();
    auto next = Clock::now() + kHeartbeat;
    while (!m_stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (Clock::now() < next) {
        continue;
      }
      if (!beat->renew_lease(m_owner, kLeaseTtl)) {
        m_lost = true;
        log::event(log::Level::error, "lost the migration lease: another run took it over");
        return;
      }
      next = Clock::now() + kHeartbeat;
    }
  } catch (const std::exception& e) {
    m_lost = true;
    log::event(log::Level::error, std::string("the lease heartbeat failed: ") + e.what());
  }
}

} // namespace lockstep::migrator

#include "migrator/lock.hpp"

#include "util/backoff.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"
#include "util/random_hex.hpp"

namespace lockstep::migrator {

namespace {

using Clock = std::chrono::steady_clock;

} // namespace

MigrationLock::MigrationLock(db::Driver& driver, config::LockMode mode, std::chrono::milliseconds timeout,
                             const std::string& run_by)
  : m_driver(driver), m_mode(mode), m_owner(run_by + "/" + util::random_hex(4))
{
  const auto start = Clock::now();
  util::Backoff backoff(std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
  auto next_report = start;
  while (!try_take()) {
    if (Clock::now() - start >= timeout) {
      throw Error(ExitCode::lock_timeout, "the migration lock was not acquired within " +
                                            std::to_string(timeout.count() / 1000) + "s; it is held by " + holder());
    }
    if (Clock::now() >= next_report) {
      std::string who = holder();
      log::event(log::Level::info, "waiting for the migration lock, held by " + who, {log::str("holder", who)});
      next_report = Clock::now() + std::chrono::seconds(5);
    }
    interrupt::sleep_for(backoff.next());
    interrupt::check();
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  log::event(log::Level::debug, "migration lock acquired", {log::num("waited_ms", waited)});
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

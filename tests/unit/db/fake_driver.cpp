#include "db/fake_driver.hpp"

#include "conformance/driver_cases.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace lockstep::test {

using Lock = std::lock_guard<std::mutex>;
using Clock = std::chrono::steady_clock;

void FakeDatabase::record(const std::string& call)
{
  Lock lock(mutex);
  calls.push_back(call);
}

std::vector<std::string> FakeDatabase::calls_so_far()
{
  Lock lock(mutex);
  return calls;
}

FakeDriver::FakeDriver(std::shared_ptr<FakeDatabase> database, db::TableNames names)
  : m_db(std::move(database)), m_names(std::move(names))
{
  Lock lock(m_db->mutex);
  m_id = m_db->next_connection++;
  m_display = "fake://connection-" + std::to_string(m_id);
}

FakeDriver::~FakeDriver()
{
  Lock lock(m_db->mutex);
  if (m_db->lock_holder == m_id) {
    m_db->lock_holder = 0;
  }
}

db::DatabaseState FakeDriver::read_state()
{
  m_db->record("read_state");
  Lock lock(m_db->mutex);
  db::DatabaseState state = m_db->state;
  std::sort(state.rows.begin(), state.rows.end());
  return state;
}

std::vector<db::AppliedRecord> FakeDriver::read_applied(const std::vector<std::string>& revisions)
{
  m_db->record("read_applied");
  Lock lock(m_db->mutex);
  std::vector<db::AppliedRecord> out;
  for (const auto& record : m_db->applied) {
    if (std::find(revisions.begin(), revisions.end(), record.revision) != revisions.end()) {
      out.push_back(record);
    }
  }
  return out;
}

void FakeDriver::create_tables()
{
  m_db->record("create_tables");
  Lock lock(m_db->mutex);
  m_db->state.initialized = true;
}

bool FakeDriver::try_lock()
{
  m_db->record("try_lock");
  if (m_db->before_try_lock) {
    m_db->before_try_lock(*m_db);
  }
  Lock lock(m_db->mutex);
  if (m_db->lock_holder != 0 && m_db->lock_holder != m_id) {
    return false;
  }
  m_db->lock_holder = m_id;
  return true;
}

void FakeDriver::unlock()
{
  m_db->record("unlock");
  Lock lock(m_db->mutex);
  if (m_db->lock_holder == m_id) {
    m_db->lock_holder = 0;
  }
  ++m_db->releases;
  m_db->released.notify_all();
}

std::string FakeDriver::lock_holder()
{
  Lock lock(m_db->mutex);
  return m_db->lock_holder == 0 ? "nobody (it was just released)" : "fake connection " + std::to_string(m_db->lock_holder);
}

bool FakeDriver::take_lease(const std::string& owner, std::chrono::milliseconds ttl)
{
  m_db->record("take_lease");
  Lock lock(m_db->mutex);
  if (!m_db->lease_owner.empty() && m_db->lease_owner != owner && Clock::now() < m_db->lease_expires) {
    return false;
  }
  m_db->lease_owner = owner;
  m_db->lease_expires = Clock::now() + ttl;
  return true;
}

bool FakeDriver::renew_lease(const std::string& owner, std::chrono::milliseconds ttl)
{
  Lock lock(m_db->mutex);
  if (m_db->lease_owner != owner) {
    return false;
  }
  m_db->lease_expires = Clock::now() + ttl;
  return true;
}

void FakeDriver::release_lease(const std::string& owner)
{
  m_db->record("release_lease");
  Lock lock(m_db->mutex);
  if (m_db->lease_owner == owner) {
    m_db->lease_owner.clear();
  }
  ++m_db->releases;
  m_db->released.notify_all();
}

db::Pooling FakeDriver::pooling()
{
  Lock lock(m_db->mutex);
  return m_db->pooling;
}

void FakeDriver::watch_releases()
{
  m_db->record("watch_releases");
  Lock lock(m_db->mutex);
  m_watching = true;
  m_heard = m_db->releases;
}

void FakeDriver::stop_watching()
{
  m_watching = false;
}

bool FakeDriver::wait_for_release(std::chrono::milliseconds timeout)
{
  std::unique_lock<std::mutex> lock(m_db->mutex);
  if (!m_watching) {
    throw Error(ExitCode::internal, "wait_for_release() without watch_releases()");
  }
  const auto announced = [&] { return m_db->releases > m_heard; };
  bool heard = true;
  if (m_db->waits_until_released) {
    m_db->released.wait(lock, announced);
  } else {
    heard = m_db->released.wait_for(lock, timeout, announced);
  }
  m_heard = m_db->releases;
  if (heard) {
    m_db->calls.push_back("heard_release");
  }
  return heard;
}

std::string FakeDriver::lease_holder()
{
  Lock lock(m_db->mutex);
  return m_db->lease_owner.empty() ? "nobody (it was just released)" : m_db->lease_owner;
}

std::unique_ptr<db::Driver> FakeDriver::reconnect()
{
  return std::make_unique<FakeDriver>(m_db, m_names);
}

void FakeDriver::run_step(const db::StepBatch& step, const db::RunLimits&)
{
  m_db->record("run_step " + step.revision);
  if (step.revision == m_db->lose_connection_at) {
    throw Error(ExitCode::unreachable, "lost the connection to " + m_display + " while running revision " +
                                         step.revision);
  }
  Lock lock(m_db->mutex);
  for (const auto& statement : step.statements) {
    if (util::trim(statement.sql) != kFailingStatement) {
      continue;
    }
    const std::string where = step.location + ":" + std::to_string(statement.line);
    if (!step.transactional) {
      m_db->state.dirty =
        db::DirtyState{step.revision, step.direction, where, "division by zero", "now", step.run_by};
    }
    throw Error(ExitCode::migration_failed,
                "revision " + step.revision + " failed at " + where + ": division by zero (SQLSTATE 22012)",
                FailureDetail{step.revision, "22012"});
  }
  auto& rows = m_db->state.rows;
  for (const auto& row : step.rows_removed) {
    rows.erase(std::remove(rows.begin(), rows.end(), row), rows.end());
  }
  rows.insert(rows.end(), step.rows_added.begin(), step.rows_added.end());
  if (step.direction == db::Direction::up) {
    m_db->state.checksums[step.revision] = step.checksum;
  } else {
    m_db->state.checksums.erase(step.revision);
  }
  m_db->state.initialized = true;
}

void FakeDriver::run_transaction(const std::string&)
{
  m_db->record("run_transaction");
}

void FakeDriver::execute(const std::string& sql)
{
  m_db->record("execute " + sql);
  if (util::trim(sql) == kFailingStatement) {  // as db::Session classifies it outside a step
    throw Error(ExitCode::usage, "division by zero (SQLSTATE 22012)", FailureDetail{"", "22012"});
  }
}

schema::Model FakeDriver::read_model(bool)
{
  m_db->record("read_model");
  Lock lock(m_db->mutex);
  return m_db->model;
}

void FakeDriver::create_database(const std::string& name)
{
  m_db->record("create_database " + name);
  Lock lock(m_db->mutex);
  m_db->others[name] = std::make_shared<FakeDatabase>();
}

void FakeDriver::drop_database(const std::string& name)
{
  m_db->record("drop_database " + name);
  Lock lock(m_db->mutex);
  auto found = m_db->others.find(name);
  if (found != m_db->others.end()) {
    m_db->dropped[name] = found->second;
    m_db->others.erase(found);
  }
}

std::unique_ptr<db::Driver> FakeDriver::connect_to(const std::string& database, const db::TableNames& names)
{
  Lock lock(m_db->mutex);
  auto found = m_db->others.find(database);
  if (found == m_db->others.end()) {
    throw Error(ExitCode::unreachable, "cannot connect to fake database " + database + ": it does not exist");
  }
  return std::make_unique<FakeDriver>(found->second, names);
}

} // namespace lockstep::test

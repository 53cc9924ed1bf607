// The migrator's read -> lock -> re-read -> plan -> run logic and its failure
// paths, on the in-memory fake driver: no server. The conformance cases are
// shared with tests/integration/driver_conformance_test.cpp (the real driver);
// the cases below them need a "meanwhile" only a fake can stage.

#include "conformance/driver_cases.hpp"
#include "conformance/revisions.hpp"
#include "db/fake_driver.hpp"
#include "migrator/migrator.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <thread>

using lockstep::ExitCode;
using lockstep::test::FakeDatabase;
using lockstep::test::FakeDriver;
using lockstep::test::make_revision;

namespace {

class FakeFactory final : public lockstep::test::DriverFactory {
public:
  std::unique_ptr<lockstep::db::Driver> connect() override { return std::make_unique<FakeDriver>(database); }
  std::shared_ptr<FakeDatabase> database = std::make_shared<FakeDatabase>();
};

std::vector<lockstep::script::Revision> two()
{
  return {make_revision("a", "", "CREATE TABLE t_a (id int);", "DROP TABLE t_a;"),
          make_revision("b", "a", "CREATE TABLE t_b (id int);", "DROP TABLE t_b;")};
}

lockstep::config::Config config()
{
  lockstep::config::Config c;
  c.run_by = "unit";
  c.lock_timeout = std::chrono::seconds(30);
  return c;
}

} // namespace

TEST_CASE("the driver conformance cases pass on the fake driver", "[migrator][driver]")
{
  for (const auto& driver_case : lockstep::test::driver_cases()) {
    DYNAMIC_SECTION(driver_case.name)
    {
      FakeFactory factory;
      driver_case.run(factory);
    }
  }
}

TEST_CASE("an upgrade reads, locks, creates the tables, reads again, then runs each step, and unlocks",
          "[migrator][driver]")
{
  FakeFactory f;
  lockstep::migrator::Migrator m(config(), two(), f.connect());
  m.upgrade("heads");
  CHECK(f.database->calls_so_far() == std::vector<std::string>{"read_state", "watch_releases", "try_lock",
                                                               "create_tables", "read_state", "run_step a",
                                                               "run_step b", "unlock"});
}

TEST_CASE("another run migrates while this one waits for the lock: the re-read sees it and nothing runs twice",
          "[migrator][driver]")
{
  FakeFactory f;
  auto other = f.connect();
  REQUIRE(other->try_lock());
  int attempts = 0;
  f.database->before_try_lock = [&](FakeDatabase& db) {
    if (++attempts == 2) {  // the other run finishes and lets go
      std::lock_guard<std::mutex> lock(db.mutex);
      db.state.initialized = true;
      db.state.rows = {"b"};
      db.lock_holder = 0;
    }
  };
  lockstep::migrator::Migrator m(config(), two(), f.connect());
  lockstep::migrator::Outcome out = m.upgrade("heads");
  CHECK(out.nothing_to_do);
  CHECK(out.ran.empty());
  auto calls = f.database->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "run_step a") == 0);
  // The fast path, the read-only look after the (silent) wait, the re-read under the lock.
  CHECK(std::count(calls.begin(), calls.end(), "read_state") == 3);
}

namespace {

// Waits (no clock) until `call` has been recorded `times` times.
void wait_for_call(FakeDatabase& db, const std::string& call, long times = 1)
{
  for (;;) {
    auto calls = db.calls_so_far();
    if (std::count(calls.begin(), calls.end(), call) >= times) {
      return;
    }
    std::this_thread::yield();
  }
}

} // namespace

TEST_CASE("a waiter woken by the release looks without the lock and leaves when the holder did the work",
          "[migrator][driver][lock]")
{
  FakeFactory f;
  f.database->waits_until_released = true;  // no fallback poll between try #2 and the release
  auto holder = f.connect();
  REQUIRE(holder->try_lock());  // try_lock #1
  lockstep::migrator::Outcome out;
  std::thread waiter([&] {
    lockstep::migrator::Migrator m(config(), two(), f.connect());
    out = m.upgrade("heads");
  });
  wait_for_call(*f.database, "try_lock", 2);  // the waiter tried once and waits
  {
    std::lock_guard<std::mutex> lock(f.database->mutex);
    f.database->state.initialized = true;
    f.database->state.rows = {"b"};
  }
  holder->unlock();
  waiter.join();
  CHECK(out.nothing_to_do);
  auto calls = f.database->calls_so_far();
  CHECK(calls.back() == "read_state");  // it left right after looking: no try, no create, no unlock of its own
  CHECK(std::count(calls.begin(), calls.end(), "try_lock") == 2);
  CHECK(std::count(calls.begin(), calls.end(), "create_tables") == 0);
  CHECK(std::count(calls.begin(), calls.end(), "heard_release") >= 1);
}

TEST_CASE("advisory mode behind transaction pooling is refused with exit 2 and the lease hint, nothing tried",
          "[migrator][driver][lock]")
{
  FakeFactory f;
  f.database->pooling = lockstep::db::Pooling::transaction;
  lockstep::migrator::Migrator m(config(), two(), f.connect());
  try {
    m.upgrade("heads");
    FAIL("advisory mode should have been refused");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK(std::string(e.what()).find("lock_mode: lease") != std::string::npos);
    CHECK(std::string(e.what()).find("transaction pooling") != std::string::npos);
  }
  auto calls = f.database->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "try_lock") == 0);
  CHECK(std::count(calls.begin(), calls.end(), "run_step a") == 0);
}

TEST_CASE("behind session pooling advisory mode runs, and waiters listen", "[migrator][driver][lock]")
{
  FakeFactory f;
  f.database->pooling = lockstep::db::Pooling::session;
  lockstep::migrator::Migrator m(config(), two(), f.connect());
  CHECK(m.upgrade("heads").ran == std::vector<std::string>{"a", "b"});
  auto calls = f.database->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "watch_releases") == 1);
}

TEST_CASE("lease mode behind transaction pooling polls instead of listening, then finds the work done",
          "[migrator][driver][lock]")
{
  FakeFactory f;
  f.database->pooling = lockstep::db::Pooling::transaction;
  auto holder = f.connect();
  REQUIRE(holder->take_lease("other-run", std::chrono::seconds(30)));  // take_lease #1
  auto cfg = config();
  cfg.lock_mode = lockstep::config::LockMode::lease;
  lockstep::migrator::Outcome out;
  std::thread waiter([&] {
    lockstep::migrator::Migrator m(cfg, two(), f.connect());
    out = m.upgrade("heads");
  });
  wait_for_call(*f.database, "take_lease", 3);  // it polls: tried, slept, tried again
  {
    std::lock_guard<std::mutex> lock(f.database->mutex);
    f.database->state.initialized = true;
    f.database->state.rows = {"b"};
  }
  // The lease stays held until the waiter has left: it can only have left by
  // looking without the lock (released first, a poll could win the lease
  // before its look, then find the work done under the lock instead).
  waiter.join();
  holder->release_lease("other-run");
  CHECK(out.nothing_to_do);
  auto calls = f.database->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "watch_releases") == 0);
  CHECK(std::count(calls.begin(), calls.end(), "create_tables") == 0);
}

TEST_CASE("a connection lost during a step is exit 3; the steps before it count, the lock is let go",
          "[migrator][driver]")
{
  FakeFactory f;
  f.database->lose_connection_at = "b";
  lockstep::migrator::Migrator m(config(), two(), f.connect());
  try {
    m.upgrade("heads");
    FAIL("the upgrade should have failed");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == ExitCode::unreachable);
  }
  CHECK(m.progress().ran == std::vector<std::string>{"a"});
  CHECK(f.database->calls_so_far().back() == "unlock");
}

TEST_CASE("a version row neither the folder nor the database knows is refused (exit 6) without taking the lock",
          "[migrator][driver]")
{
  FakeFactory f;
  {
    std::lock_guard<std::mutex> lock(f.database->mutex);
    f.database->state.initialized = true;
    f.database->state.rows = {"b"};
    f.database->state.checksums = {{"a", "x"}, {"b", "y"}};
  }
  // The folder has only a, and the database remembers nothing of b
  // (read_applied returns no record): the migrator refuses to guess.
  lockstep::migrator::Migrator m(config(), {make_revision("a", "", "CREATE TABLE t_a (id int);", "DROP TABLE t_a;")}, f.connect());
  try {
    m.upgrade("heads");
    FAIL("the upgrade should have been refused");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == ExitCode::validation_failed);
  }
  auto calls = f.database->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "try_lock") == 0);
}

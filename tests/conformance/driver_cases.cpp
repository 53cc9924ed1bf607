#include "conformance/driver_cases.hpp"

#include "conformance/revisions.hpp"

#include "migrator/migrator.hpp"
#include "util/error.hpp"
#include "util/random_hex.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

namespace lockstep::test {

namespace {

using Rows = std::vector<std::string>;

// r1 -> r2 -> r3, each creating and dropping a table of its own.
std::vector<script::Revision> chain()
{
  return {make_revision("r1", "", "CREATE TABLE conformance_r1 (id int);", "DROP TABLE conformance_r1;"),
          make_revision("r2", "r1", "CREATE TABLE conformance_r2 (id int);", "DROP TABLE conformance_r2;"),
          make_revision("r3", "r2", "CREATE TABLE conformance_r3 (id int);", "DROP TABLE conformance_r3;")};
}

config::Config config_with(config::LockMode mode = config::LockMode::advisory,
                           std::chrono::milliseconds lock_timeout = std::chrono::seconds(30))
{
  config::Config config;
  config.migrations = "(conformance)";
  config.run_by = "conformance";
  config.lock_mode = mode;
  config.lock_timeout = lock_timeout;
  return config;
}

migrator::Outcome upgrade(DriverFactory& factory, std::vector<script::Revision> files, const std::string& target = "heads",
                          config::Config config = config_with())
{
  migrator::Migrator m(std::move(config), std::move(files), factory.connect());
  return m.upgrade(target);
}

Rows rows_of(DriverFactory& factory)
{
  return factory.connect()->read_state().rows;
}

// The lock is free: another connection can take it (and gives it back).
bool lock_is_free(DriverFactory& factory)
{
  auto other = factory.connect();
  if (!other->try_lock()) {
    return false;
  }
  other->unlock();
  return true;
}

ExitCode code_of(const std::function<void()>& run)
{
  try {
    run();
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::ok;
}

const std::vector<DriverCase> kCases = {
  {"a fresh database is upgraded step by step to its head, and the lock released",
   [](DriverFactory& f) {
     migrator::Outcome out = upgrade(f, chain());
     CHECK(out.ran == Rows{"r1", "r2", "r3"});
     CHECK(out.to == Rows{"r3"});
     db::DatabaseState state = f.connect()->read_state();
     CHECK(state.initialized);
     CHECK(state.rows == Rows{"r3"});
     CHECK(state.checksums.size() == 3);
     CHECK_FALSE(state.dirty);
     CHECK(lock_is_free(f));
   }},
  {"a database that was never touched reads as uninitialized and empty",
   [](DriverFactory& f) {
     db::DatabaseState state = f.connect()->read_state();
     CHECK_FALSE(state.initialized);
     CHECK(state.rows.empty());
     CHECK(state.checksums.empty());
   }},
  {"at its head, the read-only fast path does not wait for a lock another run holds",
   [](DriverFactory& f) {
     upgrade(f, chain());
     auto holder = f.connect();
     REQUIRE(holder->try_lock());
     migrator::Outcome out = upgrade(f, chain(), "heads", config_with(config::LockMode::advisory, std::chrono::milliseconds(100)));
     CHECK(out.nothing_to_do);
     CHECK(out.ran.empty());
     holder->unlock();
   }},
  {"a lock held by another run is waited for, then exit 4 with nothing run",
   [](DriverFactory& f) {
     auto holder = f.connect();
     REQUIRE(holder->try_lock());
     CHECK(code_of([&] {
             upgrade(f, chain(), "heads", config_with(config::LockMode::advisory, std::chrono::milliseconds(200)));
           }) == ExitCode::lock_timeout);
     CHECK(rows_of(f).empty());
     holder->unlock();
   }},
  {"a failing step: the steps before it stay applied, exit 5 naming revision and SQLSTATE, lock released",
   [](DriverFactory& f) {
     auto files = chain();
     files[1].upgrade_sql = std::string("CREATE TABLE conformance_r2 (id int);\n") + kFailingStatement + ";";
     migrator::Migrator m(config_with(), files, f.connect());
     try {
       m.upgrade("heads");
       FAIL("the upgrade should have failed");
     } catch (const Error& e) {
       CHECK(e.code() == ExitCode::migration_failed);
       CHECK(e.detail().revision == "r2");
       CHECK(e.detail().sqlstate == "22012");
       CHECK_THAT(e.what(), Catch::Matchers::ContainsSubstring("r2.sql:7"));
     }
     CHECK(m.progress().ran == Rows{"r1"});
     CHECK(rows_of(f) == Rows{"r1"});
     CHECK_FALSE(f.connect()->read_state().dirty);
     CHECK(lock_is_free(f));
   }},
  {"a failing non-transactional step leaves the database dirty, and the next run refuses it (exit 6)",
   [](DriverFactory& f) {
     auto files = chain();
     files[1] = make_revision("r2", "r1", std::string(kFailingStatement) + ";", "SELECT 1;", false);
     CHECK(code_of([&] { upgrade(f, files); }) == ExitCode::migration_failed);
     db::DatabaseState state = f.connect()->read_state();
     REQUIRE(state.dirty);
     CHECK(state.dirty->revision == "r2");
     CHECK(state.dirty->direction == db::Direction::up);
     CHECK(code_of([&] { upgrade(f, files); }) == ExitCode::validation_failed);
     CHECK(rows_of(f) == Rows{"r1"});
   }},
  {"a downgrade runs children first, down to base",
   [](DriverFactory& f) {
     upgrade(f, chain());
     migrator::Migrator m(config_with(), chain(), f.connect());
     migrator::Outcome out = m.downgrade("base");
     CHECK(out.ran == Rows{"r3", "r2", "r1"});
     CHECK(rows_of(f).empty());
     CHECK(lock_is_free(f));
   }},
  {"an upgrade to a relative target stops there; the next run continues from it",
   [](DriverFactory& f) {
     CHECK(upgrade(f, chain(), "+1").ran == Rows{"r1"});
     CHECK(rows_of(f) == Rows{"r1"});
     CHECK(upgrade(f, chain()).ran == Rows{"r2", "r3"});
   }},
  {"an applied revision edited afterwards is refused (exit 6) before anything runs",
   [](DriverFactory& f) {
     upgrade(f, chain(), "r1");
     auto files = chain();
     files[0].upgrade_sql = "CREATE TABLE conformance_r1 (id bigint);";
     CHECK(code_of([&] { upgrade(f, files); }) == ExitCode::validation_failed);
     CHECK(rows_of(f) == Rows{"r1"});
   }},
  {"a plan the checks refuse runs nothing, not even its valid first steps (exit 2)",
   [](DriverFactory& f) {
     auto files = chain();
     files[2].upgrade_sql = "CREATE INDEX CONCURRENTLY conformance_i ON conformance_r1 (id);";
     CHECK(code_of([&] { upgrade(f, files); }) == ExitCode::usage);
     CHECK(rows_of(f).empty());
     CHECK(lock_is_free(f));
   }},
  {"lease mode: the same upgrade under a lease, released afterwards",
   [](DriverFactory& f) {
     migrator::Outcome out = upgrade(f, chain(), "heads", config_with(config::LockMode::lease));
     CHECK(out.ran == Rows{"r1", "r2", "r3"});
     auto other = f.connect();
     CHECK(other->take_lease("someone-else", std::chrono::seconds(30)));
     other->release_lease("someone-else");
   }},
  {"lease mode: a lease another run holds is waited for, then exit 4",
   [](DriverFactory& f) {
     auto holder = f.connect();
     REQUIRE(holder->take_lease("other-run", std::chrono::seconds(30)));
     CHECK(code_of([&] {
             upgrade(f, chain(), "heads", config_with(config::LockMode::lease, std::chrono::milliseconds(200)));
           }) == ExitCode::lock_timeout);
     CHECK(rows_of(f).empty());
     holder->release_lease("other-run");
   }},
  {"a scratch database is created empty, reached with the tables given, migrated apart, and gone once dropped",
   [](DriverFactory& f) {
     auto server = f.connect();
     const std::string name = "lockstep_conformance_" + util::random_hex(6);
     server->create_database(name);
     db::TableNames names;
     names.version_table = "scratch_version";
     {
       auto scratch = server->connect_to(name, names);
       CHECK(scratch->names().version_table == "scratch_version");
       CHECK_FALSE(scratch->read_state().initialized);
       config::Config config = config_with();
       config.version_table = "scratch_version";
       migrator::Migrator(config, chain(), std::move(scratch)).upgrade("heads");
       CHECK(server->connect_to(name, names)->read_state().rows == Rows{"r3"});
       CHECK_FALSE(f.connect()->read_state().initialized);  // the server's own database is untouched
     }
     server->drop_database(name);
     CHECK(code_of([&] { server->connect_to(name, names); }) == ExitCode::unreachable);
     server->drop_database(name);  // gone already: not an error
   }},
  {"a direct connection reports no pooling",
   [](DriverFactory& f) { CHECK(f.connect()->pooling() == db::Pooling::none); }},
  {"a release of either lock is announced to a connection watching for it, and nothing else is",
   [](DriverFactory& f) {
     auto waiter = f.connect();
     auto holder = f.connect();
     waiter->watch_releases();
     REQUIRE(holder->try_lock());
     CHECK_FALSE(waiter->try_lock());
     CHECK_FALSE(waiter->wait_for_release(std::chrono::milliseconds(0)));
     holder->unlock();
     CHECK(waiter->wait_for_release(std::chrono::seconds(30)));
     REQUIRE(holder->take_lease("other-run", std::chrono::seconds(30)));
     CHECK_FALSE(waiter->wait_for_release(std::chrono::milliseconds(0)));
     holder->release_lease("other-run");
     CHECK(waiter->wait_for_release(std::chrono::seconds(30)));
     waiter->stop_watching();
     CHECK(lock_is_free(f));
   }},
};

} // namespace

const std::vector<DriverCase>& driver_cases()
{
  return kCases;
}

} // namespace lockstep::test

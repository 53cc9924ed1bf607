// Fleets at the scale of issue 15: 1,000 tenant schemas in one database of
// the suite's server, and 200 databases on a server of the test's own. Canary
// stop, failure budget (percent and count), kill -9 in the middle and the
// resume (every target ends at the goal exactly once: the version table, and
// a side effect counted in a table without a unique key), SIGTERM (in-flight
// targets rolled back, nothing half-applied, exit 143), a split into 4
// shards covering every target exactly once, and the password never printed.
//
// The 200 databases live on their own throwaway server (scripts/pg-server,
// the same PostgreSQL 15) with fsync off: on the project's VM the suite's
// server (fsync on) takes about a second per CREATE and per DROP DATABASE,
// which would make setup and cleanup alone several minutes.

#include "fleet_fixture.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <set>
#include <thread>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <filesystem>

using lockstep::test::Process;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::child_env;
using lockstep::test::run_command;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;
using namespace lockstep::test::fleet;

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> lockstep_argv(const std::vector<std::string>& args)
{
  std::vector<std::string> argv{LOCKSTEP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Waits until `ready` holds, failing if the process exits first.
template <typename Ready>
void wait_for(Process& p, Ready ready)
{
  const auto deadline = Clock::now() + std::chrono::seconds(300);
  while (!ready()) {
    REQUIRE(Clock::now() < deadline);
    REQUIRE(p.running());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The last line's totals: {"fleet":{"targets":...,"succeeded":S,"failed":F,"skipped":K},...}
struct Totals {
  int succeeded = -1, failed = -1, skipped = -1;
};

Totals totals_in(const std::string& out)
{
  Totals t;
  size_t at = out.rfind("{\"fleet\":{");
  if (at != std::string::npos) {
    int targets = 0;
    std::sscanf(out.c_str() + at, "{\"fleet\":{\"targets\":%d,\"succeeded\":%d,\"failed\":%d,\"skipped\":%d", &targets,
                &t.succeeded, &t.failed, &t.skipped);
  }
  return t;
}

// pg-server runs initdb as another user (runuser, in sbin).
constexpr const char* kSystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Where the private server's files go: memory (/dev/shm) when it has room
// for 200 databases (about 1.5 GB), else $TMPDIR. On disk, under load,
// removing them alone took the project's VM over a minute.
std::string server_home()
{
  struct statvfs shm {};
  const bool room = statvfs("/dev/shm", &shm) == 0 && shm.f_bavail * shm.f_frsize > (4ULL << 30);
  std::string pattern = room ? "/dev/shm/lockstep-fleet-XXXXXX"
                             : (std::filesystem::temp_directory_path() / "lockstep-fleet-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr || chmod(pattern.c_str(), 0755) != 0) {
    throw std::runtime_error("cannot make a folder for the test's server: " + pattern);
  }
  return pattern;
}

// A throwaway PostgreSQL 15 of this test's own, fsync off (see above).
class PrivateServer {
public:
  PrivateServer() : m_home(server_home())
  {
    RunResult started = run_command({LOCKSTEP_SOURCE_DIR "/scripts/pg-server", "start", m_home + "/pg"},
                                    {{"PATH", kSystemPath}});
    if (started.exit_code != 0) {
      throw std::runtime_error("pg-server start failed: " + started.err);
    }
    m_url = lockstep::test::read_text(m_home + "/pg/url");
    while (!m_url.empty() && m_url.back() == '\n') {
      m_url.pop_back();
    }
    m_password = lockstep::test::read_text(m_home + "/pg/password");
    m_password.erase(m_password.find_last_not_of('\n') + 1);
    exec("postgres", "ALTER SYSTEM SET fsync = off");
    exec("postgres", "SELECT pg_reload_conf()");
  }

  // An immediate shutdown (SIGQUIT to the postmaster this test started):
  // nothing here is worth the shutdown checkpoint of 200 databases.
  ~PrivateServer()
  {
    try {
      const pid_t postmaster = std::stoi(lockstep::test::read_text(m_home + "/pg/pid"));
      if (kill(postmaster, SIGQUIT) == 0) {
        for (int i = 0; i < 3000 && kill(postmaster, 0) == 0; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    } catch (const std::exception&) {
    }
    run_command({LOCKSTEP_SOURCE_DIR "/scripts/pg-server", "stop", m_home + "/pg", "--clean"},
                {{"PATH", kSystemPath}});
    std::error_code ec;
    std::filesystem::remove_all(m_home, ec);
  }

  std::string url(const std::string& db) const { return lockstep::test::url_with_database(m_url, db); }
  const std::string& password() const { return m_password; }

  void exec(const std::string& db, const std::string& sql) const
  {
    pqxx::connection c(url(db));
    pqxx::nontransaction(c).exec(sql);
  }
  std::string scalar(const std::string& db, const std::string& sql) const
  {
    pqxx::connection c(url(db));
    pqxx::result r = pqxx::nontransaction(c).exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }

private:
  std::string m_home;
  std::string m_url;
  std::string m_password;
};

// One target's version rows / what r1 and r2 logged (no unique key: a
// revision run twice logs twice) / items / applied history per revision;
// `prefix` is "$S." for tenant schemas, "" for databases.
std::string exactly_once_sql(const std::string& prefix)
{
  const std::string& p = prefix;
  return "SELECT (SELECT string_agg(version_num, ',') FROM " + p + "lockstep_version) || '/' || (SELECT "
         "string_agg(revision, ',' ORDER BY revision) FROM " + p + "applied_log) || '/' || (SELECT count(*) FROM " +
         p + "items) || '/' || (SELECT string_agg(revision || ':' || n, ',' ORDER BY revision) FROM (SELECT revision, "
         "count(*) n FROM " + p + "lockstep_history WHERE outcome = 'applied' GROUP BY 1) h)";
}
constexpr const char* kExactlyOnce = "r2/r1,r2/1/r1:1,r2:1";

std::string database(int i)
{
  char name[32];
  std::snprintf(name, sizeof name, "fleet_db_%04d", i);
  return name;
}

} // namespace

TEST_CASE("fleet at scale: 1,000 tenant schemas: named canary, budget in percent, kill -9, resumed in 4 shards",
          "[fleet][scale]")
{
  constexpr int kTenants = 1000;
  ScratchDatabase db;
  TempDir dir, work;
  write_migrations(dir);
  create_tenants(db, kTenants);
  // Every 25th tenant already has an `items` table: r1 fails there (exit 5).
  db.exec("DO $$ BEGIN FOR i IN 1..40 LOOP EXECUTE format('CREATE TABLE tenant_%s.items (x int)', "
          "lpad((i * 25)::text, 4, '0')); END LOOP; END $$;");
  const auto args = with(schema_args(db, dir), {"--parallel", "8", "--log-format", "json"});
  auto migrated = [&] {
    return std::stoi(db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE c.relname = 'applied_log' AND n.nspname LIKE 'tenant\\_%'"));
  };

  // A named canary stage, one of which fails: nothing else starts.
  RunResult canary = run_lockstep(with(args, {"--canary", "tenant_0010,tenant_0025", "upgrade", "r1"}));
  INFO(canary.err.substr(0, 4000));
  CHECK(canary.exit_code == 5);
  auto canaries = targets_in(canary.out);
  CHECK(std::set<std::string>(canaries.begin(), canaries.end()) == std::set<std::string>{"tenant_0010", "tenant_0025"});
  CHECK(totals_in(canary.out).skipped == kTenants - 2);
  CHECK(migrated() == 1);

  // A budget of 0.5% of 1,000 = 5 failed targets: then no new one starts.
  RunResult budget = run_lockstep(with(args, {"--max-failures", "0.5%", "upgrade", "r1"}));
  CHECK(budget.exit_code == 5);
  Totals spent = totals_in(budget.out);
  CHECK(spent.failed >= 5);
  CHECK(spent.failed <= 5 + 7);  // the ones already running when the fifth failed
  CHECK(spent.skipped > 700);
  CHECK_THAT(budget.err, ContainsSubstring("(max_failures 0.5% of 1000 = 5)"));
  CHECK(migrated() == spent.succeeded);  // tenant_0010 counts: up-to-date

  // kill -9 once another 100 targets have migrated, without a budget.
  {
    Process p(lockstep_argv(with(args, {"upgrade", "r1"})), child_env({}), work.path());
    wait_for(p, [&] { return count_result(p.out(), "upgraded") >= 100; });
    p.signal(SIGKILL);
    REQUIRE(p.wait() == 128 + SIGKILL);
  }
  const int before_resume = migrated();
  CHECK(before_resume > spent.succeeded);
  CHECK(before_resume < kTenants - 40);

  // The tables are fixed; the resume runs as an Indexed Job would: 4 shards.
  db.exec("DO $$ BEGIN FOR i IN 1..40 LOOP EXECUTE format('DROP TABLE tenant_%s.items', "
          "lpad((i * 25)::text, 4, '0')); END LOOP; END $$;");
  std::multiset<std::string> seen;
  for (int index = 0; index < 4; ++index) {
    RunResult shard = run_lockstep(with(args, {"--shard-count", "4", "--shard-index", std::to_string(index), "upgrade"}),
                                   {}, "", 600'000);
    INFO("shard " << index << ": " << shard.err.substr(0, 4000));
    REQUIRE(shard.exit_code == 0);
    auto mine = targets_in(shard.out);
    CHECK(mine.size() > 150);
    seen.insert(mine.begin(), mine.end());
  }
  CHECK(seen.size() == kTenants);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == kTenants);

  // Every tenant at r2, each revision's side effect exactly once.
  int wrong = 0;
  for (const auto& [schema, value] : per_schema(db, kTenants, exactly_once_sql("$S."))) {
    if (value != kExactlyOnce) {
      UNSCOPED_INFO(schema << ": " << value);
      ++wrong;
    }
  }
  CHECK(wrong == 0);
  CHECK(db.scalar("SELECT to_regclass('public.items') IS NULL") == "t");
}

TEST_CASE("fleet at scale: 200 databases: SIGTERM, budget by count, kill -9 in a shard, 4 shards exactly once",
          "[fleet][scale]")
{
  constexpr int kDatabases = 200;
  PrivateServer server;
  TempDir dir, slow_dir, work;
  write_migrations(dir);
  write_migrations(slow_dir, "SELECT pg_sleep(600);");
  server.exec("postgres", "CREATE DATABASE fleet_template");
  for (int i = 1; i <= kDatabases; ++i) {
    server.exec("postgres", "CREATE DATABASE " + database(i) + " TEMPLATE fleet_template STRATEGY FILE_COPY");
  }
  // Passwords stay in the environment: ${FLEET_PASSWORD} in every line.
  std::string file = "# 200 tenant databases\n";
  std::string url = server.url("DB");
  url.replace(url.find(server.password()), server.password().size(), "${FLEET_PASSWORD}");
  for (int i = 1; i <= kDatabases; ++i) {
    std::string line = url;
    line.replace(line.rfind("/DB"), 3, "/" + database(i));
    file += database(i) + " " + line + "\n";
  }
  const std::string fleet = work.write("fleet.txt", file);
  const std::map<std::string, std::string> env{{"FLEET_PASSWORD", server.password()}};
  const std::string message = work.path() + "/termination-log";
  auto args = [&](const TempDir& migrations) {
    return std::vector<std::string>{"--fleet-file", fleet, "--migrations", migrations.path(), "--parallel", "8",
                                    "--log-format", "json", "--termination-log", message};
  };
  auto per_database = [&](const std::string& sql) {
    std::map<std::string, std::string> out;
    for (int i = 1; i <= kDatabases; ++i) {
      out[database(i)] = server.scalar(database(i), sql);
    }
    return out;
  };
  std::string printed;  // everything lockstep printed, for the password check at the end

  // SIGTERM with eight targets in r1's pg_sleep: each rolls back, nothing else starts.
  {
    Process p(lockstep_argv(with(args(slow_dir), {"upgrade"})), child_env(env), work.path());
    wait_for(p, [&] {
      return server.scalar("postgres", "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                                       "'%pg_sleep(600)%' AND pid <> pg_backend_pid()") == "8";
    });
    p.signal(SIGTERM);
    REQUIRE(p.wait(120'000) == 128 + SIGTERM);
    Totals stopped = totals_in(p.out());
    CHECK(stopped.failed == 8);
    CHECK(stopped.skipped == kDatabases - 8);
    CHECK_THAT(lockstep::test::read_text(message), ContainsSubstring("\"exit_code\":143"));
    printed += p.out() + p.err() + lockstep::test::read_text(message);
  }
  // r1's tables and its version row commit together: none of them.
  for (const auto& [name, value] : per_database("SELECT to_regclass('applied_log') IS NULL AND to_regclass('items') "
                                                "IS NULL")) {
    INFO(name);
    CHECK(value == "t");  // rolled back, or never started
  }

  // Every 40th database already has `items`: with --max-failures 2, after
  // two failures no new target starts.
  for (int i = 40; i <= kDatabases; i += 40) {
    server.exec(database(i), "CREATE TABLE items (x int)");
  }
  RunResult budget = run_lockstep(with(args(dir), {"--max-failures", "2", "upgrade", "r1"}), env);
  printed += budget.out + budget.err + lockstep::test::read_text(message);
  CHECK(budget.exit_code == 5);
  Totals spent = totals_in(budget.out);
  CHECK(spent.failed >= 2);
  CHECK(spent.failed <= 2 + 7);
  CHECK(spent.skipped > 0);
  int migrated = 0;
  for (const auto& [name, value] : per_database("SELECT to_regclass('applied_log') IS NOT NULL")) {
    migrated += value == "t";
  }
  CHECK(migrated == spent.succeeded);
  for (int i = 40; i <= kDatabases; i += 40) {
    server.exec(database(i), "DROP TABLE items");
  }

  // Four shards; shard 1 is killed (-9) in the middle and run again.
  std::multiset<std::string> seen;
  for (int index : {0, 1, 2, 3}) {
    const auto shard = with(args(dir), {"--shard-count", "4", "--shard-index", std::to_string(index), "upgrade"});
    if (index == 1) {
      Process p(lockstep_argv(shard), child_env(env), work.path());
      wait_for(p, [&] { return count_result(p.out(), "upgraded") >= 10; });
      p.signal(SIGKILL);
      REQUIRE(p.wait() == 128 + SIGKILL);
      printed += p.out() + p.err();
    }
    RunResult r = run_lockstep(shard, env, "", 600'000);
    INFO("shard " << index << ": " << r.err.substr(0, 4000));
    REQUIRE(r.exit_code == 0);
    printed += r.out + r.err + lockstep::test::read_text(message);
    auto mine = targets_in(r.out);
    CHECK(mine.size() > 25);
    seen.insert(mine.begin(), mine.end());
  }
  CHECK(seen.size() == kDatabases);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == kDatabases);
  int wrong = 0;
  for (const auto& [name, value] : per_database(exactly_once_sql(""))) {
    if (value != kExactlyOnce) {
      UNSCOPED_INFO(name << ": " << value);
      ++wrong;
    }
  }
  CHECK(wrong == 0);
  CHECK_THAT(printed, ContainsSubstring("fleet_db_0200"));
  CHECK_THAT(printed, !ContainsSubstring(server.password()));
}

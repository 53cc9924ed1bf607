// A fleet's secrets and reports (README.md, "Fleets"): per-target passwords
// from a password folder, ${VAR} and libpq's passfile, with distinctive
// passwords that must appear in no output channel (stdout's table and JSON
// lines, stderr's log, the termination message, the Events and annotations
// the local API server received); one TargetFailed Event per failed target,
// bounded, plus a total. And connection-count-aware concurrency: a role's
// CONNECTION LIMIT caps how many targets run at once.

#include "fleet_fixture.hpp"
#include "support/fake_cluster.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"
#include "util/random_hex.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <memory>
#include <regex>
#include <sys/stat.h>
#include <thread>

using lockstep::test::Process;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::child_env;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;
using namespace lockstep::test::fleet;

namespace {

using Clock = std::chrono::steady_clock;

// "127.0.0.1:5432" of the suite's server.
std::string server_address()
{
  std::smatch m;
  const std::string url = lockstep::test::server_url();
  REQUIRE(std::regex_search(url, m, std::regex("@([^/]+)/")));
  return m[1];
}

// A login role of its own (cluster-wide, so dropped on destruction, after
// the databases that hold its objects: declare it first).
struct Role {
  std::string name = "fleet_" + lockstep::util::random_hex(6);
  std::string password;

  Role(const std::string& password_, int connection_limit = -1) : password(password_)
  {
    admin("CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "' CONNECTION LIMIT " +
          std::to_string(connection_limit));
  }
  ~Role()
  {
    try {
      admin("DROP ROLE IF EXISTS " + name);
    } catch (const std::exception&) {
    }
  }
  static void admin(const std::string& sql)
  {
    pqxx::connection c(lockstep::test::server_url());
    pqxx::nontransaction(c).exec(sql);
  }
  // postgresql://<role>@host:port/<db>, no password.
  std::string url(const std::string& db, const std::string& password_part = "") const
  {
    return "postgresql://" + name + password_part + "@" + server_address() + "/" + db;
  }
};

// A pod in namespace "tenants" whose service account trusts the local API server.
struct Cluster : lockstep::test::FakeCluster {
  Cluster() : FakeCluster("token-fleet", "fleet-migrate-0-abcde", "tenants") {}
  std::map<std::string, std::string> env(const std::string& termination_log) const
  {
    return pod_env({"best-effort", "20s", termination_log});
  }
  std::vector<std::string> event_notes(const std::string& reason) const { return event_bodies(reason); }
};

} // namespace

TEST_CASE("fleet: per-target passwords from a folder, ${VAR} and passfile; no password in any output", "[fleet]")
{
  const std::string good = "Fleet-Good-" + lockstep::util::random_hex(8);
  const std::string wrong = "Fleet-Wrong-" + lockstep::util::random_hex(8);
  Role role(good);
  ScratchDatabase acme, globex, initech, umbrella;
  for (const ScratchDatabase* db : {&acme, &globex, &initech, &umbrella}) {
    Role::admin("ALTER DATABASE " + db->name() + " OWNER TO " + role.name);
  }
  TempDir dir, work, passwords;
  write_migrations(dir);
  passwords.write("acme", good + "\n");
  passwords.write("umbrella", wrong + "\n");  // a wrong password: that target fails, exit 3
  const std::string pgpass = work.write("pgpass", server_address().substr(0, server_address().find(':')) + ":" +
                                                    server_address().substr(server_address().find(':') + 1) + ":" +
                                                    initech.name() + ":" + role.name + ":" + good + "\n");
  REQUIRE(chmod(pgpass.c_str(), 0600) == 0);  // libpq ignores a passfile others can read
  const std::string fleet = work.write(
    "fleet.txt", "acme " + role.url(acme.name()) + "\n" + "globex " + role.url(globex.name(), ":${GLOBEX_PASSWORD}") +
                   "\n" + "initech " + role.url(initech.name()) + "?passfile=" + pgpass + "\n" + "umbrella " +
                   role.url(umbrella.name()) + "\n");
  Cluster cluster;
  const std::string message = work.path() + "/termination-log";
  auto env = cluster.env(message);
  env["GLOBEX_PASSWORD"] = good;
  const std::vector<std::string> args{"--fleet-file", fleet, "--fleet-password-dir", passwords.path(), "--migrations",
                                      dir.path(), "--parallel", "2"};

  RunResult json = run_lockstep(with(args, {"--log-format", "json", "upgrade"}), env);
  INFO(json.out + json.err);
  CHECK(json.exit_code == 3);  // umbrella: password authentication failed
  CHECK(count_result(json.out, "upgraded") == 3);
  CHECK_THAT(json.out, ContainsSubstring("{\"target\":\"umbrella\""));
  CHECK_THAT(json.out, ContainsSubstring("\"result\":\"failed\",\"exit_code\":3"));
  for (const ScratchDatabase* db : {&acme, &globex, &initech}) {
    CHECK(db->scalar("SELECT version_num FROM lockstep_version") == "r2");
  }
  CHECK(umbrella.scalar("SELECT to_regclass('lockstep_version') IS NULL") == "t");
  const std::string termination = lockstep::test::read_text(message);
  CHECK_THAT(termination, ContainsSubstring("\"fleet\":{\"targets\":4,\"succeeded\":3,\"failed\":1,\"skipped\":0"));
  CHECK_THAT(termination, ContainsSubstring("umbrella: exit 3"));
  REQUIRE(cluster.event_notes("TargetFailed").size() == 1);
  CHECK_THAT(cluster.event_notes("TargetFailed")[0], ContainsSubstring("umbrella: exit 3"));
  REQUIRE(cluster.event_notes("MigrationFailed").size() == 1);
  CHECK_THAT(cluster.event_notes("MigrationFailed")[0],
             ContainsSubstring("upgrade heads across 4 target(s): 3 succeeded, 1 failed, 0 skipped (exit 3)"));

  RunResult table = run_lockstep(with(args, {"upgrade"}), env);
  CHECK(table.exit_code == 3);
  CHECK_THAT(table.out, ContainsSubstring("4 target(s): 3 succeeded, 1 failed, 0 skipped"));

  // Every channel, both passwords, and the server's own.
  const std::string channels = json.out + json.err + termination + table.out + table.err +
                               lockstep::test::read_text(message) + cluster.everything_received();
  for (const std::string& secret : {good, wrong, lockstep::test::server_password()}) {
    CHECK_THAT(channels, !ContainsSubstring(secret));
  }

  // An empty password file is exit 2 naming it, before anything connects.
  passwords.write("acme", "\n");
  RunResult empty = run_lockstep(with(args, {"upgrade"}), env);
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, ContainsSubstring("the password file '" + passwords.path() + "/acme' of target acme"));
}

TEST_CASE("fleet: failed targets get one Event each, bounded, and a total; the message stays within 4 KiB", "[fleet]")
{
  constexpr int kTenants = 30;
  ScratchDatabase db;
  TempDir dir, work;
  write_migrations(dir);
  create_tenants(db, kTenants);
  db.exec("DO $$ BEGIN FOR i IN 1.." + std::to_string(kTenants) +
          " LOOP EXECUTE format('CREATE TABLE tenant_%s.items (x int)', lpad(i::text, 4, '0')); END LOOP; END $$;");
  Cluster cluster;
  const std::string message = work.path() + "/termination-log";
  RunResult r = run_lockstep(with(schema_args(db, dir), {"--parallel", "4", "upgrade"}), cluster.env(message));
  INFO(r.err);
  CHECK(r.exit_code == 5);
  CHECK(cluster.event_notes("TargetFailed").size() == 20);  // report::kMaxTargetEvents
  REQUIRE(cluster.event_notes("MigrationFailed").size() == 1);
  CHECK_THAT(cluster.event_notes("MigrationFailed")[0], ContainsSubstring("0 succeeded, 30 failed"));
  CHECK_THAT(cluster.event_notes("MigrationFailed")[0], ContainsSubstring("the first 20 failures have a TargetFailed"));
  const std::string line = lockstep::test::read_text(message);
  CHECK(line.size() <= 4096);
  CHECK_THAT(line, ContainsSubstring("\"failed\":30"));
  CHECK_THAT(line, ContainsSubstring("\"failures_count\":30"));
}

TEST_CASE("fleet: a role's CONNECTION LIMIT caps the targets at once, whatever --parallel says", "[fleet]")
{
  constexpr int kTenants = 16;
  Role role("Fleet-Limit-" + lockstep::util::random_hex(8), 5);
  ScratchDatabase db;
  TempDir dir, work;
  // Each migration records how many connections its role has open while
  // the others run.
  write_migrations(dir, "SELECT pg_sleep(0.5);\nINSERT INTO public.observed SELECT count(*) FROM pg_stat_activity "
                        "WHERE usename = current_user AND backend_type = 'client backend';\nSELECT pg_sleep(0.2);");
  create_tenants(db, kTenants);
  db.exec("CREATE TABLE public.observed (connections int); GRANT INSERT ON public.observed TO " + role.name + ";" +
          "GRANT CREATE ON DATABASE " + db.name() + " TO " + role.name + ";" +
          "DO $$ BEGIN FOR i IN 1.." + std::to_string(kTenants) + " LOOP EXECUTE format('ALTER SCHEMA tenant_%s OWNER "
          "TO " + role.name + "', lpad(i::text, 4, '0')); END LOOP; END $$;");

  // Two of its five connections are taken when lockstep looks: it may use
  // three. They close once it has looked, so from then on the server would
  // allow five: only lockstep keeps it at three.
  auto held = std::make_unique<std::vector<std::unique_ptr<pqxx::connection>>>();
  for (int i = 0; i < 2; ++i) {
    held->push_back(std::make_unique<pqxx::connection>(role.url(db.name(), ":" + role.password)));
  }
  const std::vector<std::string> argv{LOCKSTEP_BINARY, "--database-url", role.url(db.name(), ":" + role.password),
                                      "--migrations", dir.path(), "--fleet-schemas", "tenant\\_%", "--parallel", "8",
                                      "upgrade", "r1"};
  Process p(argv, child_env({}), work.path());
  // "... with 2 open: at most 3 of its targets at once" (2 when the session
  // that listed the schemas had not quite gone yet).
  const std::regex capped("with \\d+ open: at most (\\d+) of its targets at once");
  std::smatch m;
  auto deadline = Clock::now() + std::chrono::seconds(120);
  for (std::string err = p.err(); !std::regex_search(err, m, capped); err = p.err()) {
    REQUIRE(Clock::now() < deadline);
    REQUIRE(p.running());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int cap = std::stoi(m[1]);
  CHECK(cap >= 2);
  CHECK(cap <= 3);
  held.reset();
  const int code = p.wait();
  INFO(p.err());
  REQUIRE(code == 0);
  CHECK_THAT(p.err(), ContainsSubstring("parallel 8 lowered to " + std::to_string(cap)));
  CHECK_THAT(p.err(), !ContainsSubstring(role.password));
  CHECK(db.scalar("SELECT count(*) FROM public.observed") == std::to_string(kTenants));
  const int most = std::stoi(db.scalar("SELECT max(connections) FROM public.observed"));
  CHECK(most <= cap);
  CHECK(most >= 2);  // and they did run side by side
}

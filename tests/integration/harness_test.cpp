// The harness itself (tests/support/test_env): the fixture's server really
// checks passwords, scratch databases really come and go, and child processes
// get exactly the output, exit code and environment the tests rely on.

#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <pqxx/pqxx>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_command;
using lockstep::test::run_lockstep;
using lockstep::test::server_password;
using lockstep::test::server_url;
using Catch::Matchers::ContainsSubstring;

namespace fs = std::filesystem;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to)
{
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

bool database_exists(const std::string& name)
{
  pqxx::connection admin(server_url());
  pqxx::nontransaction tx(admin);
  return tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).size() == 1;
}

std::set<std::string> lines_of(const std::string& text)
{
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.insert(line);
  }
  return lines;
}

} // namespace

TEST_CASE("the test server takes the password from its URL, on 127.0.0.1 only, with fsync on", "[harness]")
{
  const std::string url = server_url();
  const std::string password = server_password();
  REQUIRE(password.size() >= 16);
  CHECK_THAT(url, ContainsSubstring(":" + password + "@127.0.0.1:"));

  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  auto row = tx.exec1("SELECT current_user, host(inet_server_addr()), current_setting('fsync'), "
                      "current_setting('listen_addresses')");
  CHECK(row[0].as<std::string>() == "lockstep");
  CHECK(row[1].as<std::string>() == "127.0.0.1");
  CHECK(row[2].as<std::string>() == "on");
  CHECK(row[3].as<std::string>() == "127.0.0.1");
  // Every non-socket rule asks for the password; the stored one is a SCRAM verifier.
  CHECK(tx.exec1("SELECT count(*) FROM pg_hba_file_rules WHERE type <> 'local' AND auth_method <> 'scram-sha-256'")[0]
          .as<int>() == 0);
  CHECK(tx.exec1("SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host'")[0].as<int>() >= 1);
  CHECK(tx.exec1("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'lockstep'")[0].as<bool>());
}

TEST_CASE("the test server refuses a wrong or a missing password", "[harness]")
{
  // No fallback to a password from the test's own environment or ~/.pgpass.
  unsetenv("PGPASSWORD");
  setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
  const std::string url = server_url();
  const std::string password = server_password();

  const std::string wrong = replaced(url, ":" + password + "@", ":not-" + password + "@");
  CHECK_THROWS_WITH(pqxx::connection(wrong), ContainsSubstring("password authentication failed"));

  const std::string missing = replaced(url, ":" + password + "@", "@");
  CHECK_THROWS_WITH(pqxx::connection(missing), ContainsSubstring("no password supplied"));
}

TEST_CASE("a scratch database is fresh, answers queries, and is really dropped with sessions still open",
          "[harness]")
{
  std::string name;
  std::unique_ptr<pqxx::connection> left_open;
  {
    ScratchDatabase db;
    name = db.name();
    CHECK(std::regex_match(name, std::regex("lockstep_test_[0-9a-f]{12}")));
    REQUIRE(database_exists(name));
    CHECK(db.scalar("SELECT current_database()") == name);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == "0");

    db.exec("CREATE TABLE t (a int, b text); INSERT INTO t VALUES (2, 'x'), (1, NULL)");
    CHECK(db.query("SELECT a, b FROM t ORDER BY a") ==
          std::vector<std::vector<std::string>>{{"1", ScratchDatabase::null_marker}, {"2", "x"}});
    CHECK(std::string(ScratchDatabase::null_marker) == "<NULL>");
    CHECK(db.scalar("SELECT count(*) FROM t") == "2");
    CHECK(db.scalar("SELECT a FROM t WHERE false") == "");
    CHECK_THROWS(db.exec("SELECT * FROM no_such_table"));

    ScratchDatabase other;
    CHECK(other.name() != db.name());
    CHECK(other.scalar("SELECT to_regclass('t') IS NULL") == "t");

    left_open = std::make_unique<pqxx::connection>(db.url());
  }
  CHECK_FALSE(database_exists(name));
  // WITH (FORCE) terminated the session that was still open.
  CHECK_THROWS(pqxx::nontransaction(*left_open).exec("SELECT 1"));
}

TEST_CASE("run_command keeps stdout and stderr apart, even a megabyte of each, and decodes exits", "[harness]")
{
  RunResult big = run_command(
    {"/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' o; head -c 1000000 /dev/zero | tr '\\0' e >&2; exit 3"});
  CHECK(big.exit_code == 3);
  CHECK(big.out == std::string(1'000'000, 'o'));
  CHECK(big.err == std::string(1'000'000, 'e'));

  CHECK(run_command({"/bin/sh", "-c", "kill -TERM $$"}).exit_code == 128 + SIGTERM);
  CHECK(run_command({"/bin/sh", "-c", "read line; echo \"[$line]\""}).out == "[]\n");  // stdin is /dev/null

  RunResult missing = run_command({"/nonexistent/program"});
  CHECK(missing.exit_code == 127);
  CHECK_THAT(missing.err, ContainsSubstring("execve failed"));

  TempDir dir;
  CHECK(run_command({"/bin/pwd"}, {}, dir.path()).out == fs::canonical(dir.path()).string() + "\n");
}

TEST_CASE("a child gets PATH, HOME and the given variables, nothing of the test's own environment", "[harness]")
{
  setenv("DATABASE_URL", "postgresql://leaked:leaked@127.0.0.1:1/leaked", 1);
  setenv("LOCKSTEP_DATABASE_URL", "postgresql://leaked:leaked@127.0.0.1:1/leaked", 1);
  setenv("PGPASSWORD", "leaked", 1);

  RunResult env = run_command({"/usr/bin/env"}, {{"EXTRA", "1"}, {"HOME", "/home/given"}});
  REQUIRE(env.exit_code == 0);
  CHECK(lines_of(env.out) ==
        std::set<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/given", "EXTRA=1"});
}

TEST_CASE("lockstep migrates only the database it is given, never the test process's DATABASE_URL", "[harness]")
{
  ScratchDatabase db;
  TempDir dir;
  lockstep::test::write_revision_file(dir.path(), "a1", {}, "CREATE TABLE t_a1 (id int);", "DROP TABLE t_a1;");
  setenv("DATABASE_URL", db.url().c_str(), 1);  // would work, if it leaked

  RunResult without = run_lockstep({"--migrations", dir.path(), "upgrade"});
  CHECK(without.exit_code == 2);
  CHECK(db.scalar("SELECT to_regclass('t_a1') IS NULL") == "t");

  RunResult with = run_lockstep({"--migrations", dir.path(), "upgrade"}, {{"DATABASE_URL", db.url()}});
  INFO(with.err);
  CHECK(with.exit_code == 0);
  CHECK(db.scalar("SELECT to_regclass('t_a1') IS NULL") == "f");
}

TEST_CASE("a run that outlives its timeout is killed, reaped and reported", "[harness]")
{
  TempDir dir;
  const std::string pid_file = dir.path() + "/pid";
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(run_command({"/bin/sh", "-c", "echo $$ > " + pid_file + "; echo partial; exec sleep 60"}, {}, "",
                                std::chrono::milliseconds(500)),
                    ContainsSubstring("did not finish within 500 ms") && ContainsSubstring("partial"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  const pid_t pid = std::stoi(lockstep::test::read_text(pid_file));
  errno = 0;
  CHECK(kill(pid, 0) == -1);
  CHECK(errno == ESRCH);  // not even a zombie: it was reaped
}

TEST_CASE("lockstep version exits 0 with the version; an unknown command is a usage error", "[harness]")
{
  RunResult version = run_lockstep({"version"});
  INFO(version.err);
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, ContainsSubstring(LOCKSTEP_VERSION));

  RunResult unknown = run_lockstep({"no-such-command"});
  CHECK(unknown.exit_code == 2);
  CHECK_FALSE(unknown.err.empty());
}

TEST_CASE("revision files the harness writes migrate up and down", "[harness]")
{
  ScratchDatabase db;
  TempDir dir;
  using lockstep::test::write_revision_file;
  write_revision_file(dir.path(), "a1", {}, "CREATE TABLE t_a1 (id int);", "DROP TABLE t_a1;");
  write_revision_file(dir.path(), "b1", {"a1"}, "CREATE TABLE t_b1 (id int);", "DROP TABLE t_b1;");
  write_revision_file(dir.path(), "c1", {"a1"}, "CREATE TABLE t_c1 (id int);", "DROP TABLE t_c1;",
                      {"Branch Labels: side", "-- Depends On: b1"});
  CHECK_THAT(lockstep::test::read_text(dir.path() + "/c1.sql"),
             ContainsSubstring("-- Revises: a1\n") && ContainsSubstring("-- Branch Labels: side\n") &&
               ContainsSubstring("-- Depends On: b1\n"));
  const std::string merge = write_revision_file(dir.path(), "m1", {"b1", "c1"}, "SELECT 1;", "SELECT 1;");
  CHECK_THAT(lockstep::test::read_text(merge), ContainsSubstring("-- Revises: b1, c1\n"));

  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--database-url", db.url(), "--migrations", dir.path()};
    full.insert(full.end(), args.begin(), args.end());
    return run_lockstep(full);
  };
  RunResult up = run({"upgrade", "heads"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'") == "3");
  CHECK_THAT(run({"current"}).out, ContainsSubstring("m1"));

  RunResult down = run({"downgrade", "base"});
  INFO(down.err);
  REQUIRE(down.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'") == "0");
}

TEST_CASE("copy_migrations copies what the loader reads: *.sql, symlinks followed, no dot-names or folders",
          "[harness]")
{
  TempDir copy;
  const std::string source = lockstep::test::source_migrations_dir();
  int expected = 0;
  for (const auto& entry : fs::directory_iterator(source)) {
    expected += entry.is_regular_file() && entry.path().extension() == ".sql" ? 1 : 0;
  }
  REQUIRE(expected > 0);
  CHECK(lockstep::test::copy_migrations(source, copy.path() + "/m") == expected);
  CHECK_FALSE(fs::exists(copy.path() + "/m/schema"));
  RunResult original = run_lockstep({"--migrations", source, "heads"});
  RunResult copied = run_lockstep({"--migrations", copy.path() + "/m", "heads"});
  CHECK(original.exit_code == 0);
  CHECK(copied.exit_code == 0);
  CHECK(copied.out == original.out);

  // The ConfigMap layout: entries are symlinks into ..data.
  TempDir configmap;
  configmap.write("..data/x.sql", lockstep::test::revision_file_text("x", {}, "SELECT 1;", "SELECT 1;"));
  fs::create_symlink("..data/x.sql", configmap.path() + "/x.sql");
  configmap.write(".hidden.sql", "not a revision");
  configmap.write("notes.txt", "not a revision");
  TempDir flat;
  CHECK(lockstep::test::copy_migrations(configmap.path(), flat.path()) == 1);
  CHECK(fs::is_regular_file(fs::symlink_status(flat.path() + "/x.sql")));
  CHECK_FALSE(fs::exists(flat.path() + "/.hidden.sql"));
}

// The core engine end to end: the real binary against a real PostgreSQL.
// Each test gets its own scratch database and migrations folder.

#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

std::string revision_text(const std::string& id, const std::string& parents, const std::string& up,
                          const std::string& down, const std::string& extra_headers = "")
{
  return "-- Revision ID: " + id + "\n-- Revises: " + parents + "\n-- Message: revision " + id + "\n" +
         extra_headers + "\n-- +upgrade\n" + up + "\n\n-- +downgrade\n" + down + "\n";
}

// A revision that creates (and drops) a table named after it.
std::string table_revision(const std::string& id, const std::string& parents, const std::string& extra = "")
{
  return revision_text(id, parents, "CREATE TABLE t_" + id + " (id int PRIMARY KEY);",
                       "DROP TABLE t_" + id + ";", extra);
}

struct Env {
  ScratchDatabase db;
  TempDir dir;

  RunResult run(std::vector<std::string> args, std::map<std::string, std::string> env = {})
  {
    std::vector<std::string> full{"--database-url", db.url(), "--migrations", dir.path()};
    full.insert(full.end(), args.begin(), args.end());
    return run_lockstep(full, env);
  }

  std::set<std::string> versions()
  {
    std::set<std::string> out;
    for (const auto& row : db.query("SELECT version_num FROM lockstep_version")) {
      out.insert(row[0]);
    }
    return out;
  }

  std::set<std::string> tables()
  {
    std::set<std::string> out;
    for (const auto& row : db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT "
                                    "LIKE 'lockstep\\_%'")) {
      out.insert(row[0]);
    }
    return out;
  }

  // Everything a migration can change in the public schema, as text.
  std::string catalog()
  {
    std::string out;
    const char* queries[] = {
      "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
      "coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT "
      "LIKE 'lockstep\\_%' ORDER BY 1",
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'lockstep\\_%' ORDER BY 1",
      "SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = "
      "'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'lockstep\\_%' ORDER BY 1",
      "SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e' ORDER BY 1",
      "SELECT viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
    };
    for (const char* q : queries) {
      for (const auto& row : db.query(q)) {
        out += row[0] + "\n";
      }
    }
    return out;
  }
};

// A graph with two roots, a branch, a merge and a dependency:
//
//   a1 -> a2 -> a3 --------> m (merge of a3, b2)
//          \-> b1 -> b2 ---/
//   r1 (second root, branch label "reporting") -> r2 (depends on a2)
void write_branchy_graph(TempDir& dir)
{
  dir.write("a1.sql", table_revision("a1", ""));
  dir.write("a2.sql", table_revision("a2", "a1"));
  dir.write("a3.sql", table_revision("a3", "a2"));
  dir.write("b1.sql", table_revision("b1", "a2"));
  dir.write("b2.sql", table_revision("b2", "b1"));
  dir.write("m.sql", revision_text("m", "a3, b2", "", ""));
  dir.write("r1.sql", table_revision("r1", "", "-- Branch Labels: reporting\n"));
  dir.write("r2.sql", table_revision("r2", "r1", "-- Depends On: a2\n"));
}

} // namespace

TEST_CASE("upgrade heads, downgrade base, upgrade heads leaves identical catalogs", "[engine]")
{
  Env env;
  std::filesystem::copy(std::string(LOCKSTEP_SOURCE_DIR) + "/migrations", env.dir.path(),
                        std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  RunResult first = env.run({"upgrade", "heads"});
  REQUIRE(first.exit_code == 0);
  const std::string after_first = env.catalog();
  REQUIRE_FALSE(env.tables().empty());

  RunResult down = env.run({"downgrade", "base"});
  REQUIRE(down.exit_code == 0);
  CHECK(env.tables().empty());
  CHECK(env.versions().empty());
  CHECK(env.catalog().empty());

  RunResult again = env.run({"upgrade", "heads"});
  REQUIRE(again.exit_code == 0);
  CHECK(env.catalog() == after_first);
}

TEST_CASE("branches, merges, several roots and dependencies upgrade and downgrade by target", "[engine]")
{
  Env env;
  write_branchy_graph(env.dir);

  SECTION("upgrade to one revision applies exactly its ancestors")
  {
    REQUIRE(env.run({"upgrade", "b2"}).exit_code == 0);
    CHECK(env.tables() == std::set<std::string>{"t_a1", "t_a2", "t_b1", "t_b2"});
    CHECK(env.versions() == std::set<std::string>{"b2"});
  }
  SECTION("a dependency pulls in the other branch, and rows follow Alembic's rule")
  {
    REQUIRE(env.run({"upgrade", "reporting@head"}).exit_code == 0);
    CHECK(env.tables() == std::set<std::string>{"t_a1", "t_a2", "t_r1", "t_r2"});
    // a2 is depended on by r2, so it is no longer a row of its own.
    CHECK(env.versions() == std::set<std::string>{"r2"});
  }
  SECTION("heads applies everything; the merge replaces both parent rows")
  {
    REQUIRE(env.run({"upgrade", "heads"}).exit_code == 0);
    CHECK(env.versions() == std::set<std::string>{"m", "r2"});
    CHECK(env.tables().size() == 7);

    SECTION("downgrade to a branch point reverts everything that descends from it, dependents included")
    {
      REQUIRE(env.run({"downgrade", "a1"}).exit_code == 0);
      CHECK(env.tables() == std::set<std::string>{"t_a1", "t_r1"});
      CHECK(env.versions() == std::set<std::string>{"a1", "r1"});
    }
    SECTION("downgrade -1 at a merge reverts the merge and leaves both parents")
    {
      RunResult r = env.run({"downgrade", "m-1"});
      // m-1 walks to a parent: ambiguous, listed.
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, ContainsSubstring("a3") && ContainsSubstring("b2"));
      REQUIRE(env.run({"downgrade", "reporting@-1"}).exit_code == 0);
      CHECK(env.versions() == std::set<std::string>{"m", "r1"});
    }
    SECTION("downgrade base reverts every branch and root")
    {
      REQUIRE(env.run({"downgrade", "base"}).exit_code == 0);
      CHECK(env.tables().empty());
      CHECK(env.versions().empty());
    }
  }
  SECTION("head with several heads is a usage error listing them")
  {
    RunResult r = env.run({"upgrade", "head"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring("m") && ContainsSubstring("r2"));
    CHECK(env.tables().empty());
  }
  SECTION("relative upgrades walk the graph")
  {
    REQUIRE(env.run({"upgrade", "a1"}).exit_code == 0);
    REQUIRE(env.run({"upgrade", "+1"}).exit_code == 0);
    CHECK(env.versions() == std::set<std::string>{"a2"});
    RunResult ambiguous = env.run({"upgrade", "+1"});
    CHECK(ambiguous.exit_code == 2);  // a2 branches into a3 and b1
    REQUIRE(env.run({"upgrade", "a2+1"}).exit_code == 2);
    REQUIRE(env.run({"upgrade", "b1+1"}).exit_code == 0);
    CHECK(env.versions() == std::set<std::string>{"b2"});
  }
}

TEST_CASE("a failing revision rolls back alone and exits 5 naming file, line and SQLSTATE", "[engine]")
{
  Env env;
  env.dir.write("1.sql", table_revision("one", ""));
  env.dir.write("2.sql", revision_text("two", "one",
                                       "CREATE TABLE t_two (id int);\nINSERT INTO t_two VALUES (1);\n"
                                       "INSERT INTO no_such_table VALUES (1);",
                                       "DROP TABLE t_two;"));
  RunResult r = env.run({"upgrade", "heads"});
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, ContainsSubstring("revision two") && ContainsSubstring("2.sql:8") &&
                      ContainsSubstring("42P01") && ContainsSubstring("no_such_table"));
  CHECK(env.versions() == std::set<std::string>{"one"});
  CHECK(env.tables() == std::set<std::string>{"t_one"});  // t_two rolled back with its revision
  CHECK(env.db.scalar("SELECT outcome FROM lockstep_history WHERE revision = 'two'") == "failed");
}

TEST_CASE("the failing line is found by characters, not bytes, after non-ASCII text", "[engine]")
{
  Env env;
  env.dir.write("1.sql", table_revision("one", ""));
  // The server reports the error's position in characters; twenty two-byte
  // characters before the line break would put a byte count on line 7.
  env.dir.write("2.sql", revision_text("two", "one",
                                       "CREATE TABLE t_two (label text);\n"
                                       "INSERT INTO t_two VALUES ('\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
                                       "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9'),\n"
                                       "  (no_such_column);",
                                       "DROP TABLE t_two;"));
  RunResult r = env.run({"upgrade", "heads"});
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, ContainsSubstring("2.sql:8") && ContainsSubstring("42703"));
  CHECK(env.versions() == std::set<std::string>{"one"});
}

TEST_CASE("an irreversible revision refuses a downgrade before anything runs", "[engine]")
{
  Env env;
  env.dir.write("1.sql", table_revision("one", ""));
  env.dir.write("2.sql", revision_text("two", "one", "CREATE TABLE t_two (id int);", "-- no way back"));
  env.dir.write("3.sql", table_revision("three", "two"));
  REQUIRE(env.run({"upgrade", "heads"}).exit_code == 0);
  RunResult r = env.run({"downgrade", "base"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring("two") && ContainsSubstring("irreversible"));
  CHECK(env.versions() == std::set<std::string>{"three"});
  CHECK(env.tables() == std::set<std::string>{"t_one", "t_two", "t_three"});
}

TEST_CASE("stamp sets the version table without running SQL", "[engine]")
{
  Env env;
  write_branchy_graph(env.dir);
  REQUIRE(env.run({"stamp", "b2"}).exit_code == 0);
  CHECK(env.versions() == std::set<std::string>{"b2"});
  CHECK(env.tables().empty());
  // Upgrading from there runs only what the stamp did not cover.
  REQUIRE(env.run({"upgrade", "m"}).exit_code == 0);
  CHECK(env.tables() == std::set<std::string>{"t_a3"});
  REQUIRE(env.run({"stamp", "a1"}).exit_code == 0);
  CHECK(env.versions() == std::set<std::string>{"a1"});
  env.db.exec("DELETE FROM lockstep_version; INSERT INTO lockstep_version VALUES ('ghost')");
  CHECK(env.run({"current"}).exit_code == 6);
  REQUIRE(env.run({"stamp", "--purge", "heads"}).exit_code == 0);
  CHECK(env.versions() == std::set<std::string>{"m", "r2"});
}

TEST_CASE("the ConfigMap layout: symlinks into ..data are followed, dot-names ignored", "[engine]")
{
  Env env;
  namespace fs = std::filesystem;
  fs::path root(env.dir.path());
  fs::create_directory(root / "..2026_11_24_12_00_00.123");
  {
    std::ofstream(root / "..2026_11_24_12_00_00.123" / "a.sql") << table_revision("cm1", "");
    std::ofstream(root / "..2026_11_24_12_00_00.123" / "b.sql") << table_revision("cm2", "cm1");
  }
  fs::create_directory_symlink("..2026_11_24_12_00_00.123", root / "..data");
  fs::create_symlink("..data/a.sql", root / "a.sql");
  fs::create_symlink("..data/b.sql", root / "b.sql");
  REQUIRE(env.run({"upgrade"}).exit_code == 0);
  CHECK(env.versions() == std::set<std::string>{"cm2"});
  CHECK(env.tables() == std::set<std::string>{"t_cm1", "t_cm2"});
}

TEST_CASE("offline SQL (--sql) is what the online run does: running it gives the same state", "[engine]")
{
  Env online;
  write_branchy_graph(online.dir);
  REQUIRE(online.run({"upgrade", "heads"}).exit_code == 0);

  Env offline;
  write_branchy_graph(offline.dir);
  RunResult sql = run_lockstep({"--migrations", offline.dir.path(), "upgrade", "--sql", "base:heads"});
  REQUIRE(sql.exit_code == 0);
  CHECK_THAT(sql.out, ContainsSubstring("BEGIN;") && ContainsSubstring("COMMIT;") &&
                        ContainsSubstring("INSERT INTO lockstep_version"));
  offline.db.exec(sql.out);
  CHECK(offline.versions() == online.versions());
  CHECK(offline.catalog() == online.catalog());

  RunResult down = run_lockstep({"--migrations", offline.dir.path(), "downgrade", "--sql", "heads:a2"});
  REQUIRE(down.exit_code == 0);
  offline.db.exec(down.out);
  CHECK(offline.versions() == std::set<std::string>{"r2"});  // r2 depends on a2, which stays
  CHECK(run_lockstep({"--migrations", offline.dir.path(), "downgrade", "--sql", "a1"}).exit_code == 2);
}

TEST_CASE("an older folder downgrades through revisions it lacks, using the SQL the database stored", "[engine]")
{
  Env env;
  env.dir.write("1.sql", table_revision("one", ""));
  env.dir.write("2.sql", table_revision("two", "one"));
  env.dir.write("3.sql", table_revision("three", "two"));
  REQUIRE(env.run({"upgrade", "heads"}).exit_code == 0);

  TempDir old_image;
  old_image.write("1.sql", table_revision("one", ""));
  old_image.write("2.sql", table_revision("two", "one"));
  auto old_run = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--database-url", env.db.url(), "--migrations", old_image.path()};
    full.insert(full.end(), args.begin(), args.end());
    return run_lockstep(full);
  };
  // An old pod starting during a rolling update: the database is ahead, exit 0.
  RunResult ahead = old_run({"upgrade", "heads"});
  CHECK(ahead.exit_code == 0);
  CHECK_THAT(ahead.err, ContainsSubstring("ahead"));
  // The rollback Job runs the old image.
  REQUIRE(old_run({"downgrade", "two"}).exit_code == 0);
  CHECK(env.tables() == std::set<std::string>{"t_one", "t_two"});
  CHECK(env.versions() == std::set<std::string>{"two"});
}

TEST_CASE("revision and merge write files the loader reads back", "[engine]")
{
  TempDir dir;
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--migrations", dir.path()};
    full.insert(full.end(), args.begin(), args.end());
    return run_lockstep(full);
  };
  REQUIRE(run({"revision", "-m", "create users", "--rev-id", "u1"}).exit_code == 0);
  REQUIRE(run({"revision", "-m", "add email", "--rev-id", "u2"}).exit_code == 0);
  REQUIRE(run({"revision", "-m", "side", "--rev-id", "s1", "--head", "u1"}).exit_code == 0);
  RunResult refused = run({"revision", "-m", "which head?"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, ContainsSubstring("merge"));
  REQUIRE(run({"merge", "-m", "join", "--rev-id", "j1", "heads"}).exit_code == 0);
  RunResult heads = run({"heads"});
  REQUIRE(heads.exit_code == 0);
  CHECK_THAT(heads.out, ContainsSubstring("j1 (head)"));
  CHECK(std::filesystem::exists(std::filesystem::path(dir.path()) / "u2_add_email.sql"));
  RunResult history = run({"history"});
  CHECK_THAT(history.out, ContainsSubstring("s1, u2 -> j1") || ContainsSubstring("u2, s1 -> j1"));

  // Labels are checked before anything is written.
  RunResult keyword = run({"revision", "-m", "x", "--rev-id", "x1", "--branch-label", "heads"});
  CHECK(keyword.exit_code == 2);
  CHECK_THAT(keyword.err, ContainsSubstring("--branch-label 'heads'") && ContainsSubstring("target keyword"));
  REQUIRE(run({"revision", "-m", "labelled", "--rev-id", "l1", "--branch-label", "billing"}).exit_code == 0);
  RunResult taken = run({"revision", "-m", "again", "--rev-id", "l2", "--head", "l1", "--branch-label", "billing"});
  CHECK(taken.exit_code == 2);
  CHECK_THAT(taken.err, ContainsSubstring("already taken by revision l1"));
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "x1_x.sql"));
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "l2_again.sql"));
  CHECK(run({"heads"}).exit_code == 0);  // the folder still loads
}

TEST_CASE("current, status, history and show describe the database", "[engine]")
{
  Env env;
  write_branchy_graph(env.dir);
  REQUIRE(env.run({"upgrade", "b2"}).exit_code == 0);
  RunResult current = env.run({"current"});
  CHECK(current.exit_code == 0);
  CHECK(current.out == "b2\n");
  RunResult status = env.run({"status"});
  CHECK(status.exit_code == 7);
  CHECK_THAT(status.out, ContainsSubstring("pending"));
  RunResult history = env.run({"history"});
  CHECK_THAT(history.out, ContainsSubstring("b1 -> b2 (current)"));
  CHECK_THAT(history.out, ContainsSubstring("r1 (a2) -> r2 (head)"));  // a dependency, as Alembic shows it
  // a2 is a branch point with a dependent; a3 is a head nothing depends on.
  CHECK_THAT(history.out, ContainsSubstring("a1 -> a2 (branchpoint)") && ContainsSubstring("a2 -> a3,"));
  RunResult range = env.run({"history", "-r", "a2:b2"});
  CHECK(range.out.find("-> a1") == std::string::npos);
  CHECK_THAT(range.out, ContainsSubstring("-> b1"));
  RunResult show = env.run({"show", "r2"});
  CHECK_THAT(show.out, ContainsSubstring("Also depends on: a2"));
  REQUIRE(env.run({"upgrade", "heads"}).exit_code == 0);
  CHECK(env.run({"status"}).exit_code == 0);
}

TEST_CASE("version_table_schema and version_table: alembic_version take over a database Alembic managed", "[engine]")
{
  Env env;
  write_branchy_graph(env.dir);
  // What Alembic leaves behind: its table, at b2, with the schema it built.
  env.db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc "
              "PRIMARY KEY (version_num)); INSERT INTO alembic_version VALUES ('b2');"
              "CREATE TABLE t_a1 (id int); CREATE TABLE t_a2 (id int); CREATE TABLE t_b1 (id int); "
              "CREATE TABLE t_b2 (id int);");
  RunResult current = env.run({"--version-table", "alembic_version", "current"});
  CHECK(current.exit_code == 0);
  CHECK(current.out == "b2\n");
  REQUIRE(env.run({"--version-table", "alembic_version", "upgrade", "m"}).exit_code == 0);
  CHECK(env.db.scalar("SELECT string_agg(version_num, ',') FROM alembic_version") == "m");
  CHECK(env.tables().count("t_a3") == 1);

  RunResult in_schema = env.run({"--version-table-schema", "migrations_meta", "upgrade", "r1"});
  REQUIRE(in_schema.exit_code == 0);
  CHECK(env.db.scalar("SELECT string_agg(version_num, ',') FROM migrations_meta.lockstep_version") == "r1");
  CHECK(env.db.scalar("SELECT count(*) FROM migrations_meta.lockstep_history") == "1");
}

TEST_CASE("lint passes the example app, whose findings are deliberate and documented", "[engine][lint]")
{
  RunResult clean = run_lockstep({"--migrations", std::string(LOCKSTEP_SOURCE_DIR) + "/migrations", "lint"});
  INFO(clean.out);
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.out, ContainsSubstring("0 finding(s)"));

  TempDir dir;
  dir.write("1.sql", table_revision("one", ""));
  dir.write("2.sql", revision_text("two", "one", "CREATE INDEX t_one_id ON t_one (id);", "DROP INDEX t_one_id;"));
  RunResult flagged = run_lockstep({"--migrations", dir.path(), "lint", "--format", "json"});
  CHECK(flagged.exit_code == 7);
  CHECK_THAT(flagged.out, ContainsSubstring("\"rule\":\"create-index-not-concurrently\"") &&
                            ContainsSubstring("2.sql") && ContainsSubstring("\"line\":6"));
}

TEST_CASE("check: the example app's migrations build its desired schema; drift is exit 7; scratch databases go",
          "[engine][check]")
{
  ScratchDatabase target;
  const std::string source = LOCKSTEP_SOURCE_DIR;
  // The scratch databases this run made (it names them at debug level) are
  // gone; other tests may be making their own at the same moment.
  auto scratch_left = [&](const RunResult& run) {
    std::vector<std::string> names;
    for (size_t at = run.err.find("lockstep_dev_"); at != std::string::npos;
         at = run.err.find("lockstep_dev_", at + 1)) {
      names.push_back("'" + run.err.substr(at, run.err.find_first_of(" ,)\n", at) - at) + "'");
    }
    REQUIRE(names.size() >= 2);
    std::string list;
    for (const auto& n : names) {
      list += (list.empty() ? "" : ", ") + n;
    }
    return target.scalar("SELECT count(*) FROM pg_database WHERE datname IN (" + list + ")");
  };

  RunResult same = run_lockstep({"--database-url", target.url(), "--migrations", source + "/migrations", "--schema",
                                 source + "/migrations/schema", "--log-level", "debug", "check"});
  INFO(same.err);
  CHECK(same.exit_code == 0);
  CHECK(target.scalar("SELECT to_regclass('lockstep_version') IS NULL") == "t");  // the target is never touched
  CHECK(scratch_left(same) == "0");

  TempDir schema;
  std::string desired = lockstep::test::read_text(source + "/migrations/schema/chat.sql");
  desired.replace(desired.find("    edited_at timestamptz"), 25, "    edited_at timestamptz NOT NULL");
  schema.write("chat.sql", desired + "\nCREATE TABLE audit_log (id bigint);\n");
  RunResult drift = run_lockstep({"--database-url", target.url(), "--migrations", source + "/migrations", "--schema",
                                  schema.path(), "--log-level", "debug", "check"});
  CHECK(drift.exit_code == 7);
  CHECK_THAT(drift.out, ContainsSubstring("+ table audit_log column id bigint") &&
                          ContainsSubstring("edited_at timestamp with time zone not null"));
  CHECK(scratch_left(drift) == "0");

  schema.write("chat.sql", "CREATE TABLE broken (id int REFERENCES nowhere (id));\n");
  RunResult broken = run_lockstep({"--database-url", target.url(), "--migrations", source + "/migrations", "--schema",
                                   schema.path(), "--log-level", "debug", "check"});
  CHECK(broken.exit_code == 2);
  CHECK_THAT(broken.err, ContainsSubstring("does not apply"));
  CHECK(scratch_left(broken) == "0");
}

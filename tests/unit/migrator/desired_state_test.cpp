// The desired state as statements (migrator/desired_state): a pg_dump file's
// psql meta-commands and ownership statements, folders in name order, and
// where an object is made.

#include "migrator/desired_state.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

// A folder under the temporary directory, removed at the end of the test.
struct Folder {
  Folder() : path(std::filesystem::temp_directory_path() / ("desired-state-test-" + std::to_string(::getpid())))
  {
    std::filesystem::create_directories(path);
  }
  ~Folder() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const
  {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
  std::filesystem::path path;
};

const char* const dump =
  "--\n"
  "-- PostgreSQL database dump\n"
  "--\n"
  "\\restrict k3y\n"
  "SET statement_timeout = 0;\n"
  "SELECT pg_catalog.set_config('search_path', '', false);\n"
  "CREATE TABLE public.t (\n"
  "    id integer\n"
  ");\n"
  "ALTER TABLE public.t OWNER TO app;\n"
  "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$\n"
  "\\N inside a body is the body's, not a meta-command\n"
  "SELECT 'x' $$;\n"
  "ALTER FUNCTION public.f() OWNER TO app;\n"
  "GRANT SELECT ON TABLE public.t TO reader;\n"
  "REVOKE ALL ON SCHEMA public FROM PUBLIC;\n"
  "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON TABLES TO reader;\n"
  "\\unrestrict k3y\n";

} // namespace

TEST_CASE("a pg_dump file: meta-commands skipped by line, ownership statements skipped with one notice",
          "[migrator][desired_state]")
{
  Folder folder;
  const std::string file = folder.write("dump.sql", dump);
  migrator::DesiredState state = migrator::load_desired_state(file, false);
  std::vector<std::string> heads;
  for (const auto& s : state.statements) {
    heads.push_back(s.sql.substr(0, s.sql.find_first_of(" (")) + "@" + std::to_string(s.line));
  }
  CHECK(heads == std::vector<std::string>{"SET@5", "SELECT@6", "CREATE@7", "CREATE@11"});
  CHECK_THAT(state.statements[3].sql, ContainsSubstring("\\N inside a body"));
  REQUIRE(state.notices.size() == 3);
  CHECK(state.notices[0] == file + ":4: skipped the psql meta-command \\restrict");
  CHECK(state.notices[1] == file + ":18: skipped the psql meta-command \\unrestrict");
  CHECK_THAT(state.notices[2], ContainsSubstring("skipped 5 ownership and privilege statement(s)") &&
                                 ContainsSubstring("the first at " + file + ":10") &&
                                 ContainsSubstring("schema_ownership"));

  // Managed: they run.
  migrator::DesiredState owned = migrator::load_desired_state(file, true);
  CHECK(owned.statements.size() == 9);
  CHECK(owned.notices.size() == 2);
}

TEST_CASE("a folder is read in name order; locate names the statement that makes an object",
          "[migrator][desired_state]")
{
  Folder folder;
  folder.write("b.sql", "CREATE VIEW v AS SELECT 1;\n\nCREATE RULE r_t AS ON DELETE TO t DO INSTEAD NOTHING;\n");
  folder.write("a.sql", "CREATE TABLE t (id int);\nCOMMENT ON TABLE t IS 'r_t is mentioned here first';\n");
  folder.write(".hidden.sql", "CREATE TABLE hidden (id int);\n");
  folder.write("notes.txt", "not SQL");
  migrator::DesiredState state = migrator::load_desired_state(folder.path.string(), false);
  REQUIRE(state.statements.size() == 4);
  CHECK(state.statements[0].where() == (folder.path / "a.sql").string() + ":1");
  CHECK(state.statements[3].where() == (folder.path / "b.sql").string() + ":3");
  CHECK(migrator::locate(state, "r_t") == (folder.path / "b.sql").string() + ":3");  // CREATE wins
  CHECK(migrator::locate(state, "R_T") == (folder.path / "b.sql").string() + ":3");
  CHECK(migrator::locate(state, "r") == "");  // whole words only
  CHECK(migrator::locate(state, "nowhere") == "");
}

TEST_CASE("a desired state that does not parse, or is not set, is exit 2 naming it", "[migrator][desired_state]")
{
  Folder folder;
  const std::string file = folder.write("bad.sql", "CREATE TABLE t (id int);\nCREATE TABLE (;\n");
  try {
    migrator::load_desired_state(file, false);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring(file + ":2"));
  }
  try {
    migrator::load_desired_state("", false);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("--schema"));
  }
}

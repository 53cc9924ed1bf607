// The revision file format: headers, sections, checksums, statements, the
// folder loader and the writer.

#include "script/directory.hpp"
#include "script/revision_file.hpp"
#include "script/statement_rules.hpp"
#include "script/statements.hpp"
#include "script/writer.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

std::string parse_error(const std::string& text)
{
  try {
    script::parse_revision(text, "m/x.sql");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("a complete revision file parses", "[script]")
{
  script::Revision rev = script::parse_revision("-- Revision ID: 3f2a9c1e7b4d\n"
                                                "-- revises: 1c0d3e5f7a9b, 2b\n"
                                                "-- Message: add edited_at: to messages\n"
                                                "-- Create Date: 2026-11-24T12:00:00Z\n"
                                                "-- Branch Labels: chat, core\n"
                                                "-- DEPENDS ON: 77aa\n"
                                                "-- Transactional: FALSE\n"
                                                "-- Lint Ignore: add-column-not-null\n"
                                                "-- a free comment without a key\n"
                                                "\n"
                                                "-- +upgrade\n"
                                                "ALTER TABLE messages ADD COLUMN edited_at timestamptz;\n"
                                                "\n"
                                                "--  +Downgrade\n"
                                                "ALTER TABLE messages DROP COLUMN edited_at;\n",
                                                "m/x.sql");
  CHECK(rev.id == "3f2a9c1e7b4d");
  CHECK(rev.parents == std::vector<std::string>{"1c0d3e5f7a9b", "2b"});
  CHECK(rev.message == "add edited_at: to messages");
  CHECK(rev.create_date == "2026-11-24T12:00:00Z");
  CHECK(rev.branch_labels == std::vector<std::string>{"chat", "core"});
  CHECK(rev.depends_on == std::vector<std::string>{"77aa"});
  CHECK_FALSE(rev.transactional);
  CHECK(rev.lint_ignore == std::vector<std::string>{"add-column-not-null"});
  CHECK(rev.upgrade_sql == "ALTER TABLE messages ADD COLUMN edited_at timestamptz;\n\n");
  CHECK(rev.downgrade_sql == "ALTER TABLE messages DROP COLUMN edited_at;\n");
  CHECK(rev.upgrade_line == 12);
  CHECK(rev.downgrade_line == 15);
  CHECK(rev.reversible());
}

TEST_CASE("malformed files name the file and line", "[script]")
{
  struct Row {
    const char* text;
    const char* where;
    const char* what;
  };
  const Row rows[] = {
    {"-- Revision ID: a\n-- Revises:\n-- Colour: blue\n-- +upgrade\n", "m/x.sql:3", "unknown header key"},
    {"-- Revises:\n-- +upgrade\nSELECT 1;\n", "m/x.sql:1", "Revision ID"},
    {"-- Revision ID: a\n-- +upgrade\nSELECT 1;\n", "m/x.sql:1", "Revises"},
    {"-- Revision ID: a\n-- Revision ID: b\n-- Revises:\n-- +upgrade\n", "m/x.sql:2", "twice"},
    {"-- Revision ID: not-valid!\n-- Revises:\n-- +upgrade\n", "m/x.sql:1", "not valid"},
    {"-- Revision ID: a\n-- Revises: b c\n-- +upgrade\n", "m/x.sql:2", "not a revision id"},
    {"-- Revision ID: a\n-- Revises:\n-- Transactional: maybe\n-- +upgrade\n", "m/x.sql:3", "true' or 'false"},
    {"-- Revision ID: a\n-- Revises:\nCREATE TABLE t (id int);\n-- +upgrade\n", "m/x.sql:3", "before the '-- +upgrade'"},
    {"-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1;\n-- +upgrade\n", "m/x.sql:5", "second '-- +upgrade'"},
    {"-- Revision ID: a\n-- Revises:\n\n-- +downgrade\nSELECT 1;\n", "m/x.sql:6", "missing '-- +upgrade'"},
    {"-- Revision ID: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n-- Revises:\n-- +upgrade\n", "m/x.sql:1", "not valid"},
    {"-- Revision ID: a\n-- Revises: a\n-- +upgrade\n", "m/x.sql", "revises itself"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    std::string message = parse_error(row.text);
    CHECK_THAT(message, ContainsSubstring(row.where) && ContainsSubstring(row.what));
  }
}

TEST_CASE("CRLF files parse like LF files", "[script]")
{
  script::Revision crlf = script::parse_revision(
    "-- Revision ID: a\r\n-- Revises:\r\n\r\n-- +upgrade\r\nSELECT 1;\r\n-- +downgrade\r\nSELECT 2;\r\n", "x.sql");
  CHECK(crlf.id == "a");
  CHECK(crlf.parents.empty());
  CHECK(crlf.upgrade_line == 5);
  CHECK(script::upgrade_checksum(crlf.upgrade_sql) == script::upgrade_checksum("SELECT 1;\n"));
}

TEST_CASE("the checksum ignores trailing white space and blank edges, not real edits", "[script]")
{
  const std::string base = script::upgrade_checksum("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n");
  CHECK(base.size() == 64);
  CHECK(script::upgrade_checksum("\n\nCREATE TABLE t (id int);   \nINSERT INTO t VALUES (1);\t\n\n\n") == base);
  CHECK(script::upgrade_checksum("CREATE TABLE t (id bigint);\nINSERT INTO t VALUES (1);\n") != base);
  CHECK(script::upgrade_checksum("CREATE TABLE t  (id int);\nINSERT INTO t VALUES (1);\n") != base);
  CHECK(script::upgrade_checksum("CREATE TABLE t (id int);\n\nINSERT INTO t VALUES (1);\n") != base);
}

TEST_CASE("reversibility: an empty downgrade is irreversible unless the upgrade is empty too", "[script]")
{
  script::Revision rev;
  rev.upgrade_sql = "CREATE TABLE t (id int);";
  rev.downgrade_sql = "\n-- nothing to do\n\n";
  CHECK_FALSE(rev.reversible());
  rev.downgrade_sql = "DROP TABLE t;";
  CHECK(rev.reversible());
  rev.upgrade_sql = "-- a merge\n";
  rev.downgrade_sql = "";
  CHECK(rev.reversible());
}

TEST_CASE("statements split with the PostgreSQL parser, with their lines", "[script]")
{
  const std::string sql = "-- leading comment\n"
                          "CREATE FUNCTION f() RETURNS int AS $$\n"
                          "BEGIN\n"
                          "  RETURN 1; -- a semicolon inside dollar quotes\n"
                          "END $$ LANGUAGE plpgsql;\n"
                          "\n"
                          "/* a block comment; with a semicolon */\n"
                          "INSERT INTO t VALUES (E'it\\'s; fine', 'a;b');\n"
                          "SELECT 1";
  auto statements = script::split_statements(sql, "x.sql", 10);
  REQUIRE(statements.size() == 3);
  CHECK(statements[0].line == 11);
  CHECK_THAT(statements[0].sql, ContainsSubstring("RETURN 1;") && ContainsSubstring("LANGUAGE plpgsql"));
  CHECK(statements[1].line == 17);
  CHECK(statements[1].sql == "INSERT INTO t VALUES (E'it\\'s; fine', 'a;b')");
  CHECK(statements[2].line == 18);
  CHECK(statements[2].sql == "SELECT 1");
  CHECK(script::split_statements("-- only a comment\n\n", "x.sql", 1).empty());
}

TEST_CASE("a syntax error names the file and the line of the error", "[script]")
{
  try {
    script::split_statements("SELECT 1;\n\nCREAT TABLE t (id int);\n", "m/bad.sql", 7);
    FAIL("expected a syntax error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("m/bad.sql:9") && ContainsSubstring("syntax error"));
  }
}

TEST_CASE("statements that cannot run in a transaction, and ones that end it", "[script]")
{
  struct Row {
    const char* sql;
    bool needs_own;
    bool controls;
  };
  const Row rows[] = {
    {"CREATE INDEX CONCURRENTLY i ON t (a)", true, false},
    {"CREATE INDEX i ON t (a)", false, false},
    {"DROP INDEX CONCURRENTLY i", true, false},
    {"REINDEX INDEX CONCURRENTLY i", true, false},
    {"VACUUM t", true, false},
    {"ANALYZE t", false, false},
    {"CREATE DATABASE d", true, false},
    {"ALTER SYSTEM SET work_mem = '1MB'", true, false},
    {"BEGIN", false, true},
    {"COMMIT", false, true},
    {"ROLLBACK", false, true},
    {"SAVEPOINT s", false, false},
    {"RELEASE SAVEPOINT s", false, false},
    {"ALTER TABLE t ADD COLUMN c int", false, false},
  };
  for (const auto& row : rows) {
    INFO(row.sql);
    script::Statement stmt{row.sql, 1};
    CHECK(script::needs_own_transaction(stmt).has_value() == row.needs_own);
    CHECK(script::controls_transaction(stmt).has_value() == row.controls);
  }
}

TEST_CASE("the loader reads a ConfigMap layout and rejects duplicate ids", "[script]")
{
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "lockstep-load-XXXXXX").string();
  fs::path root = mkdtemp(pattern.data());
  fs::path data = root / "..2026_11_24_12_00_00.123";
  fs::create_directory(data);
  std::ofstream(data / "b.sql") << "-- Revision ID: b\n-- Revises: a\n-- +upgrade\n";
  std::ofstream(data / "a.sql") << "-- Revision ID: a\n-- Revises:\n-- +upgrade\n";
  fs::create_directory_symlink(data.filename(), root / "..data");
  fs::create_symlink("..data/a.sql", root / "a.sql");
  fs::create_symlink("..data/b.sql", root / "b.sql");
  std::ofstream(root / ".hidden.sql") << "not a revision";
  std::ofstream(root / "README.md") << "not a revision either";

  auto revisions = script::load_directory(root.string());
  REQUIRE(revisions.size() == 2);
  CHECK(revisions[0].id == "a");
  CHECK(revisions[1].id == "b");
  CHECK(revisions[0].path == (root / "a.sql").string());

  std::ofstream(root / "c.sql") << "-- Revision ID: a\n-- Revises:\n-- +upgrade\n";
  try {
    script::load_directory(root.string());
    FAIL("expected a duplicate error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), ContainsSubstring("c.sql") && ContainsSubstring("a.sql") && ContainsSubstring("revision a"));
  }
  fs::remove_all(root);
  CHECK_THROWS_AS(script::load_directory(root.string()), Error);
}

TEST_CASE("the writer's files read back to the same revision", "[script]")
{
  script::Revision rev;
  rev.id = "9a8b7c6d5e4f";
  rev.parents = {"a", "b"};
  rev.message = "Merge: the heads!";
  rev.create_date = "2026-11-24T12:00:00Z";
  rev.branch_labels = {"x"};
  rev.depends_on = {"c"};
  rev.transactional = false;
  rev.upgrade_sql = "SELECT 1;\n";
  rev.downgrade_sql = "SELECT 2;\n";
  script::Revision back = script::parse_revision(script::render_revision(rev), "w.sql");
  CHECK(back.id == rev.id);
  CHECK(back.parents == rev.parents);
  CHECK(back.message == rev.message);
  CHECK(back.branch_labels == rev.branch_labels);
  CHECK(back.depends_on == rev.depends_on);
  CHECK(back.transactional == rev.transactional);
  CHECK(script::upgrade_checksum(back.upgrade_sql) == script::upgrade_checksum(rev.upgrade_sql));
  CHECK(script::revision_file_name(rev) == "9a8b7c6d5e4f_merge_the_heads.sql");
}

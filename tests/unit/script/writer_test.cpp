// Writing new revision files (script/writer): what parse_revision() reads
// back, file names, and never overwriting.

#include "script/revision_file.hpp"
#include "script/writer.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include "temp_folder.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace lockstep;
using lockstep::test::TempFolder;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

namespace {

script::Revision make(const std::string& id, Strings parents, const std::string& message)
{
  script::Revision rev;
  rev.id = id;
  rev.parents = std::move(parents);
  rev.message = message;
  return rev;
}

} // namespace

TEST_CASE("rendered revisions read back to the same revision", "[script][writer]")
{
  struct Row {
    const char* name;
    script::Revision rev;
  };
  std::vector<Row> rows;
  rows.push_back({"a root with SQL", make("1c0d3e5f7a9b", {}, "create users")});
  rows.back().rev.upgrade_sql = "CREATE TABLE users (id int);\n";
  rows.back().rev.downgrade_sql = "DROP TABLE users;\n";
  rows.push_back({"every header", make("9a8b7c6d5e4f", {"a", "b"}, "Merge: the heads!")});
  rows.back().rev.create_date = "2026-11-24T12:00:00Z";
  rows.back().rev.branch_labels = {"x", "y"};
  rows.back().rev.depends_on = {"c", "d"};
  rows.back().rev.lint_ignore = {"add-column-not-null", "drop-table"};
  rows.back().rev.transactional = false;
  rows.back().rev.upgrade_sql = "CREATE INDEX CONCURRENTLY i ON t (a);";  // no final newline
  rows.back().rev.downgrade_sql = "DROP INDEX CONCURRENTLY i;";
  rows.push_back({"an empty merge", make("m1", {"p1", "p2"}, "")});
  rows.push_back({"SQL with dollar quotes and comments", make("f1", {"m1"}, "add a function")});
  rows.back().rev.upgrade_sql =
    "-- a comment\nCREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND $$ LANGUAGE plpgsql;\n";
  rows.back().rev.downgrade_sql = "DROP FUNCTION f();\n";

  for (const auto& row : rows) {
    INFO(row.name);
    const script::Revision& rev = row.rev;
    std::string text = script::render_revision(rev);
    script::Revision back = script::parse_revision(text, "w.sql");
    CHECK(back.id == rev.id);
    CHECK(back.parents == rev.parents);
    CHECK(back.message == rev.message);
    CHECK(back.create_date == rev.create_date);
    CHECK(back.branch_labels == rev.branch_labels);
    CHECK(back.depends_on == rev.depends_on);
    CHECK(back.lint_ignore == rev.lint_ignore);
    CHECK(back.transactional == rev.transactional);
    CHECK(script::upgrade_checksum(back.upgrade_sql) == script::upgrade_checksum(rev.upgrade_sql));
    CHECK(util::trim(back.downgrade_sql) == util::trim(rev.downgrade_sql));
    CHECK(back.reversible() == rev.reversible());
    // Rendering what was read back gives the same text.
    CHECK(script::render_revision(back) == text);
  }
}

TEST_CASE("the rendered header", "[script][writer]")
{
  script::Revision rev = make("3f2a9c1e7b4d", {"1c0d3e5f7a9b"}, "add edited_at to messages");
  rev.create_date = "2026-11-24T12:00:00Z";
  rev.upgrade_sql = "ALTER TABLE messages ADD COLUMN edited_at timestamptz;\n";
  rev.downgrade_sql = "ALTER TABLE messages DROP COLUMN edited_at;\n";
  CHECK(script::render_revision(rev) == "-- Revision ID: 3f2a9c1e7b4d\n"
                                        "-- Revises: 1c0d3e5f7a9b\n"
                                        "-- Message: add edited_at to messages\n"
                                        "-- Create Date: 2026-11-24T12:00:00Z\n"
                                        "\n"
                                        "-- +upgrade\n"
                                        "ALTER TABLE messages ADD COLUMN edited_at timestamptz;\n"
                                        "\n"
                                        "-- +downgrade\n"
                                        "ALTER TABLE messages DROP COLUMN edited_at;\n");
}

TEST_CASE("a message with line breaks stays one header line", "[script][writer]")
{
  script::Revision rev = make("a1", {}, "first line\nsecond line\r\n\nthird; DROP TABLE x;\n");
  rev.upgrade_sql = "SELECT 1;\n";
  std::string text = script::render_revision(rev);
  script::Revision back = script::parse_revision(text, "w.sql");  // would fail: SQL before the marker
  CHECK(back.message == "first line second line third; DROP TABLE x;");
  CHECK(back.upgrade_sql == "SELECT 1;\n\n");
}

TEST_CASE("file names are <revision>_<slug>.sql", "[script][writer]")
{
  struct Row {
    const char* id;
    const char* message;
    const char* name;
  };
  const Row rows[] = {
    {"3f2a9c1e7b4d", "add edited_at to messages", "3f2a9c1e7b4d_add_edited_at_to_messages.sql"},
    {"9a8b7c6d5e4f", "Merge: the heads!", "9a8b7c6d5e4f_merge_the_heads.sql"},
    {"a1", "  --Leading and trailing--  ", "a1_leading_and_trailing.sql"},
    {"a1", "", "a1.sql"},
    {"a1", "!!!", "a1.sql"},
    {"a1", "caf\xC3\xA9 cr\xC3\xA8me", "a1_caf_cr_me.sql"},
    {"a1", "a very long message that goes on and on well past forty characters",
     "a1_a_very_long_message_that_goes_on_and_on.sql"},
  };
  for (const auto& row : rows) {
    INFO(row.message);
    CHECK(script::revision_file_name(make(row.id, {}, row.message)) == row.name);
  }
}

TEST_CASE("writing a new revision never overwrites", "[script][writer]")
{
  TempFolder folder;
  const fs::path dir = folder.path() / "new" / "migrations";  // created on demand
  script::Revision rev = make("a1", {}, "init");
  rev.upgrade_sql = "CREATE TABLE t (id int);\n";

  std::string path = script::write_new_revision(dir.string(), rev);
  CHECK(path == (dir / "a1_init.sql").string());
  std::ifstream in(path, std::ios::binary);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written == script::render_revision(rev));

  script::Revision other = rev;
  other.upgrade_sql = "DROP TABLE everything;\n";
  try {
    script::write_new_revision(dir.string(), other);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("a1_init.sql") && ContainsSubstring("already exists"));
  }
  std::ifstream again(path, std::ios::binary);
  std::string kept((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  CHECK(kept == written);
}

TEST_CASE("a folder that cannot be written is a usage error", "[script][writer]")
{
  TempFolder folder;
  std::ofstream(folder.path() / "plain-file") << "x";
  // A path through a regular file can never be created, even by root.
  CHECK_THROWS_AS(script::write_new_revision((folder.path() / "plain-file" / "sub").string(), make("a1", {}, "x")),
                  Error);
}

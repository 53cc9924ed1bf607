// The revision file format (script/revision_file): headers, sections,
// errors that name file:line, checksums.

#include "script/revision_file.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <vector>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;
using Strings = std::vector<std::string>;

namespace {

// The message of the usage error parsing `text` throws, or "" (which no row
// expects) when it parses.
std::string parse_error(const std::string& text, const std::string& path = "migrations/x.sql")
{
  try {
    script::parse_revision(text, path);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("a complete revision file parses into every field", "[script][revision_file]")
{
  script::Revision rev = script::parse_revision("-- Revision ID: 3f2a9c1e7b4d\n"
                                                "-- revises: 1c0d3e5f7a9b, 2b\n"
                                                "-- Message: add edited_at: to messages\n"
                                                "-- Create Date: 2026-11-24T12:00:00Z\n"
                                                "-- Branch Labels: chat, core\n"
                                                "-- DEPENDS ON: 77aa\n"
                                                "-- Transactional: FALSE\n"
                                                "-- Lint Ignore: add-column-not-null, drop-column\n"
                                                "-- a free comment without a key\n"
                                                "\n"
                                                "-- +upgrade\n"
                                                "ALTER TABLE messages ADD COLUMN edited_at timestamptz;\n"
                                                "\n"
                                                "--  +Downgrade\n"
                                                "ALTER TABLE messages DROP COLUMN edited_at;\n",
                                                "m/x.sql");
  CHECK(rev.id == "3f2a9c1e7b4d");
  CHECK(rev.parents == Strings{"1c0d3e5f7a9b", "2b"});
  CHECK(rev.message == "add edited_at: to messages");
  CHECK(rev.create_date == "2026-11-24T12:00:00Z");
  CHECK(rev.branch_labels == Strings{"chat", "core"});
  CHECK(rev.depends_on == Strings{"77aa"});
  CHECK_FALSE(rev.transactional);
  CHECK(rev.lint_ignore == Strings{"add-column-not-null", "drop-column"});
  CHECK(rev.upgrade_sql == "ALTER TABLE messages ADD COLUMN edited_at timestamptz;\n\n");
  CHECK(rev.downgrade_sql == "ALTER TABLE messages DROP COLUMN edited_at;\n");
  CHECK(rev.upgrade_line == 12);
  CHECK(rev.downgrade_line == 15);
  CHECK(rev.path == "m/x.sql");
  CHECK(rev.reversible());
}

TEST_CASE("valid header variations", "[script][revision_file]")
{
  struct Row {
    const char* name;
    std::string text;
    const char* id;
    Strings parents;
    bool transactional;
    const char* upgrade;
    const char* downgrade;
    int upgrade_line;
    int downgrade_line;
  };
  const Row rows[] = {
    {"a root: Revises is present and empty", "-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1;\n", "a", {}, true,
     "SELECT 1;\n", "", 4, 0},
    {"a merge", "-- Revision ID: m\n-- Revises: a,b , c\n-- +upgrade\n", "m", {"a", "b", "c"}, true, "", "", 4, 0},
    {"keys in any case, extra spaces", "--Revision   id :  a_1  \n--   REVISES:b\n--+UPGRADE\nx\n", "a_1", {"b"}, true,
     "x\n", "", 4, 0},
    {"Transactional true", "-- Revision ID: a\n-- Revises:\n-- Transactional: True\n-- +upgrade\n", "a", {}, true, "", "",
     5, 0},
    {"downgrade before upgrade", "-- Revision ID: a\n-- Revises:\n-- +downgrade\nD;\n-- +upgrade\nU;\n", "a", {}, true,
     "U;\n", "D;\n", 6, 4},
    {"no newline at the end", "-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1;", "a", {}, true, "SELECT 1;", "", 4,
     0},
    {"blank lines and free comments in the header",
     "\n-- a migration that adds a table\n\n-- Revision ID: a\n\n-- Revises:\n-- +upgrade\n", "a", {}, true, "", "", 8, 0},
    {"header-like lines inside a section are SQL comments",
     "-- Revision ID: a\n-- Revises:\n-- +upgrade\n-- Colour: blue\nSELECT 1;\n", "a", {}, true,
     "-- Colour: blue\nSELECT 1;\n", "", 4, 0},
    {"a byte-order mark before the header", "\xEF\xBB\xBF-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1;\n", "a",
     {}, true, "SELECT 1;\n", "", 4, 0},
    {"the longest id", "-- Revision ID: abcdefghijklmnopqrstuvwxyz_01234\n-- Revises:\n-- +upgrade\n",
     "abcdefghijklmnopqrstuvwxyz_01234", {}, true, "", "", 4, 0},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    script::Revision rev = script::parse_revision(row.text, "x.sql");
    CHECK(rev.id == row.id);
    CHECK(rev.parents == row.parents);
    CHECK(rev.transactional == row.transactional);
    CHECK(rev.upgrade_sql == row.upgrade);
    CHECK(rev.downgrade_sql == row.downgrade);
    CHECK(rev.upgrade_line == row.upgrade_line);
    CHECK(rev.downgrade_line == row.downgrade_line);
  }
}

TEST_CASE("malformed files are usage errors naming file:line", "[script][revision_file]")
{
  struct Row {
    const char* name;
    std::string text;
    const char* where;  // "<path>:<line>: "
    const char* what;
  };
  const Row rows[] = {
    {"unknown key", "-- Revision ID: a\n-- Revises:\n-- Colour: blue\n-- +upgrade\n", "migrations/x.sql:3: ",
     "unknown header key 'Colour'"},
    {"unknown key with odd spacing", "-- Revision ID: a\n--   Reviewed   By : me\n-- Revises:\n-- +upgrade\n",
     "migrations/x.sql:2: ", "unknown header key 'Reviewed   By'"},
    {"missing Revision ID", "-- Revises:\n-- +upgrade\nSELECT 1;\n", "migrations/x.sql:1: ", "Revision ID"},
    {"missing Revises", "-- Revision ID: a\n-- +upgrade\nSELECT 1;\n", "migrations/x.sql:1: ", "Revises"},
    {"empty file", "", "migrations/x.sql:1: ", "Revision ID"},
    {"duplicate Revision ID", "-- Revision ID: a\n-- Revision ID: b\n-- Revises:\n-- +upgrade\n", "migrations/x.sql:2: ",
     "'revision id' appears twice"},
    {"duplicate key in another case", "-- Revision ID: a\n-- Revises:\n-- Message: x\n-- MESSAGE: y\n-- +upgrade\n",
     "migrations/x.sql:4: ", "appears twice"},
    {"duplicate Revises", "-- Revision ID: a\n-- Revises:\n-- Revises: b\n-- +upgrade\n", "migrations/x.sql:3: ",
     "'revises' appears twice"},
    {"bad id: punctuation", "-- Revision ID: not-valid!\n-- Revises:\n-- +upgrade\n", "migrations/x.sql:1: ",
     "Revision ID 'not-valid!' is not valid"},
    {"bad id: empty", "-- Revision ID:\n-- Revises:\n-- +upgrade\n", "migrations/x.sql:1: ", "is not valid"},
    {"bad id: 33 characters", "-- Revision ID: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n-- Revises:\n-- +upgrade\n",
     "migrations/x.sql:1: ", "is not valid"},
    {"bad id: two words", "-- Revision ID: a b\n-- Revises:\n-- +upgrade\n", "migrations/x.sql:1: ", "is not valid"},
    {"bad parent", "-- Revision ID: a\n-- Revises: b c\n-- +upgrade\n", "migrations/x.sql:2: ",
     "Revises: 'b c' is not a revision id"},
    {"bad dependency", "-- Revision ID: a\n-- Revises:\n-- Depends On: x, y.z\n-- +upgrade\n", "migrations/x.sql:3: ",
     "Depends On: 'y.z' is not a revision id"},
    {"bad Transactional", "-- Revision ID: a\n-- Revises:\n-- Transactional: maybe\n-- +upgrade\n",
     "migrations/x.sql:3: ", "Transactional must be 'true' or 'false', not 'maybe'"},
    {"empty Transactional", "-- Revision ID: a\n-- Revises:\n-- Transactional:\n-- +upgrade\n", "migrations/x.sql:3: ",
     "Transactional must be"},
    {"SQL before the marker", "-- Revision ID: a\n-- Revises:\nCREATE TABLE t (id int);\n-- +upgrade\n",
     "migrations/x.sql:3: ", "SQL before the '-- +upgrade' marker"},
    {"SQL instead of any header", "CREATE TABLE t (id int);\n", "migrations/x.sql:1: ", "SQL before"},
    {"second upgrade marker", "-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1;\n-- +upgrade\n",
     "migrations/x.sql:5: ", "second '-- +upgrade' marker (the first is on line 3)"},
    {"second downgrade marker",
     "-- Revision ID: a\n-- Revises:\n-- +upgrade\n-- +downgrade\nSELECT 1;\n\n-- +DOWNGRADE\n", "migrations/x.sql:7: ",
     "second '-- +downgrade' marker (the first is on line 4)"},
    {"missing upgrade section", "-- Revision ID: a\n-- Revises:\n\n-- +downgrade\nSELECT 1;\n", "migrations/x.sql:6: ",
     "missing '-- +upgrade' section"},
    {"no sections at all", "-- Revision ID: a\n-- Revises:\n", "migrations/x.sql:3: ", "missing '-- +upgrade'"},
    {"revises itself", "-- Revision ID: a\n-- Message: m\n-- Revises: b, a\n-- +upgrade\n", "migrations/x.sql:3: ",
     "revision a revises itself"},
    {"CRLF: unknown key", "-- Revision ID: a\r\n-- Revises:\r\n-- Colour: blue\r\n-- +upgrade\r\n",
     "migrations/x.sql:3: ", "unknown header key 'Colour'"},
    {"CRLF: SQL before the marker", "-- Revision ID: a\r\n-- Revises:\r\n\r\nSELECT 1;\r\n-- +upgrade\r\n",
     "migrations/x.sql:4: ", "SQL before"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    std::string message = parse_error(row.text);
    CHECK_THAT(message, ContainsSubstring(row.where) && ContainsSubstring(row.what));
  }
}

TEST_CASE("the path in an error is the one given", "[script][revision_file]")
{
  CHECK_THAT(parse_error("-- Revises:\n-- +upgrade\n", "/etc/lockstep/..data/0001_init.sql"),
             ContainsSubstring("/etc/lockstep/..data/0001_init.sql:1: "));
}

TEST_CASE("CRLF files parse like LF files", "[script][revision_file]")
{
  const std::string lf = "-- Revision ID: a\n-- Revises: p\n-- Message: hello\n\n-- +upgrade\nSELECT 1;\n"
                         "SELECT 2;\n-- +downgrade\nSELECT 3;\n";
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') {
      crlf += '\r';
    }
    crlf += c;
  }
  script::Revision a = script::parse_revision(lf, "x.sql");
  script::Revision b = script::parse_revision(crlf, "x.sql");
  CHECK(b.id == "a");
  CHECK(b.parents == Strings{"p"});
  CHECK(b.message == "hello");  // no '\r' left on header values
  CHECK(b.upgrade_line == a.upgrade_line);
  CHECK(b.downgrade_line == a.downgrade_line);
  CHECK(b.upgrade_sql == "SELECT 1;\r\nSELECT 2;\r\n");  // sections stay verbatim
  CHECK(script::upgrade_checksum(b.upgrade_sql) == script::upgrade_checksum(a.upgrade_sql));
}

TEST_CASE("the checksum ignores trailing white space and blank edges, not real edits", "[script][checksum]")
{
  const std::string original = "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n";
  const std::string base = script::upgrade_checksum(original);
  CHECK(base.size() == 64);
  CHECK(base.find_first_not_of("0123456789abcdef") == std::string::npos);

  struct Row {
    const char* name;
    std::string sql;
    bool same;
  };
  const Row rows[] = {
    {"identical", original, true},
    {"no final newline", "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);", true},
    {"trailing spaces and tabs", "CREATE TABLE t (id int);   \nINSERT INTO t VALUES (1);\t \n", true},
    {"CRLF line ends", "CREATE TABLE t (id int);\r\nINSERT INTO t VALUES (1);\r\n", true},
    {"blank lines before and after", "\n\n  \nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n\n\t\n", true},
    {"a changed type", "CREATE TABLE t (id bigint);\nINSERT INTO t VALUES (1);\n", false},
    {"a changed value", "CREATE TABLE t (id int);\nINSERT INTO t VALUES (2);\n", false},
    {"white space inside a line", "CREATE TABLE t  (id int);\nINSERT INTO t VALUES (1);\n", false},
    {"leading indentation", "  CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", false},
    {"a blank line between statements", "CREATE TABLE t (id int);\n\nINSERT INTO t VALUES (1);\n", false},
    {"an added comment", "CREATE TABLE t (id int);\n-- seed\nINSERT INTO t VALUES (1);\n", false},
    {"lines joined", "CREATE TABLE t (id int); INSERT INTO t VALUES (1);\n", false},
    {"a statement removed", "CREATE TABLE t (id int);\n", false},
    {"case changed", "create table t (id int);\nINSERT INTO t VALUES (1);\n", false},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK((script::upgrade_checksum(row.sql) == base) == row.same);
  }
  // Empty and blank sections hash alike, and differently from any SQL.
  CHECK(script::upgrade_checksum("") == script::upgrade_checksum("\n \n\t\n"));
  CHECK(script::upgrade_checksum("") != script::upgrade_checksum("SELECT 1;"));
}

TEST_CASE("the checksum is the SHA-256 of the normalised text", "[script][checksum]")
{
  // sha256("") and sha256("abc\n"): the normalised text keeps one '\n' per line.
  CHECK(script::upgrade_checksum("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(script::upgrade_checksum("abc   \n\n") == "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb");
}

TEST_CASE("reversibility: an empty downgrade is irreversible unless the upgrade is empty too",
          "[script][revision_file]")
{
  struct Row {
    const char* upgrade;
    const char* downgrade;
    bool reversible;
  };
  const Row rows[] = {
    {"CREATE TABLE t (id int);", "DROP TABLE t;", true},
    {"CREATE TABLE t (id int);", "", false},
    {"CREATE TABLE t (id int);", "\n-- nothing to do\n\n", false},
    {"CREATE TABLE t (id int);", "  -- indented comment\r\n", false},
    {"-- a merge\n", "", true},
    {"", "", true},
    {"", "SELECT 1;", true},
  };
  for (const auto& row : rows) {
    INFO(row.upgrade << " / " << row.downgrade);
    script::Revision rev;
    rev.upgrade_sql = row.upgrade;
    rev.downgrade_sql = row.downgrade;
    CHECK(rev.reversible() == row.reversible);
  }
}

TEST_CASE("has_sql: anything but white space and comments", "[script][revision_file]")
{
  struct Row {
    const char* sql;
    bool has;
  };
  const Row rows[] = {
    {"", false},
    {"\n\n", false},
    {"-- a\n  -- b\n\t\n", false},
    {"SELECT 1", true},
    {"-- a\n  x", true},
    {"/* block comment */", false},
    {"/* outer /* nested; */ still a comment */\n-- and a line comment", false},
    {"/* a comment */ SELECT 1", true},
    {"SELECT 1 -- a comment", true},
    {"'-- a string, not a comment'", true},
  };
  for (const auto& row : rows) {
    INFO(row.sql);
    CHECK(script::has_sql(row.sql) == row.has);
  }
}

TEST_CASE("valid revision ids", "[script][revision_file]")
{
  struct Row {
    std::string id;
    bool valid;
  };
  const Row rows[] = {
    {"3f2a9c1e7b4d", true},
    {"A_b_9", true},
    {"_", true},
    {std::string(32, 'a'), true},
    {std::string(33, 'a'), false},
    {"", false},
    {"a-b", false},
    {"a b", false},
    {"a.b", false},
    {"a@b", false},
    {"a+1", false},
    {"caf\xC3\xA9", false},
  };
  for (const auto& row : rows) {
    INFO(row.id);
    CHECK(script::valid_revision_id(row.id) == row.valid);
  }
}

TEST_CASE("branch labels must read back unambiguously in targets", "[script][revision_file]")
{
  for (const char* good : {"chat", "search_v2", "release-2026.11", "_x", "a1-b", "2fa"}) {
    INFO(good);
    CHECK(script::branch_label_problem(good).empty());
  }
  struct Row {
    const char* label;
    const char* why;
  };
  const Row bad[] = {
    {"", "1 to 64"},
    {"a@b", "'@' is not allowed"},
    {"a:b", "':' is not allowed"},
    {"a+b", "'+' is not allowed"},
    {"two words", "' ' is not allowed"},
    {"-x", "must start with"},
    {".x", "must start with"},
    {"head", "target keyword"},
    {"heads", "target keyword"},
    {"base", "target keyword"},
    {"current", "target keyword"},
    {"release-2", "-<number>"},
  };
  for (const auto& row : bad) {
    INFO(row.label);
    CHECK_THAT(script::branch_label_problem(row.label), ContainsSubstring(row.why));
  }
  CHECK_THAT(script::branch_label_problem(std::string(65, 'a')), ContainsSubstring("1 to 64"));

  // In a file, the error names the file, the line and the label.
  CHECK_THAT(parse_error("-- Revision ID: a\n-- Revises:\n-- Branch Labels: ok, release-2\n-- +upgrade\n"),
             ContainsSubstring("migrations/x.sql:3") && ContainsSubstring("'release-2'"));
}

TEST_CASE("markers are found wherever the sections hold a '+', and lines are counted through them",
          "[script][revision_file]")
{
  struct Row {
    const char* name;
    std::string text;
    const char* upgrade;
    const char* downgrade;
    int upgrade_line;
    int downgrade_line;
  };
  const Row rows[] = {
    {"plus signs in SQL before a marker",
     "-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1 + 1;\nSELECT '+';\n-- +downgrade\nSELECT 2+2;\n",
     "SELECT 1 + 1;\nSELECT '+';\n", "SELECT 2+2;\n", 4, 7},
    {"an indented marker in any case, CRLF",
     "-- Revision ID: a\r\n-- Revises:\r\n--+Upgrade\r\nU;\r\n\t  --   +DOWNGRADE \t\r\nD;\r\n", "U;\r\n", "D;\r\n", 4, 6},
    {"marker-like lines that are not markers stay SQL",
     "-- Revision ID: a\n-- Revises:\n-- +upgrade\n-- ++downgrade\n-- + downgrade\nx -- +downgrade\n-- +downgrades\n",
     "-- ++downgrade\n-- + downgrade\nx -- +downgrade\n-- +downgrades\n", "", 4, 0},
    {"a marker on the last line, without a line break",
     "-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1;\n-- +downgrade", "SELECT 1;\n", "", 4, 6},
    {"a long SQL line with many plus signs", "-- Revision ID: a\n-- Revises:\n-- +upgrade\n" + std::string(5000, '+') + "\n-- +downgrade\nD;\n",
     nullptr, "D;\n", 4, 6},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    script::Revision rev = script::parse_revision(row.text, "x.sql");
    if (row.upgrade != nullptr) {
      CHECK(rev.upgrade_sql == row.upgrade);
    }
    CHECK(rev.downgrade_sql == row.downgrade);
    CHECK(rev.upgrade_line == row.upgrade_line);
    CHECK(rev.downgrade_line == row.downgrade_line);
  }
}

TEST_CASE("header lines: what is a key, a comment, a marker or SQL", "[script][revision_file]")
{
  // Free text in the header: no ':' after "--", nothing before it, or a
  // character no key has; a '+' word that is no marker.
  const script::Revision rev = script::parse_revision("-- Step 1: make it\n--: x\n--   : x\n-- a.b: c\n-- +later\n--\n"
                                                      "-- Revision ID: a\n-- Revises:\n-- +upgrade\n",
                                                      "x.sql");
  CHECK(rev.id == "a");
  CHECK(rev.upgrade_line == 10);

  struct Row {
    const char* name;
    std::string text;
    const char* expected;
  };
  const Row rows[] = {
    {"a long unknown key", "-- Revision ID: a\n-- A Very Long Unknown Key Name : x\n-- Revises:\n-- +upgrade\n",
     "x.sql:2: unknown header key 'A Very Long Unknown Key Name'"},
    {"a key with tabs inside", "-- Revision ID: a\n--\tRevises\t\t:\n-- Revises:\n-- +upgrade\n",
     "x.sql:3: header key 'revises' appears twice"},
    {"a dash key", "-- Revision ID: a\n-- - : x\n-- +upgrade\n", "x.sql:2: unknown header key '-'"},
    {"SQL after blank lines", "\n  \n\t\nSELECT 1;\n", "x.sql:4: SQL before the '-- +upgrade' marker"},
    {"a lone dash", "-- Revision ID: a\n-\n", "x.sql:2: SQL before"},
    {"missing upgrade after a downgrade with plus signs", "-- Revision ID: a\n-- Revises:\n-- +downgrade\nSELECT 1+1;\n+\n",
     "x.sql:6: missing '-- +upgrade' section"},
    {"a second upgrade marker after plus signs",
     "-- Revision ID: a\n-- Revises:\n-- +upgrade\nSELECT 1+1;\n-- +downgrade\n+\n  -- +UPGRADE\n",
     "x.sql:7: second '-- +upgrade' marker (the first is on line 3)"},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK_THAT(parse_error(row.text, "x.sql"), ContainsSubstring(row.expected));
  }
}

// Splitting sections into statements with the PostgreSQL parser
// (script/statements), and what a statement may do inside lockstep's
// transaction (script/statement_rules).

#include "script/statement_facts.hpp"
#include "script/statement_rules.hpp"
#include "script/statements.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <vector>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

struct Expected {
  int line;
  std::string sql;
};

} // namespace

TEST_CASE("statements split with the PostgreSQL parser, each with its line", "[script][statements]")
{
  struct Row {
    const char* name;
    std::string sql;
    int first_line;
    std::vector<Expected> statements;
  };
  const Row rows[] = {
    {"one statement", "SELECT 1;\n", 1, {{1, "SELECT 1"}}},
    {"no final semicolon", "SELECT 1;\nSELECT 2", 1, {{1, "SELECT 1"}, {2, "SELECT 2"}}},
    {"two on one line", "CREATE TABLE t (a int); CREATE TABLE u (b int);\n", 5,
     {{5, "CREATE TABLE t (a int)"}, {5, "CREATE TABLE u (b int)"}}},
    {"first_line offsets every line", "\n\nSELECT 1;\n\nSELECT 2;\n", 10, {{12, "SELECT 1"}, {14, "SELECT 2"}}},
    {"dollar quoting hides semicolons",
     "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND $$ LANGUAGE plpgsql;\nSELECT f();\n", 1,
     {{1, "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND $$ LANGUAGE plpgsql"}, {5, "SELECT f()"}}},
    {"tagged dollar quotes", "DO $body$ BEGIN PERFORM 1; END $body$;\nSELECT $x$;$x$;\n", 1,
     {{1, "DO $body$ BEGIN PERFORM 1; END $body$"}, {2, "SELECT $x$;$x$"}}},
    {"E'' strings with escaped quotes", "INSERT INTO t VALUES (E'it\\'s; fine', 'a;b', 'don''t;');\nSELECT 2;\n", 1,
     {{1, "INSERT INTO t VALUES (E'it\\'s; fine', 'a;b', 'don''t;')"}, {2, "SELECT 2"}}},
    {"quoted identifiers", "CREATE TABLE \"a;b\" (\"c;\" int);\n", 1, {{1, "CREATE TABLE \"a;b\" (\"c;\" int)"}}},
    {"comments between statements are skipped",
     "-- leading comment; with a semicolon\nSELECT 1;\n/* a block;\n   comment */\n\n  SELECT 2; -- trailing\n", 1,
     {{2, "SELECT 1"}, {6, "SELECT 2"}}},
    {"nested block comments", "/* outer /* inner; */ still; */ SELECT 1;\n", 3, {{3, "SELECT 1"}}},
    {"comments inside a statement stay", "SELECT /* one */ 1 -- end\n;\n", 1, {{1, "SELECT /* one */ 1 -- end\n"}}},
    {"empty statements are dropped", ";;\nSELECT 1;;\n;", 1, {{2, "SELECT 1"}}},
    {"CRLF", "SELECT 1;\r\n\r\nSELECT 2;\r\n", 1, {{1, "SELECT 1"}, {3, "SELECT 2"}}},
    {"multi-byte text before a statement", "-- caf\xC3\xA9 \xE2\x82\xAC\nSELECT '\xC3\xA9\xC3\xA9';\nSELECT 2;\n", 1,
     {{2, "SELECT '\xC3\xA9\xC3\xA9'"}, {3, "SELECT 2"}}},
    {"only comments", "-- only a comment\n\n/* and a block */\n", 1, {}},
    {"empty", "", 1, {}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto statements = script::split_statements(row.sql, "x.sql", row.first_line);
    REQUIRE(statements.size() == row.statements.size());
    for (size_t i = 0; i < statements.size(); ++i) {
      INFO("statement " << i);
      CHECK(statements[i].line == row.statements[i].line);
      CHECK(statements[i].sql == row.statements[i].sql);
    }
  }
}

TEST_CASE("a syntax error names the file and the line of the error", "[script][statements]")
{
  struct Row {
    const char* name;
    std::string sql;
    int first_line;
    const char* where;
    const char* what;
  };
  const Row rows[] = {
    {"a misspelt keyword", "SELECT 1;\n\nCREAT TABLE t (id int);\n", 7, "m/bad.sql:9: ", "syntax error at or near \"CREAT\""},
    {"inside a later statement", "SELECT 1;\nSELECT 2;\nSELECT\n  1 +\n  FROM t;\n", 1, "m/bad.sql:5: ", "syntax error"},
    {"an unterminated string", "SELECT 1;\nSELECT 'oops;\n", 20, "m/bad.sql:21: ", "unterminated quoted string"},
    {"an unterminated dollar quote", "SELECT 1;\n\nDO $$ BEGIN\n", 1, "m/bad.sql:3: ", "unterminated dollar-quoted"},
    {"an unterminated block comment", "SELECT 1;\n/* never closed\n", 1, "m/bad.sql:2: ", "unterminated /* comment"},
    // PostgreSQL counts the error position in characters: multi-byte text
    // before the error must not pull the line up.
    {"after multi-byte comments",
     "-- \xD0\xBA\xD0\xBE\xD0\xBC\xD0\xBC\xD0\xB5\xD0\xBD\xD1\x82\xD0\xB0\xD1\x80\xD0\xB8\xD0\xB9 "
     "\xD0\xBF\xD0\xBE-\xD1\x80\xD1\x83\xD1\x81\xD1\x81\xD0\xBA\xD0\xB8\n"
     "SELECT '\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9';\n\n\nSELEC 2;\n",
     1, "m/bad.sql:5: ", "\"SELEC\""},
    {"a CRLF file", "SELECT 1;\r\n\r\nSELEC 2;\r\n", 4, "m/bad.sql:6: ", "\"SELEC\""},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    try {
      script::split_statements(row.sql, "m/bad.sql", row.first_line);
      FAIL("expected a syntax error");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      CHECK_THAT(e.what(), ContainsSubstring(row.where) && ContainsSubstring("syntax error") &&
                             ContainsSubstring(row.what));
    }
  }
}

TEST_CASE("statements that cannot run in a transaction, and ones that end it", "[script][statement_rules]")
{
  struct Row {
    const char* sql;
    bool needs_own;
    bool controls;
  };
  const Row rows[] = {
    {"CREATE INDEX CONCURRENTLY i ON t (a)", true, false},
    {"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", true, false},
    {"CREATE INDEX i ON t (a)", false, false},
    {"DROP INDEX CONCURRENTLY i", true, false},
    {"DROP INDEX i", false, false},
    {"REINDEX INDEX CONCURRENTLY i", true, false},
    {"REINDEX INDEX i", false, false},
    {"VACUUM t", true, false},
    {"ANALYZE t", false, false},
    {"CREATE DATABASE d", true, false},
    {"DROP DATABASE d", true, false},
    {"ALTER SYSTEM SET work_mem = '1MB'", true, false},
    {"BEGIN", false, true},
    {"START TRANSACTION", false, true},
    {"COMMIT", false, true},
    {"END", false, true},
    {"ROLLBACK", false, true},
    {"SAVEPOINT s", false, false},
    {"RELEASE SAVEPOINT s", false, false},
    {"ROLLBACK TO SAVEPOINT s", false, false},
    {"ALTER TABLE t ADD COLUMN c int", false, false},
    {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", true, false},
    {"ALTER TABLE p DETACH PARTITION c", false, false},
    {"VACUUM (ANALYZE) t", true, false},
    {"CREATE TABLESPACE ts LOCATION '/srv/ts'", true, false},
    {"PREPARE TRANSACTION 'x'", false, true},
    {"ABORT", false, true},
    {"SELECT 1", false, false},
    {"SELECT 'begin; commit; vacuum concurrently'", false, false},
    {"CREATE INDEX i ON t (a) WHERE note <> 'concurrently'", false, false},
  };
  for (const auto& row : rows) {
    INFO(row.sql);
    script::Statement stmt{row.sql, 1};
    auto own = script::needs_own_transaction(stmt.sql);
    auto control = script::controls_transaction(stmt.sql);
    CHECK(own.has_value() == row.needs_own);
    CHECK(control.has_value() == row.controls);
    if (own) {
      CHECK_FALSE(own->empty());  // it says why
    }
    if (control) {
      CHECK_FALSE(control->empty());
    }
  }
}

TEST_CASE("statement facts: the statements split_statements finds, their lines and verdicts, any letter case",
          "[script][statements]")
{
  const std::string sql = "-- leading comment\nCREATE TABLE t (a int);\n\ncreate index Concurrently i ON t (a);\n"
                          "/* a comment */ CoMmIt;\nSAVEPOINT s;\nSELECT 'vacuum'";
  const script::SectionFacts facts = script::analyze_section(sql);
  REQUIRE(facts.parses);
  const auto split = script::split_statements(sql, "f.sql", 10);
  REQUIRE(facts.statements.size() == split.size());
  REQUIRE(split.size() == 5);
  for (size_t i = 0; i < split.size(); ++i) {
    CHECK(sql.substr(facts.statements[i].begin, facts.statements[i].length) == split[i].sql);
    CHECK(10 + static_cast<int>(facts.statements[i].line) == split[i].line);
  }
  CHECK(facts.statements[0].use == script::TransactionUse::fine);
  CHECK(facts.statements[1].use == script::TransactionUse::create_index_concurrently);
  CHECK(facts.statements[2].use == script::TransactionUse::controls_transaction);
  CHECK(facts.statements[3].use == script::TransactionUse::fine);
  CHECK(facts.statements[4].use == script::TransactionUse::fine);
  CHECK(std::string(script::describe(facts.statements[1].use)) == "CREATE INDEX CONCURRENTLY");
}

TEST_CASE("statement facts: a syntax error reads as split_statements says it", "[script][statements]")
{
  const std::string sql = "SELECT 1;\n\nSELEC 2;\n";
  const script::SectionFacts facts = script::analyze_section(sql);
  REQUIRE_FALSE(facts.parses);
  std::string expected;
  try {
    script::split_statements(sql, "dir/f.sql", 7);
  } catch (const Error& e) {
    expected = e.what();
  }
  REQUIRE_FALSE(expected.empty());
  try {
    script::require_parses(facts, "dir/f.sql", 7);
    FAIL("a section that does not parse passed");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK(std::string(e.what()) == expected);
    CHECK_THAT(e.what(), Catch::Matchers::ContainsSubstring("dir/f.sql:9: syntax error"));
  }
}

namespace {

// One chunk of text, as a bundle's chunk holds a revision's sections and facts.
class OneChunk final : public script::TextSource {
public:
  explicit OneChunk(std::string text) : m_text(std::move(text)) {}
  std::string_view chunk(uint32_t) const override { return m_text; }

private:
  std::string m_text;
};

} // namespace

TEST_CASE("statement facts survive their encoding, read from right after the downgrade section",
          "[script][statements]")
{
  const std::string up_sql = "CREATE TABLE t (a int);\nVACUUM t;\n";
  const std::string down_sql = "DROP TABLE t;\nDROP TABLE;";  // does not parse
  const auto up = script::analyze_section(up_sql);
  const auto down = script::analyze_section(down_sql);
  const std::string derived = script::encode_facts(up, down);
  const OneChunk chunk(up_sql + down_sql + derived);
  script::Revision rev;
  rev.id = "a";
  rev.path = "x/a.sql";
  rev.upgrade_sql = script::LazyText(&chunk, 0, 0, static_cast<uint32_t>(up_sql.size()));
  rev.downgrade_sql =
    script::LazyText(&chunk, 0, static_cast<uint32_t>(up_sql.size()), static_cast<uint32_t>(down_sql.size()));
  rev.facts_size = static_cast<uint32_t>(derived.size());
  const auto stored_up = script::facts_of(rev, true);
  const auto stored_down = script::facts_of(rev, false);
  CHECK(script::encode_facts(stored_up, stored_down) == derived);
  REQUIRE(stored_up.statements.size() == 2);
  CHECK(stored_up.statements[1].use == script::TransactionUse::vacuum);
  CHECK(stored_up.statements[1].line == 1);
  CHECK_FALSE(stored_down.parses);
  CHECK(stored_down.syntax_error == down.syntax_error);

  // Held in memory (a folder's revision), there is nothing after the section: the facts are derived.
  script::Revision file;
  file.upgrade_sql = up_sql;
  file.downgrade_sql = down_sql;
  file.facts_size = static_cast<uint32_t>(derived.size());
  CHECK(script::encode_facts(script::facts_of(file, true), script::facts_of(file, false)) == derived);
}

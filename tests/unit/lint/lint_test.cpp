// lint: each rule fires on the DDL it is about, stays quiet on the safe
// form, on tables the same revision created, and when the revision's
// header ignores it.

#include "lint/lint.hpp"
#include "script/revision_file.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <set>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

namespace {

std::vector<lint::Finding> lint_upgrade(const std::string& upgrade, const std::string& headers = "")
{
  std::string text = "-- Revision ID: r1\n-- Revises:\n" + headers + "\n-- +upgrade\n" + upgrade + "\n-- +downgrade\n";
  std::vector<script::Revision> revisions{script::parse_revision(text, "m/r1.sql")};
  return lint::lint(migrator::Catalog(std::move(revisions)));
}

std::set<std::string> rule_ids(const std::vector<lint::Finding>& findings)
{
  std::set<std::string> ids;
  for (const auto& f : findings) {
    ids.insert(f.rule->id);
  }
  return ids;
}

} // namespace

TEST_CASE("each rule fires on its DDL and not on the safe form", "[lint]")
{
  struct Row {
    const char* sql;
    std::set<std::string> expected;
  };
  const Row rows[] = {
    {"CREATE INDEX i ON messages (a);", {"create-index-not-concurrently"}},
    {"CREATE INDEX CONCURRENTLY i ON messages (a);", {}},
    {"ALTER TABLE messages ADD COLUMN c int NOT NULL;", {"add-column-not-null-without-default"}},
    {"ALTER TABLE messages ADD COLUMN c int NOT NULL DEFAULT 0;", {}},
    {"ALTER TABLE messages ADD COLUMN c int;", {}},
    {"ALTER TABLE messages ALTER COLUMN c SET NOT NULL;", {"set-not-null"}},
    {"ALTER TABLE messages ALTER COLUMN c TYPE bigint;", {"alter-column-type"}},
    {"ALTER TABLE messages ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES users (id);",
     {"add-foreign-key-without-not-valid"}},
    {"ALTER TABLE messages ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES users (id) NOT VALID;", {}},
    {"ALTER TABLE messages ADD CONSTRAINT k CHECK (length(body) < 10);", {"add-check-without-not-valid"}},
    {"ALTER TABLE messages ADD CONSTRAINT k CHECK (length(body) < 10) NOT VALID;", {}},
    {"DROP TABLE messages;", {"drop-table"}},
    {"ALTER TABLE messages DROP COLUMN c;", {"drop-column"}},
    {"ALTER TABLE messages RENAME COLUMN a TO b;", {"rename"}},
    {"ALTER TABLE messages RENAME TO posts;", {"rename"}},
    {"ALTER TABLE messages ADD COLUMN id2 uuid DEFAULT gen_random_uuid();", {"volatile-default"}},
    {"ALTER TABLE messages ADD COLUMN at timestamptz DEFAULT now();", {}},  // stable: no rewrite
    {"ALTER TABLE messages ADD COLUMN n int GENERATED ALWAYS AS (1) STORED;", {"volatile-default"}},
    {"CREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\nALTER TABLE t ADD COLUMN c int NOT NULL;", {}},
  };
  for (const auto& row : rows) {
    INFO(row.sql);
    CHECK(rule_ids(lint_upgrade(row.sql)) == row.expected);
  }
}

TEST_CASE("findings carry file, line, severity and advice; Lint Ignore silences a rule", "[lint]")
{
  auto findings = lint_upgrade("SELECT 1;\nCREATE INDEX i ON messages (a);\nDROP TABLE old;");
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].path == "m/r1.sql");
  CHECK(findings[0].line == 6);
  CHECK(findings[0].rule->severity == lint::Severity::error);
  CHECK_THAT(lint::format_text(findings), ContainsSubstring("m/r1.sql:6: error [create-index-not-concurrently]") &&
                                            ContainsSubstring("m/r1.sql:7: warning [drop-table]"));
  CHECK_THAT(lint::format_json(findings), ContainsSubstring("\"line\":6") && ContainsSubstring("\"rule\":\"drop-table\""));
  auto quiet = lint_upgrade("CREATE INDEX i ON messages (a);\nDROP TABLE old;", "-- Lint Ignore: drop-table\n");
  CHECK(rule_ids(quiet) == std::set<std::string>{"create-index-not-concurrently"});
}

TEST_CASE("a syntax error is a usage error naming the line", "[lint]")
{
  try {
    lint_upgrade("SELECT 1;\nALTER TABLE messages ADD COLUM c int;");
    FAIL("expected a syntax error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("m/r1.sql:6"));
  }
}

TEST_CASE("drop-table names the tables it drops, qualified as written", "[lint]")
{
  auto findings = lint_upgrade("DROP TABLE old;\nDROP TABLE IF EXISTS app.audit, tmp;");
  REQUIRE(findings.size() == 2);
  CHECK_THAT(lint::format_text(findings), ContainsSubstring("DROP TABLE old") &&
                                            ContainsSubstring("DROP TABLE app.audit, tmp"));
}

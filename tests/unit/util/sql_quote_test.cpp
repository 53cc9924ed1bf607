// SQL quoting (util/sql_quote) for the text lockstep generates. Where it
// matters, the quoted text is run through the PostgreSQL parser.

#include "script/statements.hpp"
#include "util/error.hpp"
#include "util/sql_quote.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

using namespace lockstep;

namespace {

bool parses(const std::string& sql)
{
  try {
    script::split_statements(sql, "generated.sql", 1);
    return true;
  } catch (const Error&) {
    return false;
  }
}

} // namespace

TEST_CASE("quote_literal", "[util][sql_quote]")
{
  struct Row {
    std::string value;
    const char* quoted;
  };
  const Row rows[] = {
    {"", "''"},
    {"abc", "'abc'"},
    {"it's", "'it''s'"},
    {"''", "''''''"},
    {"a\\b", "E'a\\\\b'"},
    {"it's a\\b", "E'it''s a\\\\b'"},
    {"\\", "E'\\\\'"},
    {"line\nbreak", "'line\nbreak'"},
    {"caf\xC3\xA9", "'caf\xC3\xA9'"},
    {"$$; DROP TABLE x; --", "'$$; DROP TABLE x; --'"},
  };
  for (const auto& row : rows) {
    INFO(row.value);
    std::string quoted = util::quote_literal(row.value);
    CHECK(quoted == row.quoted);
    // Whatever the value, the literal is one token: nothing escapes it.
    CHECK(parses("SELECT " + quoted + ";"));
    CHECK(parses("SELECT " + quoted + " AS a, " + quoted + " AS b;"));
  }
}

TEST_CASE("quote_ident", "[util][sql_quote]")
{
  struct Row {
    std::string name;
    const char* quoted;
  };
  const Row rows[] = {
    {"lockstep_version", "lockstep_version"},
    {"_private", "_private"},
    {"t2", "t2"},
    {"public", "public"},
    {"version", "version"},    // an unreserved key word needs no quotes
    {"name", "name"},
    {"Users", "\"Users\""},
    {"2fa", "\"2fa\""},
    {"my-table", "\"my-table\""},
    {"a b", "\"a b\""},
    {"", "\"\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"caf\xC3\xA9", "\"caf\xC3\xA9\""},
    // Reserved, type/function-name and column-name key words: quoted, as
    // PostgreSQL's quote_ident() does.
    {"user", "\"user\""},
    {"order", "\"order\""},
    {"group", "\"group\""},
    {"table", "\"table\""},
    {"select", "\"select\""},
    {"default", "\"default\""},
    {"check", "\"check\""},
    {"end", "\"end\""},
    {"limit", "\"limit\""},
    {"offset", "\"offset\""},
    {"left", "\"left\""},
    {"desc", "\"desc\""},
    {"between", "\"between\""},
    {"time", "\"time\""},
    {"xmltable", "\"xmltable\""},
    {"all", "\"all\""},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(util::quote_ident(row.name) == row.quoted);
  }
}

TEST_CASE("quoted identifiers are accepted where names go", "[util][sql_quote]")
{
  const char* names[] = {"user",   "order", "group", "table", "select", "from",  "where", "check", "default",
                         "offset", "limit", "left",  "right", "desc",   "end",   "all",   "analyse", "window",
                         "between", "int",  "time",  "values", "Users", "a b",   "x\"y",  "lockstep_version"};
  for (const char* name : names) {
    INFO(name);
    const std::string q = util::quote_ident(name);
    CHECK(parses("CREATE TABLE " + q + "." + q + " (" + q + " int, CONSTRAINT " + q + " CHECK (" + q + " > 0));"));
    CHECK(parses("ALTER TABLE " + q + " DROP COLUMN " + q + ";"));
    CHECK(parses("CREATE SCHEMA " + q + ";"));
  }
  // And the reserved ones would not be accepted unquoted: the quoting matters.
  for (const char* name : {"user", "order", "group", "table", "select", "check", "default", "left", "all"}) {
    INFO(name);
    CHECK_FALSE(parses(std::string("CREATE TABLE ") + name + " (id int);"));
  }
}

TEST_CASE("qualified names and text arrays", "[util][sql_quote]")
{
  CHECK(util::qualified_name("", "lockstep_version") == "lockstep_version");
  CHECK(util::qualified_name("public", "alembic_version") == "public.alembic_version");
  CHECK(util::qualified_name("My Schema", "user") == "\"My Schema\".\"user\"");

  struct Row {
    std::vector<std::string> values;
    const char* literal;
  };
  const Row rows[] = {
    {{}, "ARRAY[]::text[]"},
    {{"a"}, "ARRAY['a']::text[]"},
    {{"a", "b'c", "d\\e"}, "ARRAY['a','b''c',E'd\\\\e']::text[]"},
  };
  for (const auto& row : rows) {
    std::string literal = util::text_array_literal(row.values);
    CHECK(literal == row.literal);
    CHECK(parses("SELECT " + literal + ";"));
  }
}

// util/strings: the string helpers the parser, the CLI and the SQL generators share.

#include "util/strings.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

using namespace lockstep;
using Strings = std::vector<std::string>;

TEST_CASE("trim, case and affixes", "[util][strings]")
{
  struct Row {
    const char* text;
    const char* trimmed;
  };
  const Row rows[] = {
    {"", ""}, {"   ", ""}, {"a", "a"}, {" \t a b \r\n", "a b"}, {"\na\n", "a"},
  };
  for (const auto& row : rows) {
    CHECK(util::trim(row.text) == row.trimmed);
  }
  CHECK(util::to_lower("Revision ID") == "revision id");
  CHECK(util::starts_with("-- +upgrade", "--"));
  CHECK_FALSE(util::starts_with("-", "--"));
  CHECK(util::ends_with("a.sql", ".sql"));
  CHECK_FALSE(util::ends_with("sql", ".sql"));
  CHECK(util::ends_with("x", ""));
}

TEST_CASE("split_list and join", "[util][strings]")
{
  struct Row {
    const char* text;
    Strings parts;
  };
  const Row rows[] = {
    {"", {}},
    {"a", {"a"}},
    {"a, b,,c", {"a", "b", "c"}},
    {" a ,b , ", {"a", "b"}},
    {",,,", {}},
    {"a b, c", {"a b", "c"}},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(util::split_list(row.text) == row.parts);
  }
  CHECK(util::split_list("a;b", ';') == Strings{"a", "b"});
  CHECK(util::join({}, ", ").empty());
  CHECK(util::join({"a"}, ", ") == "a");
  CHECK(util::join({"a", "b", "c"}, ", ") == "a, b, c");
}

TEST_CASE("slugify", "[util][strings]")
{
  struct Row {
    const char* message;
    const char* slug;
  };
  const Row rows[] = {
    {"Add edited_at to Messages!", "add_edited_at_to_messages"},
    {"", ""},
    {"!!!", ""},
    {"  spaced   out  ", "spaced_out"},
    {"v2 -> v3", "v2_v3"},
    {"caf\xC3\xA9", "caf"},
    {"a very long message that goes on and on well past forty characters", "a_very_long_message_that_goes_on_and_on"},
    {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyzabcdefghijklmn"},
  };
  for (const auto& row : rows) {
    INFO(row.message);
    std::string slug = util::slugify(row.message);
    CHECK(slug == row.slug);
    CHECK(slug.size() <= 40);
  }
}

TEST_CASE("utf8_byte_offset: characters to bytes", "[util][strings]")
{
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // a é € 😀 z
  struct Row {
    size_t chars;
    size_t bytes;
  };
  const Row rows[] = {{0, 0}, {1, 1}, {2, 3}, {3, 6}, {4, 10}, {5, 11}, {6, 11}, {100, 11}};
  for (const auto& row : rows) {
    INFO(row.chars);
    CHECK(util::utf8_byte_offset(text, row.chars) == row.bytes);
  }
  CHECK(util::utf8_byte_offset("plain", 3) == 3);
  CHECK(util::utf8_byte_offset("", 0) == 0);
}

// Small helpers in util/: strings, file reads, SHA-256.

#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;
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

TEST_CASE("read_file names the path it cannot read", "[util][strings]")
{
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("lockstep-strings-test-" + util::random_hex(6));
  fs::create_directories(dir);
  std::string big(200000, 'x');  // larger than one read
  big[123456] = 'y';
  std::ofstream(dir / "big.txt", std::ios::binary) << big;
  CHECK(util::read_file((dir / "big.txt").string()) == big);
  std::ofstream(dir / "empty.txt");
  CHECK(util::read_file((dir / "empty.txt").string()).empty());
  try {
    util::read_file((dir / "missing.txt").string());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("missing.txt: cannot read"));
  }
  fs::remove_all(dir);
}

TEST_CASE("SHA-256 and random ids", "[util][sha256]")
{
  CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(util::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string id = util::random_hex(6);
    CHECK(id.size() == 12);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 50);
  CHECK(util::random_hex(0).empty());
}

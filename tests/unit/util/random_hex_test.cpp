// util/random_hex and util/hex: random ids are lower-case hex of the asked
// length and do not repeat.

#include "util/hex.hpp"
#include "util/random_hex.hpp"

#include <catch2/catch_test_macros.hpp>

#include <set>
#include <string>

using namespace lockstep;

TEST_CASE("random ids: 2 hex digits per byte, none repeated", "[util][random_hex]")
{
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

TEST_CASE("to_hex: high nibble first, lower case", "[util][random_hex]")
{
  const unsigned char bytes[] = {0x00, 0x1f, 0xa0, 0xff};
  CHECK(util::to_hex(bytes, 4) == "001fa0ff");
  CHECK(util::to_hex(bytes, 0).empty());
}

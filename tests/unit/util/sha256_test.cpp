// util/sha256: digests against the published test vectors (FIPS 180-2).

#include "util/sha256.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>

using namespace lockstep;

TEST_CASE("SHA-256 of the published test vectors", "[util][sha256]")
{
  CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(util::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

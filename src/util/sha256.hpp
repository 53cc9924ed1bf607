// SHA-256 through OpenSSL's EVP interface: revision checksums and shard ids.
#pragma once

#include <string>
#include <string_view>

namespace lockstep::util {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

} // namespace lockstep::util

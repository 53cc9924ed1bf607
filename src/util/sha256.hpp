// SHA-256 through OpenSSL's EVP interface, and random ids.
#pragma once

#include <string>
#include <string_view>

namespace lockstep::util {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

// `count` random bytes from the kernel's CSPRNG (getrandom) as lower-case
// hex (2*count chars).
std::string random_hex(size_t count);

} // namespace lockstep::util

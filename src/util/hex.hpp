// Bytes as lower-case hexadecimal: the one spelling of digests and random ids.
#pragma once

#include <cstddef>
#include <string>

namespace lockstep::util {

// Two characters per byte, high nibble first: {0x1f, 0xa0} -> "1fa0".
std::string to_hex(const unsigned char* bytes, size_t count);

} // namespace lockstep::util

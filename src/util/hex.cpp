#include "util/hex.hpp"

namespace lockstep::util {

std::string to_hex(const unsigned char* bytes, size_t count)
{
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(count * 2);
  for (size_t i = 0; i < count; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0x0f];
  }
  return out;
}

} // namespace lockstep::util

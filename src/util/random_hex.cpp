#include "util/random_hex.hpp"

#include "util/error.hpp"
#include "util/hex.hpp"

#include <cerrno>
#include <sys/random.h>

#include <vector>

namespace lockstep::util {

std::string random_hex(size_t count)
{
  // The kernel's CSPRNG directly: OpenSSL's would first load its config and
  // seed a DRBG, which costs more than the rest of a no-op run's start.
  std::vector<unsigned char> bytes(count);
  size_t filled = 0;
  while (filled < count) {
    ssize_t n = getrandom(bytes.data() + filled, count - filled, 0);
    if (n < 0 && errno != EINTR) {
      throw Error(ExitCode::internal, "getrandom failed");
    }
    filled += n > 0 ? static_cast<size_t>(n) : 0;
  }
  return to_hex(bytes.data(), count);
}

} // namespace lockstep::util

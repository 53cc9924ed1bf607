#include "util/sha256.hpp"

#include "util/error.hpp"

#include <openssl/evp.h>
#include <cerrno>
#include <sys/random.h>

#include <memory>
#include <vector>

namespace lockstep::util {

namespace {

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

} // namespace

std::string sha256_hex(std::string_view data)
{
  // Fetch the implementation once: EVP_sha256() makes OpenSSL 3 look it up
  // again on every call, which costs more than hashing a migration.
  // One context per thread, reused: EVP_Digest() would allocate and free
  // one per call (checksums are taken for every revision planned).
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                                       &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (sha256 == nullptr || context == nullptr || EVP_DigestInit_ex2(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    throw Error(ExitCode::internal, "SHA-256 failed in OpenSSL");
  }
  return to_hex(digest, length);
}

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

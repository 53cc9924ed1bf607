#include "util/sha256.hpp"

#include "util/error.hpp"
#include "util/hex.hpp"

#include <openssl/evp.h>

#include <memory>

namespace lockstep::util {

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

} // namespace lockstep::util

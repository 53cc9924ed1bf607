// Random ids: revision ids, scratch database names, lock owners, run ids.
// Unpredictable (the kernel's CSPRNG), so two pods never pick the same one.
#pragma once

#include <cstddef>
#include <string>

namespace lockstep::util {

// `count` random bytes from the kernel's CSPRNG (getrandom) as lower-case
// hex (2*count chars). Error(internal) when the kernel refuses.
std::string random_hex(size_t count);

} // namespace lockstep::util

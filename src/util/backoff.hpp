// Capped exponential backoff with jitter: the one schedule every retry loop
// in lockstep waits by (connecting, a busy table, lock contention, the
// Kubernetes API). Each delay is the previous one doubled, capped, plus up
// to half of it again at random so fifty pods do not retry in step.
#pragma once

#include <chrono>
#include <random>

namespace lockstep::util {

class Backoff {
public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap);

  // The next delay to wait: first, 2*first, ... up to cap, each plus jitter.
  std::chrono::milliseconds next();
  // The next delay without jitter (for messages that announce it).
  std::chrono::milliseconds peek() const { return m_delay; }

private:
  std::chrono::milliseconds m_delay;
  std::chrono::milliseconds m_cap;
  std::mt19937 m_random;
};

} // namespace lockstep::util

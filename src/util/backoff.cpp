#include "util/backoff.hpp"

#include <algorithm>

namespace lockstep::util {

Backoff::Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap)
  : m_delay(first), m_cap(cap), m_random(std::random_device{}())
{
}

std::chrono::milliseconds Backoff::next()
{
  const auto delay = m_delay;
  m_delay = std::min(m_delay * 2, m_cap);
  return delay + std::chrono::milliseconds(m_random() % static_cast<unsigned>(delay.count() / 2 + 1));
}

} // namespace lockstep::util

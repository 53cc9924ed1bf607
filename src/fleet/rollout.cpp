#include "fleet/rollout.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace lockstep::fleet {

RunOrder run_order(const std::vector<Target>& targets, const config::Config& config)
{
  RunOrder run;
  std::vector<bool> taken(targets.size(), false);
  if (!config.canary_ids.empty()) {
    for (const auto& id : config.canary_ids) {
      for (size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].id == id && !taken[i]) {
          run.order.push_back(i);
          taken[i] = true;
        }
      }
    }
  } else {
    for (size_t i = 0; i < targets.size() && i < static_cast<size_t>(config.canary); ++i) {
      run.order.push_back(i);
      taken[i] = true;
    }
  }
  run.canary = run.order.size();
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!taken[i]) {
      run.order.push_back(i);
    }
  }
  return run;
}

std::optional<int> failure_budget(const config::Config& config, size_t targets)
{
  if (config.max_failures) {
    return *config.max_failures;
  }
  if (config.max_failures_percent) {
    // Integer-exact for percentages with up to 4 decimals: 5% of 40 is 2, not 2.0000000001 -> 3.
    const long long scaled = std::llround(*config.max_failures_percent * 10'000);
    const long long budget = (scaled * static_cast<long long>(targets) + 1'000'000 - 1) / 1'000'000;
    return static_cast<int>(std::max<long long>(1, budget));
  }
  return std::nullopt;
}

bool relative_target(const std::string& target)
{
  size_t i = target.size();
  while (i > 0 && std::isdigit(static_cast<unsigned char>(target[i - 1]))) {
    --i;
  }
  return i < target.size() && i > 0 && (target[i - 1] == '+' || target[i - 1] == '-');
}

} // namespace lockstep::fleet

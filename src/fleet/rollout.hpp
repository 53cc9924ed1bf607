// A fleet's safe rollout: which targets run first (the canary stage), how
// many may fail before no new target starts (the failure budget), and which
// revision targets can be re-run safely across a fleet.
//
// Promises (README.md, "Fleets"): the canary stage is the first `canary`
// targets, or the targets canary_ids names that are in this shard, in the
// order it names them; the others follow in the fleet's order. A budget in
// percent is of the targets in this shard, rounded up, and never below 1.
// Pure functions: no I/O.
#pragma once

#include "config/config.hpp"
#include "fleet/targets.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lockstep::fleet {

struct RunOrder {
  std::vector<size_t> order;  // indexes into the targets: the canary stage first
  size_t canary = 0;          // how many of `order` form the canary stage
};

RunOrder run_order(const std::vector<Target>& targets, const config::Config& config);

// After this many failed targets no new one starts; nullopt: no limit.
std::optional<int> failure_budget(const config::Config& config, size_t targets);

// True for targets that move relative to where each database is (-1, +2,
// <rev>-1, <label>@+1): run twice across a fleet, they move every target
// that had already moved, so a fleet refuses them.
bool relative_target(const std::string& target);

} // namespace lockstep::fleet

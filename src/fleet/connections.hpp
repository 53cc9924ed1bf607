// Connection-count-aware concurrency: a fleet never asks a server for more
// connections than it has free.
//
// Before the run, one short connection per database server involved (the
// first target's credentials) reads what is free: max_connections minus
// superuser_reserved_connections (and reserved_connections, PostgreSQL 16+)
// minus the client connections open now; for each role the targets connect
// as, rolconnlimit minus its open connections; for each database with a
// CONNECTION LIMIT, datconnlimit minus its open connections. Each of those
// is a pool of slots (free connections divided by the connections a target
// holds: 1, or 2 with lock_mode lease for the lease's heartbeat); a target
// runs only while it holds one slot of each pool it belongs to. A pool with
// nothing free still gets one slot (its targets then wait for the server as
// a single run would, until connect_timeout). A server that cannot be
// probed is not capped (its targets fail on their own).
// Every cap below `parallel` is logged with the numbers it came from.
#pragma once

#include "config/config.hpp"
#include "fleet/targets.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace lockstep::fleet {

// "host:port" (server), "host:port role R", "host:port database D": the
// pools a target belongs to, from its redacted display.
std::vector<std::string> pools_of(const Target& target);

class Slots {
public:
  // Probes every server of `targets` (see above); `parallel` caps the total.
  Slots(const std::vector<Target>& targets, const config::Config& config);
  // With given capacities (pool -> slots), for tests.
  Slots(const std::vector<Target>& targets, std::map<std::string, int> capacity, int parallel);

  // How many targets can run at once: `parallel`, or fewer when the pools
  // cannot hold that many.
  int effective_parallel() const { return m_effective; }

  // Blocks until target `index` holds a slot of each of its pools; false
  // (holding nothing) when a signal arrived while waiting.
  bool acquire(size_t index);
  void release(size_t index);

private:
  void compute_effective(int parallel);

  std::vector<std::vector<std::string>> m_pools;  // per target
  std::map<std::string, int> m_free;              // pool -> slots free now (absent: unlimited)
  int m_effective = 1;
  std::mutex m_mutex;
  std::condition_variable m_changed;
};

} // namespace lockstep::fleet

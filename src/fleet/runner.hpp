// A fleet run: one command (upgrade, downgrade, stamp, validate, current,
// status) on every target of this shard, each through its own db::Driver
// and migrator::Migrator, on at most `parallel` threads (one connection
// each, two with a lease), fewer when the servers have fewer connections
// free (fleet/connections).
//
// Promises: the migrations load once; each target gets exactly the
// guarantees of a single-database run (its own lock, the read-only fast
// path, its own transactions), and one target's failure never touches
// another; the first `canary` targets finish before any other starts, and
// a failed canary skips the rest; after `max_failures` failed targets no new
// one starts; a signal cancels every in-flight statement (util/interrupt),
// starts nothing new, and the run exits 128+N. The exit code is the worst
// class across targets (worst_exit_code). Output: a table (text) or one JSON
// line per target plus a total (log_format json) on `out`, the totals in the
// RunSummary for the termination message.
#pragma once

#include "config/config.hpp"
#include "report/summary.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace lockstep::fleet {

struct Request {
  std::string command;     // upgrade, downgrade, stamp, validate, current or status
  std::string target;      // the revision target of upgrade ("" = heads), downgrade and stamp
  bool ignore_checksums = false;
  bool purge = false;       // stamp --purge
  bool single_head = false; // validate --single-head
  bool sql = false;         // --sql: refused across a fleet
};

// Commands that change or read each target's state: with fleet settings they
// go through run() (which refuses repair and wait: one database at a time);
// the others (heads, lint, revision, ...) ignore the fleet.
bool applies_to(const std::string& command);

// Of two exit codes, the one that wins in a fleet's total (README.md,
// "Fleets"): signal > 2 > 6 > 5 > 1 > 4 > 3 > 7 > 0.
int worst_exit_code(int a, int b);

// Runs `request` across the configured fleet; returns the exit code.
int run(const config::Config& config, const config::Environment& env, const Request& request, std::ostream& out,
        report::RunSummary& summary);

} // namespace lockstep::fleet

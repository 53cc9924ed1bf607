// What a run did, in one line of JSON: the termination message.
//
// Kubernetes shows the file at terminationMessagePath in `kubectl describe
// pod` and keeps at most 4096 bytes of it, so the line is built to fit
// rather than cut: the error starts at 1 KiB at most; when the line is
// still too long the lists of revisions keep only their first entries
// ("applied_count" / "from_count" / "to_count" say how many there were),
// then the error is shortened further, and as a last resort only the fixed
// fields remain. A fleet's failures are the first list cut (each entry is
// shortened to 256 bytes; "failures_count" keeps the number). The result is always one line of valid JSON in valid
// UTF-8 (bad bytes become U+FFFD).
// Pure functions, no I/O except write_termination_message.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lockstep::report {

// A fleet run's totals (README.md, "Fleets"), in the message as "fleet".
struct FleetTotals {
  int targets = 0;     // in this shard
  int succeeded = 0;   // migrated, or already at the goal
  int failed = 0;
  int skipped = 0;     // never started: canary failed, failure budget spent, or a signal
  std::vector<std::string> failures;  // "<target id>: exit N: <error>", in the order they failed
};

struct RunSummary {
  std::string status;   // "succeeded" | "failed"
  int exit_code = 0;
  std::string command;  // "upgrade heads"
  std::vector<std::string> from, to, applied;
  long long duration_ms = 0;
  std::string run_id;
  // On failure:
  std::string failed_revision;
  std::string sqlstate;
  std::string error;
  bool nothing_to_do = false;
  std::optional<FleetTotals> fleet;
};

constexpr size_t kTerminationMessageLimit = 4096;
// The error in the termination message starts at this many bytes.
constexpr size_t kTerminationErrorLimit = 1024;

// {"status":"succeeded","exit_code":0,"command":"upgrade heads","from":[...],
//  "to":[...],"applied":[...],"nothing_to_do":false,"duration_ms":12,
//  "run_id":"..."} plus, on failure, "revision", "sqlstate" and "error".
// At most `limit` bytes (for any limit >= 2048).
std::string termination_message(const RunSummary& summary, size_t limit = kTerminationMessageLimit);

// Cuts `text` to at most `max_bytes` bytes on a UTF-8 boundary, ending in
// "..." when it cut.
std::string shorten(const std::string& text, size_t max_bytes);

// `text` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by U+FFFD, so that JSON built from it is valid.
std::string valid_utf8(const std::string& text);

// Writes the message to `path`; returns false (and leaves it to the caller
// to log) when the file cannot be written.
bool write_termination_message(const std::string& path, const std::string& message);

} // namespace lockstep::report

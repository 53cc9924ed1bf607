// What a run did, in one line of JSON: the termination message.
//
// Kubernetes shows the file at terminationMessagePath in `kubectl describe
// pod` and keeps at most 4096 bytes of it, so the line is built to fit:
// the error is shortened first, then the list of applied revisions, and the
// result is always valid JSON.
#pragma once

#include <string>
#include <vector>

namespace lockstep::report {

struct RunSummary {
  std::string status;   // "succeeded" | "failed"
  int exit_code = 0;
  std::string command;  // "upgrade heads"
  std::vector<std::string> from, to, applied;
  long long duration_ms = 0;
  std::string run_id;
  bool nothing_to_do = false;
  // On failure:
  std::string failed_revision;
  std::string sqlstate;
  std::string error;
};

constexpr size_t kTerminationMessageLimit = 4096;

// {"status":"succeeded","exit_code":0,"command":"upgrade heads","from":[...],
//  "to":[...],"applied":[...],"duration_ms":12,"run_id":"..."} plus, on
// failure, "revision", "sqlstate" and "error". At most `limit` bytes.
std::string termination_message(const RunSummary& summary, size_t limit = kTerminationMessageLimit);

// Cuts `text` to at most `max_bytes` bytes on a UTF-8 boundary, ending in
// "..." when it cut.
std::string shorten(const std::string& text, size_t max_bytes);

// Writes the message to `path`; returns false (and leaves it to the caller
// to log) when the file cannot be written.
bool write_termination_message(const std::string& path, const std::string& message);

} // namespace lockstep::report

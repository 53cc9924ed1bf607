// Errors and exit codes.
//
// Every failure that reaches the user is an lockstep::Error carrying the exit
// code from README.md ("Exit codes"). Lower layers throw; the CLI catches once, at the top,
// prints the message and returns the code. Messages must never contain a
// password or token: build them from redacted values only.
#pragma once

#include <stdexcept>
#include <string>

namespace lockstep {

enum class ExitCode : int {
  ok = 0,
  internal = 1,           // unexpected internal error: retry
  usage = 2,              // usage/config error, bad migration file, bad graph
  unreachable = 3,        // database not reachable within connect_timeout
  lock_timeout = 4,       // lock not acquired within lock_timeout
  migration_failed = 5,   // a migration failed and was rolled back
  validation_failed = 6,  // checksum changed, unknown revision, dirty state
  not_at_head = 7,        // status/wait: not at head; check: drift
};

// What a failed migration step adds for reports (termination message,
// annotations): which revision, and the server's SQLSTATE.
struct FailureDetail {
  std::string revision;
  std::string sqlstate;
};

class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message, FailureDetail detail = {})
    : std::runtime_error(message), m_code(code), m_detail(std::move(detail))
  {
  }

  ExitCode code() const { return m_code; }
  const FailureDetail& detail() const { return m_detail; }

private:
  ExitCode m_code;
  FailureDetail m_detail;
};

// Shorthands for the codes thrown most often.
[[noreturn]] void throw_usage(const std::string& message);
[[noreturn]] void throw_validation(const std::string& message);

} // namespace lockstep

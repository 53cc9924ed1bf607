// What a PostgreSQL error means to lockstep, decided once, from its SQLSTATE
// class (README.md, "Exit codes": the table of SQLSTATE classes). db::Session
// turns every server error into a lockstep::Error through this at its edge;
// nothing above db/ sees a driver exception or decides on an SQLSTATE.
#pragma once

#include "util/error.hpp"

#include <string_view>

namespace lockstep::db {

enum class Fault {
  connection,      // 08 connection exception, 57P01-57P03 shutdown/cannot connect now
  resources,       // 53 insufficient resources (too many connections, disk full, out of memory)
  contention,      // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available
  privilege,       // 42501 insufficient privilege
  missing_schema,  // 3F000 invalid schema name (no schema to create lockstep's tables in)
  credentials,     // 28 invalid authorization, 3D000 no such database
  canceled,        // 57014 query canceled (a signal, or statement_timeout)
  other,           // everything else
};

Fault classify(std::string_view sqlstate);

// Where the error happened decides the exit code as much as the SQLSTATE.
enum class Place {
  own_tables,     // lockstep's own SQL: state, lock, lease, bookkeeping
  user_revision,  // a statement of a user's revision
};

// The exit code for a fault that is not (or no longer) retried:
//   connection, resources, credentials     -> 3 (unreachable: a Job retries)
//   contention                             -> 4 in own_tables, 5 in a revision
//   privilege, missing_schema              -> 2 in own_tables (configuration), 5 in a revision
//   canceled, other                        -> 1 in own_tables (internal), 5 in a revision
// (A signal is 128+N; that is decided before the SQLSTATE is looked at.)
ExitCode exit_code_for(Fault fault, Place place);

// Whether a failed transaction may simply run again: it rolled back whole and
// the failure came from other sessions, not from what it does.
constexpr bool retryable(Fault fault)
{
  return fault == Fault::contention;
}

} // namespace lockstep::db

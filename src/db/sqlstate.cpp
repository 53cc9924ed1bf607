#include "db/sqlstate.hpp"

namespace lockstep::db {

Fault classify(std::string_view sqlstate)
{
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return Fault::connection;
  }
  if (cls == "53") {
    return Fault::resources;
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Fault::contention;
  }
  if (sqlstate == "42501") {
    return Fault::privilege;
  }
  if (sqlstate == "3F000") {
    return Fault::missing_schema;
  }
  if (cls == "28" || sqlstate == "3D000") {
    return Fault::credentials;
  }
  if (sqlstate == "57014") {
    return Fault::canceled;
  }
  return Fault::other;
}

ExitCode exit_code_for(Fault fault, Place place)
{
  switch (fault) {
  case Fault::connection:
  case Fault::resources:
  case Fault::credentials:
    return ExitCode::unreachable;
  default:
    break;
  }
  if (place == Place::user_revision) {
    return ExitCode::migration_failed;
  }
  switch (fault) {
  case Fault::contention:
    return ExitCode::lock_timeout;
  case Fault::privilege:
  case Fault::missing_schema:
    return ExitCode::usage;
  default:
    return ExitCode::internal;
  }
}

} // namespace lockstep::db

// db/sqlstate: README.md's table of SQLSTATE classes and exit codes, as data.
// (tests/integration/sqlstate_test.cpp provokes each row on a real server.)

#include "db/sqlstate.hpp"

#include <catch2/catch_test_macros.hpp>

using lockstep::ExitCode;
using lockstep::db::Fault;
using lockstep::db::Place;
using lockstep::db::classify;
using lockstep::db::exit_code_for;

TEST_CASE("SQLSTATE classes map to faults and exit codes", "[sqlstate]")
{
  struct Row {
    const char* sqlstate;
    Fault fault;
    ExitCode own_tables;
    ExitCode in_revision;
  };
  const Row rows[] = {
    {"08006", Fault::connection, ExitCode::unreachable, ExitCode::unreachable},
    {"57P01", Fault::connection, ExitCode::unreachable, ExitCode::unreachable},
    {"57P03", Fault::connection, ExitCode::unreachable, ExitCode::unreachable},
    {"53300", Fault::resources, ExitCode::unreachable, ExitCode::unreachable},
    {"53100", Fault::resources, ExitCode::unreachable, ExitCode::unreachable},
    {"28P01", Fault::credentials, ExitCode::unreachable, ExitCode::unreachable},
    {"3D000", Fault::credentials, ExitCode::unreachable, ExitCode::unreachable},
    {"40001", Fault::contention, ExitCode::lock_timeout, ExitCode::migration_failed},
    {"40P01", Fault::contention, ExitCode::lock_timeout, ExitCode::migration_failed},
    {"55P03", Fault::contention, ExitCode::lock_timeout, ExitCode::migration_failed},
    {"42501", Fault::privilege, ExitCode::usage, ExitCode::migration_failed},
    {"3F000", Fault::missing_schema, ExitCode::usage, ExitCode::migration_failed},
    {"57014", Fault::canceled, ExitCode::internal, ExitCode::migration_failed},
    {"42P01", Fault::other, ExitCode::internal, ExitCode::migration_failed},
    {"23505", Fault::other, ExitCode::internal, ExitCode::migration_failed},
    {"", Fault::other, ExitCode::internal, ExitCode::migration_failed},
  };
  for (const Row& row : rows) {
    CAPTURE(row.sqlstate);
    CHECK(classify(row.sqlstate) == row.fault);
    CHECK(exit_code_for(row.fault, Place::own_tables) == row.own_tables);
    CHECK(exit_code_for(row.fault, Place::user_revision) == row.in_revision);
  }
  CHECK(lockstep::db::retryable(Fault::contention));
  CHECK_FALSE(lockstep::db::retryable(Fault::privilege));
}

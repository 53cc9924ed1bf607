// The migrator's cases every db::Driver must pass (db/driver.hpp's checklist,
// seen from the migrator): read -> lock -> re-read -> plan -> run, and its
// failure paths. tests/unit/migrator/migrator_test.cpp runs them on the
// in-memory fake, tests/integration/driver_conformance_test.cpp on the
// PostgreSQL driver against the suite's server; a case that passes on one
// and fails on the other is a bug in the fake or in the driver.
#pragma once

#include "db/driver.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lockstep::test {

// Stands for one database: each connect() is a new connection to it.
class DriverFactory {
public:
  virtual ~DriverFactory() = default;
  virtual std::unique_ptr<db::Driver> connect() = 0;
};

struct DriverCase {
  const char* name;
  std::function<void(DriverFactory&)> run;
};

// The SQL every driver must treat alike: it fails with SQLSTATE 22012
// (division_by_zero), as PostgreSQL does.
constexpr const char* kFailingStatement = "SELECT 1/0";

const std::vector<DriverCase>& driver_cases();

} // namespace lockstep::test

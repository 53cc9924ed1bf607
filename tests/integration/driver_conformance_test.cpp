// The driver conformance cases (tests/conformance/driver_cases.hpp) on the
// PostgreSQL driver, each on a fresh scratch database of the suite's server.
// tests/unit/migrator/migrator_test.cpp runs the same cases on the fake.

#include "conformance/driver_cases.hpp"
#include "db/connection_url.hpp"
#include "db/session.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>

namespace {

class PostgresFactory final : public lockstep::test::DriverFactory {
public:
  std::unique_ptr<lockstep::db::Driver> connect() override
  {
    lockstep::db::TableNames names;
    names.version_table = "lockstep_version";
    return std::make_unique<lockstep::db::Session>(lockstep::db::parse_database_url(database.url(), {}), names,
                                                   std::chrono::seconds(30));
  }
  lockstep::test::ScratchDatabase database;
};

} // namespace

TEST_CASE("the driver conformance cases pass on the PostgreSQL driver", "[driver]")
{
  for (const auto& driver_case : lockstep::test::driver_cases()) {
    DYNAMIC_SECTION(driver_case.name)
    {
      PostgresFactory factory;
      driver_case.run(factory);
    }
  }
}

// db/connection_url: what users write, what libpq gets, what logs may show.

#include "db/connection_url.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

using lockstep::db::ConnectionOptions;
using lockstep::db::parse_database_url;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("URLs of every accepted form give libpq a connection string and logs a redacted form", "[db][url]")
{
  struct Row {
    const char* url;
    const char* display;
    const char* in_conninfo;
  };
  const Row rows[] = {
    {"postgresql://app:s3cret@db.example:5433/orders", "postgresql://app@db.example:5433/orders", "password='s3cret'"},
    {"postgres://app:s3cret@db/orders", "postgresql://app@db/orders", "host='db'"},
    {"postgresql+asyncpg://app:s3cret@db/orders", "postgresql://app@db/orders", "dbname='orders'"},
    {"postgresql+psycopg2://app@db/orders?sslmode=require", "postgresql://app@db/orders", "sslmode='require'"},
    {"host=db port=5432 dbname=orders user=app password=s3cret", "postgresql://app@db:5432/orders", "user='app'"},
    {"postgresql://app@[::1]:5432/orders", "postgresql://app@[::1]:5432/orders", "host='::1'"},
    {"postgresql:///orders?host=/var/run/postgresql", "postgresql:///var/run/postgresql/orders", "host='/var/run/postgresql'"},
    {"postgresql://app:it's\\quoted@db/orders", "postgresql://app@db/orders", "password='it\\'s\\\\quoted'"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.url);
    auto target = parse_database_url(row.url, {});
    CHECK(target.display == row.display);
    CHECK_THAT(target.conninfo, ContainsSubstring(row.in_conninfo));
    CHECK_THAT(target.display, !ContainsSubstring("s3cret") && !ContainsSubstring("quoted"));
  }
}

TEST_CASE("options fill what the URL leaves out, and never override what it says", "[db][url]")
{
  ConnectionOptions options;
  options.application_name = "lockstep/web-0";
  options.password = "from-file";
  options.attempt_timeout_seconds = 10;
  auto target = parse_database_url("postgresql://app:in-url@db/orders", options);
  CHECK_THAT(target.conninfo, ContainsSubstring("application_name='lockstep/web-0'") &&
                                ContainsSubstring("connect_timeout='10'") && ContainsSubstring("password='from-file'") &&
                                !ContainsSubstring("in-url"));
  auto own = parse_database_url("postgresql://app@db/orders?application_name=mine&connect_timeout=3", options);
  CHECK_THAT(own.conninfo, ContainsSubstring("application_name='mine'") && ContainsSubstring("connect_timeout='3'"));
}

TEST_CASE("a URL libpq cannot parse is a usage error that does not echo the password", "[db][url]")
{
  try {
    parse_database_url("postgresql://app:s3cret@db/orders?nonsense_option=1", {});
    FAIL("the URL should have been refused");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == lockstep::ExitCode::usage);
    CHECK_THAT(e.what(), !ContainsSubstring("s3cret"));
  }
  CHECK_THROWS_AS(parse_database_url("", {}), lockstep::Error);
}

TEST_CASE("scrub replaces every occurrence of a secret; with_database points at another database", "[db][url]")
{
  CHECK(lockstep::db::scrub("a s3cret and s3cret again", "s3cret") == "a *** and *** again");
  CHECK(lockstep::db::scrub("nothing to hide", "") == "nothing to hide");
  auto target = parse_database_url("postgresql://app:s3cret@db:5432/orders", {});
  auto scratch = lockstep::db::with_database(target, "lockstep_check_1a2b");
  CHECK(scratch.display == "postgresql://app@db:5432/lockstep_check_1a2b");
  CHECK_THAT(scratch.conninfo, ContainsSubstring("password='s3cret'") &&
                                 ContainsSubstring("dbname='lockstep_check_1a2b'"));
}

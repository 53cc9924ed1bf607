// migrator/validate: what `lockstep validate` finds, as data, on the
// in-memory fake driver: counts and heads from the files, the single-head
// rule, and the database's problems (edited applied revisions, dirty state).
// The CLI's text for them is held by tests/integration.

#include "conformance/revisions.hpp"
#include "db/fake_driver.hpp"
#include "migrator/validate.hpp"
#include "script/revision_file.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
using lockstep::test::FakeDatabase;
using lockstep::test::FakeDriver;
using lockstep::test::make_revision;
using Strings = std::vector<std::string>;

namespace {

// a -> b and a -> c: two heads.
std::vector<script::Revision> forked()
{
  return {make_revision("a", "", "CREATE TABLE t_a (id int);", "DROP TABLE t_a;"),
          make_revision("b", "a", "CREATE TABLE t_b (id int); CREATE INDEX t_b_id ON t_b (id);", "DROP TABLE t_b;"),
          make_revision("c", "a", "CREATE TABLE t_c (id int);", "DROP TABLE t_c;")};
}

config::Config unit_config()
{
  config::Config c;
  c.run_by = "unit";
  return c;
}

struct Fixture {
  std::shared_ptr<FakeDatabase> database = std::make_shared<FakeDatabase>();
  migrator::Migrator migrator{unit_config(), forked(), std::make_unique<FakeDriver>(database)};

  void applied(const Strings& rows, bool edit_a)
  {
    database->state.initialized = true;
    database->state.rows = rows;
    for (const auto& rev : forked()) {
      database->state.checksums[rev.id] = script::checksum_of(rev);
    }
    if (edit_a) {
      database->state.checksums["a"] = std::string(64, '0');
    }
  }
};

} // namespace

TEST_CASE("files only: counts and heads, the database not read", "[migrator][validate]")
{
  Fixture f;
  migrator::Validation v = migrator::validate(f.migrator, false, false);
  CHECK(v.revisions == 3);
  CHECK(v.statements == 7);  // 4 upgrade statements, 3 downgrade
  CHECK(v.heads == Strings{"b", "c"});
  CHECK(v.heads_problem.empty());
  CHECK_FALSE(v.database_read);
  CHECK(f.database->calls_so_far().empty());
}

TEST_CASE("with single_head, two heads are a problem naming the merge, and the database is not read",
          "[migrator][validate]")
{
  Fixture f;
  migrator::Validation v = migrator::validate(f.migrator, true, true);
  CHECK(v.heads_problem ==
        "the graph has 2 heads (b, c); merge them with: lockstep merge -m \"merge heads\" b c");
  CHECK_FALSE(v.database_read);
  CHECK(f.database->calls_so_far().empty());
}

TEST_CASE("a sound database: its rows, no problems, read without the lock", "[migrator][validate]")
{
  Fixture f;
  f.applied({"b"}, false);
  migrator::Validation v = migrator::validate(f.migrator, false, true);
  CHECK(v.database_read);
  CHECK(v.rows == Strings{"b"});
  CHECK(v.problems.empty());
  CHECK(f.database->calls_so_far() == Strings{"read_state"});
}

TEST_CASE("an edited applied revision and a dirty one are both reported, not thrown", "[migrator][validate]")
{
  Fixture f;
  f.applied({"b"}, true);
  f.database->state.dirty = db::DirtyState{"b", db::Direction::up, "b.sql:6", "boom (SQLSTATE 42P01)", "2026-12-01", "job-1"};
  migrator::Validation v = migrator::validate(f.migrator, false, true);
  REQUIRE(v.problems.size() == 2);
  CHECK_THAT(v.problems[0], StartsWith("a (a.sql): applied with checksum 000000000000, the file now has "));
  CHECK(v.problems[1] ==
        "dirty: revision b failed going up at b.sql:6: boom (SQLSTATE 42P01) (run 'lockstep repair' once fixed)");
}

TEST_CASE("a statement a transactional revision cannot run fails validation as upgrade would (exit 2)",
          "[migrator][validate]")
{
  std::vector<script::Revision> files = forked();
  files[2].upgrade_sql = "CREATE INDEX CONCURRENTLY t_a_id ON t_a (id);";
  migrator::Migrator m(unit_config(), files, std::make_unique<FakeDriver>(std::make_shared<FakeDatabase>()));
  try {
    migrator::validate(m, false, false);
    FAIL("expected Error(usage)");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("c.sql"));
  }
}

TEST_CASE("a revision the database is at and nobody knows is exit 6", "[migrator][validate]")
{
  Fixture f;
  f.applied({"zz"}, false);
  try {
    migrator::validate(f.migrator, false, true);
    FAIL("expected Error(validation)");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::validation_failed);
    CHECK_THAT(e.what(), ContainsSubstring("zz"));
  }
}

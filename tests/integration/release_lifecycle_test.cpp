// A release lifecycle as Kubernetes drives it: a newer release migrates the
// database past an older release's files; the older release's pods must keep
// starting (`wait` is satisfied by a database at or ahead of their heads),
// and rolling back to the older release reverts exactly what its files lack
// (`downgrade @files`, with the downgrade SQL the database stored), once.

#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <vector>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using lockstep::test::write_revision_file;
using Catch::Matchers::ContainsSubstring;

namespace {

// r1 .. r<count>, a chain; each revision creates table t_r<i>.
void write_chain(const TempDir& dir, int count)
{
  for (int i = 1; i <= count; ++i) {
    const std::string id = "r" + std::to_string(i);
    std::vector<std::string> parents;
    if (i > 1) {
      parents.push_back("r" + std::to_string(i - 1));
    }
    write_revision_file(dir.path(), id, parents, "CREATE TABLE t_" + id + " (id int);", "DROP TABLE t_" + id + ";");
  }
}

RunResult run(const ScratchDatabase& db, const TempDir& dir, const std::vector<std::string>& args)
{
  std::vector<std::string> full{"--database-url", db.url(), "--migrations", dir.path()};
  full.insert(full.end(), args.begin(), args.end());
  return run_lockstep(full);
}

std::string tables(const ScratchDatabase& db)
{
  return db.scalar("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                   "WHERE schemaname = 'public' AND tablename LIKE 't\\_%'");
}

} // namespace

TEST_CASE("wait is satisfied by a database at or ahead of the pod's own heads", "[lifecycle][wait]")
{
  ScratchDatabase db;
  TempDir old_release;
  TempDir new_release;
  write_chain(old_release, 2);
  write_chain(new_release, 4);

  // Behind: the old release's pod waits, and gives up with 7.
  REQUIRE(run(db, new_release, {"upgrade", "r1"}).exit_code == 0);
  CHECK(run(db, old_release, {"wait", "--timeout", "1s"}).exit_code == 7);

  // At its heads.
  REQUIRE(run(db, new_release, {"upgrade", "r2"}).exit_code == 0);
  RunResult at = run(db, old_release, {"wait", "--timeout", "1s"});
  INFO(at.err);
  CHECK(at.exit_code == 0);

  // Ahead: a newer release migrated further; the old pod starts at once and
  // the database is left alone.
  REQUIRE(run(db, new_release, {"upgrade", "heads"}).exit_code == 0);
  RunResult ahead = run(db, old_release, {"wait", "--timeout", "1s"});
  INFO(ahead.err);
  CHECK(ahead.exit_code == 0);
  CHECK(tables(db) == "t_r1,t_r2,t_r3,t_r4");
  CHECK(db.scalar("SELECT version_num FROM lockstep_version") == "r4");
  // `upgrade heads` from the old files is a no-op too (init container in migrate mode).
  RunResult upgrade = run(db, old_release, {"upgrade", "heads"});
  INFO(upgrade.err);
  CHECK(upgrade.exit_code == 0);
  CHECK(db.scalar("SELECT version_num FROM lockstep_version") == "r4");
}

TEST_CASE("downgrade @files reverts what the files lack with the stored SQL, and a second run reverts nothing",
          "[lifecycle][rollback]")
{
  ScratchDatabase db;
  TempDir old_release;
  TempDir new_release;
  write_chain(old_release, 2);
  write_chain(new_release, 4);
  REQUIRE(run(db, new_release, {"upgrade", "heads"}).exit_code == 0);

  // The old release's files know nothing of r3 and r4: their downgrade SQL
  // comes from lockstep_applied.
  RunResult first = run(db, old_release, {"downgrade", "@files"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(tables(db) == "t_r1,t_r2");
  CHECK(db.scalar("SELECT version_num FROM lockstep_version") == "r2");
  CHECK(db.scalar("SELECT count(*) FROM lockstep_applied WHERE revision IN ('r3', 'r4')") == "0");

  RunResult second = run(db, old_release, {"downgrade", "@files"});
  INFO(second.err);
  CHECK(second.exit_code == 0);
  CHECK_THAT(second.err + second.out, ContainsSubstring("nothing to do"));
  CHECK(tables(db) == "t_r1,t_r2");
  CHECK(db.scalar("SELECT version_num FROM lockstep_version") == "r2");

  // A database behind the files' heads is not upgraded by a downgrade.
  REQUIRE(run(db, old_release, {"downgrade", "r1"}).exit_code == 0);
  CHECK(run(db, old_release, {"downgrade", "@files"}).exit_code == 0);
  CHECK(tables(db) == "t_r1");

  // The new release going forward again applies r2..r4 from its files.
  REQUIRE(run(db, new_release, {"upgrade", "heads"}).exit_code == 0);
  CHECK(tables(db) == "t_r1,t_r2,t_r3,t_r4");
}

TEST_CASE("@files as an upgrade target; with every applied revision in the files, downgrade @files is a no-op", "[lifecycle][rollback]")
{
  ScratchDatabase db;
  TempDir files;
  write_chain(files, 3);
  RunResult up = run(db, files, {"upgrade", "@files"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(tables(db) == "t_r1,t_r2,t_r3");
  // Nothing is stored only in the database: downgrade @files reverts nothing.
  RunResult down = run(db, files, {"downgrade", "@files"});
  INFO(down.err);
  CHECK(down.exit_code == 0);
  CHECK(tables(db) == "t_r1,t_r2,t_r3");
}

// migrator/listing: what history, current and branches show, in memory and
// on the fake driver (no server). The bytes they print are held by
// tests/integration/listing_output_test.cpp.

#include "conformance/revisions.hpp"
#include "db/fake_driver.hpp"
#include "migrator/listing.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <set>

using lockstep::ExitCode;
using lockstep::migrator::Catalog;
using lockstep::migrator::Listing;
using lockstep::migrator::Migrator;
using lockstep::test::FakeDatabase;
using lockstep::test::FakeDriver;
using lockstep::test::make_revision;

namespace {

lockstep::script::Revision rev(const std::string& id, std::vector<std::string> parents,
                               std::vector<std::string> depends_on = {}, std::vector<std::string> labels = {})
{
  lockstep::script::Revision r = make_revision(id, "", "CREATE TABLE t_" + id + " (id int);", "DROP TABLE t_" + id + ";");
  r.parents = std::move(parents);
  r.depends_on = std::move(depends_on);
  r.branch_labels = std::move(labels);
  return r;
}

//   a1 -> a2 -> a3 ------> m
//          |--> b1 -> b2 -/
//          \--> c1
//   r1 (reporting) -> r2 (depends on c1)
std::vector<lockstep::script::Revision> graph_files()
{
  return {rev("a1", {}), rev("a2", {"a1"}), rev("a3", {"a2"}), rev("b1", {"a2"}), rev("b2", {"b1"}),
          rev("c1", {"a2"}), rev("m", {"a3", "b2"}), rev("r1", {}, {}, {"reporting"}), rev("r2", {"r1"}, {"c1"})};
}

std::vector<std::string> ids(const Catalog& catalog, const std::vector<int>& nodes)
{
  std::vector<std::string> out;
  for (int n : nodes) {
    out.push_back(catalog.revision(n).id);
  }
  return out;
}

std::set<std::string> id_set(const Catalog& catalog, const std::vector<int>& nodes)
{
  auto list = ids(catalog, nodes);
  return {list.begin(), list.end()};
}

// Newest first: every revision before its parents and its dependencies.
bool newest_first(const Catalog& catalog, const std::vector<int>& nodes)
{
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& r = catalog.revision(nodes[i]);
    for (size_t j = 0; j < i; ++j) {
      const std::string& earlier = catalog.revision(nodes[j]).id;
      if (std::count(r.parents.begin(), r.parents.end(), earlier) || std::count(r.depends_on.begin(), r.depends_on.end(), earlier)) {
        return false;
      }
    }
  }
  return true;
}

std::vector<std::string> marked(const Listing& listing)
{
  std::vector<std::string> out;
  for (int n : listing.nodes()) {
    if ((*listing.current_rows())[n]) {
      out.push_back(listing.catalog().revision(n).id);
    }
  }
  return out;
}

struct Database {
  std::shared_ptr<FakeDatabase> db = std::make_shared<FakeDatabase>();

  // The database at `rows`, with `applied` recorded in lockstep_applied.
  void at(std::vector<std::string> rows, const std::vector<std::string>& applied)
  {
    db->state.initialized = true;
    db->state.rows = std::move(rows);
    for (const auto& id : applied) {
      db->state.checksums[id] = "sum-" + id;
    }
  }

  Migrator migrator(std::vector<lockstep::script::Revision> files = graph_files())
  {
    lockstep::config::Config c;
    c.run_by = "unit";
    return Migrator(c, std::move(files), std::make_unique<FakeDriver>(db));
  }
};

} // namespace

TEST_CASE("history on the files lists every revision newest first, marks nothing and reads no database",
          "[listing]")
{
  Database d;
  Migrator m = d.migrator();
  Listing all = lockstep::migrator::history(m, "", false);
  CHECK(all.nodes().size() == 9);
  CHECK(id_set(all.catalog(), all.nodes()) ==
        std::set<std::string>{"a1", "a2", "a3", "b1", "b2", "c1", "m", "r1", "r2"});
  CHECK(newest_first(all.catalog(), all.nodes()));
  CHECK(all.current_rows() == nullptr);
  CHECK(all.rows().empty());
  CHECK(d.db->calls_so_far().empty());
}

TEST_CASE("history -r selects Alembic's ranges, in the same order", "[listing]")
{
  Catalog catalog(graph_files());
  auto none = catalog.graph().empty_set();
  auto range = lockstep::migrator::history_order(catalog, none, "a2:m");
  CHECK(id_set(catalog, range) == std::set<std::string>{"a2", "a3", "b1", "b2", "m"});
  CHECK(newest_first(catalog, range));
  CHECK(id_set(catalog, lockstep::migrator::history_order(catalog, none, ":b1")) ==
        std::set<std::string>{"a1", "a2", "b1"});
  CHECK(id_set(catalog, lockstep::migrator::history_order(catalog, none, "b1:")) ==
        std::set<std::string>{"b1", "b2", "m"});
  // The whole order, restricted: a range keeps the positions the full listing gives.
  auto all = lockstep::migrator::history_order(catalog, none, "");
  std::vector<int> filtered;
  std::copy_if(all.begin(), all.end(), std::back_inserter(filtered),
               [&](int n) { return std::count(range.begin(), range.end(), n) > 0; });
  CHECK(filtered == range);
  try {
    lockstep::migrator::history_order(catalog, none, "nosuch:");
    FAIL("an unknown revision in a range was accepted");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == ExitCode::usage);
  }
}

TEST_CASE("history with a database marks its version rows and resolves `current` in ranges against it", "[listing]")
{
  Database d;
  d.at({"b2"}, {"a1", "a2", "b1", "b2"});
  Migrator m = d.migrator();
  Listing all = lockstep::migrator::history(m, "", true);
  REQUIRE(all.current_rows() != nullptr);
  CHECK(marked(all) == std::vector<std::string>{"b2"});
  CHECK(all.rows() == std::vector<std::string>{"b2"});
  CHECK(all.nodes().size() == 9);

  Listing since = lockstep::migrator::history(m, "current:", true);
  CHECK(id_set(since.catalog(), since.nodes()) == std::set<std::string>{"b2", "m"});
  Listing upto = lockstep::migrator::history(m, ":current", true);
  CHECK(id_set(upto.catalog(), upto.nodes()) == std::set<std::string>{"a1", "a2", "b1", "b2"});
}

TEST_CASE("history with a database lists the revisions only it remembers", "[listing]")
{
  Database d;
  d.at({"x1"}, {"a1", "a2", "a3", "b1", "b2", "m", "x1"});
  lockstep::db::AppliedRecord x1;
  x1.revision = "x1";
  x1.parents = {"m"};
  x1.message = "from an older image";
  x1.downgrade_sql = "DROP TABLE t_x1;";
  d.db->applied = {x1};
  Migrator m = d.migrator();
  Listing all = lockstep::migrator::history(m, "", true);
  REQUIRE(all.nodes().size() == 10);
  const int first = all.nodes().front();
  CHECK(all.catalog().revision(first).id == "x1");
  CHECK(all.catalog().from_database(first));
  CHECK(marked(all) == std::vector<std::string>{"x1"});

  Listing files_only = lockstep::migrator::history(m, "", false);
  CHECK(files_only.nodes().size() == 9);
}

TEST_CASE("current lists the version rows and what is current only through a dependency", "[listing]")
{
  Database d;
  d.at({"r2"}, {"a1", "a2", "c1", "r1", "r2"});
  Migrator m = d.migrator();
  Listing at = lockstep::migrator::current(m);
  CHECK(id_set(at.catalog(), at.nodes()) == std::set<std::string>{"r2", "c1"});
  REQUIRE(at.current_rows() != nullptr);
  CHECK(marked(at) == std::vector<std::string>{"r2"});  // c1 is no version row
  CHECK(at.rows() == std::vector<std::string>{"r2"});
  auto calls = d.db->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "try_lock") == 0);  // read-only: never locks

  Database empty;
  Migrator fresh = empty.migrator();
  Listing base = lockstep::migrator::current(fresh);
  CHECK(base.nodes().empty());
  CHECK(base.rows().empty());
}

TEST_CASE("branches lists each branch point, parents first, with its children", "[listing]")
{
  std::vector<lockstep::script::Revision> files = graph_files();
  files.push_back(rev("b3", {"b1"}));  // b1 now branches too, after a2
  Catalog catalog(files);
  auto points = lockstep::migrator::branchpoints(catalog);
  REQUIRE(points.size() == 2);
  CHECK(catalog.revision(points[0].node).id == "a2");
  CHECK(id_set(catalog, points[0].children) == std::set<std::string>{"a3", "b1", "c1"});
  CHECK(catalog.revision(points[1].node).id == "b1");
  CHECK(id_set(catalog, points[1].children) == std::set<std::string>{"b2", "b3"});
  CHECK(lockstep::migrator::branchpoints(Catalog({rev("a1", {}), rev("a2", {"a1"})})).empty());
}

TEST_CASE("show resolves a target on the files alone", "[listing]")
{
  Catalog catalog(graph_files());
  CHECK(ids(catalog, lockstep::migrator::shown(catalog, "a2")) == std::vector<std::string>{"a2"});
  CHECK(id_set(catalog, lockstep::migrator::shown(catalog, "heads")) == std::set<std::string>{"c1", "m", "r2"});
  CHECK(ids(catalog, lockstep::migrator::shown(catalog, "reporting@head")) == std::vector<std::string>{"r2"});
  try {
    lockstep::migrator::shown(catalog, "zz");
    FAIL("an unknown revision was shown");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == ExitCode::usage);
  }
}

TEST_CASE("status lists what upgrade heads would run, in its order, with the rows and the heads", "[listing]")
{
  Database d;
  d.at({"b1"}, {"a1", "a2", "b1"});
  Migrator m = d.migrator();
  lockstep::migrator::Status s = lockstep::migrator::status(m);
  CHECK(s.pending.rows() == std::vector<std::string>{"b1"});
  CHECK(std::set<std::string>(s.heads.begin(), s.heads.end()) == std::set<std::string>{"c1", "m", "r2"});
  const std::vector<std::string> pending = ids(s.pending.catalog(), s.pending.nodes());
  CHECK(std::set<std::string>(pending.begin(), pending.end()) ==
        std::set<std::string>{"a3", "b2", "m", "c1", "r1", "r2"});
  // Parents and dependencies first, as upgrade runs them.
  auto at = [&](const std::string& id) { return std::find(pending.begin(), pending.end(), id) - pending.begin(); };
  CHECK(at("a3") < at("m"));
  CHECK(at("b2") < at("m"));
  CHECK(at("c1") < at("r2"));
  CHECK(at("r1") < at("r2"));
  auto calls = d.db->calls_so_far();
  CHECK(std::count(calls.begin(), calls.end(), "try_lock") == 0);

  Database done;
  done.at({"m", "r2"}, {"a1", "a2", "a3", "b1", "b2", "c1", "m", "r1", "r2"});
  Migrator at_heads = done.migrator();
  CHECK(lockstep::migrator::status(at_heads).pending.nodes().empty());
}

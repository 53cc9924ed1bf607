// migrator::Catalog: the files' revisions and the graph over them, which
// reads each revision where the catalog keeps it (graph::NodeRef).

#include "conformance/revisions.hpp"
#include "migrator/catalog.hpp"
#include "util/error.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <optional>
#include <utility>
#include <vector>

using lockstep::db::AppliedRecord;
using lockstep::migrator::Catalog;
using lockstep::test::make_revision;
using Catch::Matchers::ContainsSubstring;

namespace {

Catalog three()
{
  return Catalog({make_revision("a", "", "SELECT 1;", "SELECT 2;"), make_revision("b", "a", "SELECT 3;", "SELECT 4;"),
                  make_revision("c", "b", "SELECT 5;", "SELECT 6;")});
}

AppliedRecord stored(const std::string& id, std::vector<std::string> parents)
{
  AppliedRecord record;
  record.revision = id;
  record.parents = std::move(parents);
  record.downgrade_sql = "DROP TABLE " + id + ";";
  return record;
}

} // namespace

TEST_CASE("a catalog's graph names its revisions; copies and moves keep it whole", "[migrator][catalog]")
{
  std::optional<Catalog> original(three());
  Catalog moved(std::move(*original));
  const Catalog copied(moved);
  Catalog assigned = Catalog({make_revision("x", "", "", "")});
  assigned = copied;
  original.reset();
  for (const Catalog* catalog : std::vector<const Catalog*>{&moved, &copied, &assigned}) {
    const auto& graph = catalog->graph();
    REQUIRE(graph.size() == 3);
    const int c = *graph.find("c");
    CHECK(&graph.id(c) == &catalog->revision(c).id);  // the graph reads this catalog's revisions
    CHECK(graph.spec(c).origin == "c.sql");
    CHECK(graph.heads() == std::vector<int>{c});
  }
}

TEST_CASE("revisions only the database remembers join the graph; a bad record leaves the files' graph", "[migrator][catalog]")
{
  Catalog catalog = three();
  CHECK(catalog.add_database_only({stored("a", {}), stored("d", {"c"}), stored("e", {"d"})}) == 2);
  const auto& graph = catalog.graph();
  REQUIRE(graph.size() == 5);
  const int e = *graph.find("e");
  CHECK(catalog.from_database(e));
  CHECK(graph.spec(e).stored);
  CHECK(catalog.location(e) == "(stored in the database)");
  CHECK(graph.heads() == std::vector<int>{e});
  CHECK(graph.id(graph.parents(e)[0]) == "d");

  // A record whose parent nobody knows: the error, and the catalog is the
  // files' again, every revision readable through its graph.
  Catalog files = three();
  CHECK_THROWS_WITH(files.add_database_only({stored("x", {"gone"}), stored("y", {})}),
                    ContainsSubstring("revision x revises unknown revision gone"));
  REQUIRE(files.graph().size() == 3);
  for (int n = 0; n < 3; ++n) {
    CHECK(&files.graph().id(n) == &files.revision(n).id);
  }
  CHECK(files.graph().heads() == std::vector<int>{*files.graph().find("c")});
}

// cli/format: the Alembic-style text of revisions that history, heads,
// current, branches and show print (and the parity tests compare with
// Alembic's): parents, markers, the verbose block.

#include "cli/format.hpp"
#include "conformance/revisions.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

using namespace lockstep;
using lockstep::test::make_revision;

namespace {

// a (label core) branches into b and c, merged by m; y revises m and
// depends on x, a second root that nothing revises (an effective head).
migrator::Catalog graph_of_every_marker()
{
  std::vector<script::Revision> revs{
    make_revision("a", "", "CREATE TABLE a (id int);", "DROP TABLE a;"),
    make_revision("b", "a", "SELECT 1;", "SELECT 1;"),
    make_revision("c", "a", "SELECT 1;", "", false),
    make_revision("m", "b", "", ""),
    make_revision("x", "", "SELECT 1;", "SELECT 1;"),
    make_revision("y", "m", "SELECT 1;", "SELECT 1;"),
  };
  revs[0].branch_labels = {"core"};
  revs[0].message = "create users";
  revs[0].create_date = "2026-11-02T09:14:00Z";
  revs[2].message.clear();
  revs[3].parents = {"b", "c"};
  revs[3].message = "merge";
  revs[3].downgrade_sql = "\n";
  revs[5].depends_on = {"x"};
  return migrator::Catalog(revs);
}

int node(const migrator::Catalog& catalog, const std::string& id)
{
  return *catalog.graph().find(id);
}

} // namespace

TEST_CASE("history lines: parents (dependencies in parentheses) -> id, markers, message", "[cli][format]")
{
  const migrator::Catalog catalog = graph_of_every_marker();
  struct Row {
    const char* id;
    const char* line;
  };
  const Row rows[] = {
    {"a", "<base> -> a (core) (branchpoint), create users"},
    {"b", "a -> b, add b"},
    {"c", "a -> c"},
    {"m", "b, c -> m (mergepoint), merge"},
    {"x", "<base> -> x (effective head), add x"},
    {"y", "m (x) -> y (head), add y"},
  };
  for (const auto& row : rows) {
    INFO(row.id);
    CHECK(cli::history_line(catalog, node(catalog, row.id), nullptr) == row.line);
  }
}

TEST_CASE("(current) marks the version rows only, and only when rows are given", "[cli][format]")
{
  const migrator::Catalog catalog = graph_of_every_marker();
  graph::NodeSet rows = catalog.graph().empty_set();
  rows[node(catalog, "y")] = 1;
  rows[node(catalog, "x")] = 1;
  CHECK(cli::history_line(catalog, node(catalog, "y"), &rows) == "m (x) -> y (head) (current), add y");
  CHECK(cli::history_line(catalog, node(catalog, "x"), &rows) == "<base> -> x (effective head) (current), add x");
  CHECK(cli::history_line(catalog, node(catalog, "m"), &rows) == "b, c -> m (mergepoint), merge");
}

TEST_CASE("short lines: id and markers, no message", "[cli][format]")
{
  const migrator::Catalog catalog = graph_of_every_marker();
  CHECK(cli::short_line(catalog, node(catalog, "a")) == "a (core) (branchpoint)");
  CHECK(cli::short_line(catalog, node(catalog, "b")) == "b");
  CHECK(cli::short_line(catalog, node(catalog, "m")) == "m (mergepoint)");
  CHECK(cli::short_line(catalog, node(catalog, "y")) == "y (head)");
}

TEST_CASE("verbose blocks: Rev, Parent or Merges, Child or Branches into, labels, dependencies, Path, header keys",
          "[cli][format]")
{
  const migrator::Catalog catalog = graph_of_every_marker();
  CHECK(cli::verbose_block(catalog, node(catalog, "a"), nullptr) ==
        "Rev: a (core) (branchpoint)\n"
        "Parent: <base>\n"
        "Branches into: b, c\n"
        "Branch names: core\n"
        "Path: a.sql\n"
        "\n"
        "    create users\n"
        "\n"
        "    Revision ID: a\n"
        "    Revises: \n"
        "    Create Date: 2026-11-02T09:14:00Z\n");
  CHECK(cli::verbose_block(catalog, node(catalog, "c"), nullptr) ==
        "Rev: c\n"
        "Parent: a\n"
        "Child: m\n"
        "Path: c.sql\n"
        "\n"
        "    (no message)\n"
        "\n"
        "    Revision ID: c\n"
        "    Revises: a\n"
        "    Transactional: false\n"
        "    (irreversible: the downgrade section is empty)\n");
  CHECK(cli::verbose_block(catalog, node(catalog, "m"), nullptr) ==
        "Rev: m (mergepoint)\n"
        "Merges: b, c\n"
        "Child: y\n"
        "Path: m.sql\n"
        "\n"
        "    merge\n"
        "\n"
        "    Revision ID: m\n"
        "    Revises: b, c\n");
  graph::NodeSet rows = catalog.graph().empty_set();
  rows[node(catalog, "y")] = 1;
  CHECK(cli::verbose_block(catalog, node(catalog, "y"), &rows) ==
        "Rev: y (head) (current)\n"
        "Parent: m\n"
        "Also depends on: x\n"
        "Path: y.sql\n"
        "\n"
        "    add y\n"
        "\n"
        "    Revision ID: y\n"
        "    Revises: m\n");
}

TEST_CASE("a revision only the database remembers is shown with where it is stored", "[cli][format]")
{
  migrator::Catalog catalog({make_revision("a", "", "SELECT 1;", "SELECT 1;")});
  db::AppliedRecord stored;
  stored.revision = "z";
  stored.parents = {"a"};
  stored.message = "from a newer image";
  stored.downgrade_sql = "SELECT 1;";
  REQUIRE(catalog.add_database_only({stored}) == 1);
  const std::string block = cli::verbose_block(catalog, node(catalog, "z"), nullptr);
  CHECK(block.find("Path: (stored in the database)\n") != std::string::npos);
  CHECK(cli::history_line(catalog, node(catalog, "z"), nullptr) == "a -> z (head), from a newer image");
}

TEST_CASE("a head read from a bundle's stored graph prints as short_line prints it", "[cli][format]")
{
  // x: an effective head; y: a plain head; s: a labelled mergepoint head.
  std::vector<script::Revision> revs{
    make_revision("x", "", "SELECT 1;", "SELECT 1;"),
    make_revision("y", "x", "SELECT 1;", "SELECT 1;"),
    make_revision("p", "", "SELECT 1;", "SELECT 1;"),
    make_revision("q", "p", "SELECT 1;", "SELECT 1;"),
    make_revision("r", "p", "SELECT 1;", "SELECT 1;"),
    make_revision("s", "q", "SELECT 1;", "SELECT 1;"),
    make_revision("t", "", "SELECT 1;", "SELECT 1;"),
  };
  revs[5].parents = {"q", "r"};
  revs[5].branch_labels = {"release", "stable"};
  revs[6].depends_on = {"s"};  // s is depended on: an effective head
  const migrator::Catalog catalog(revs);
  const graph::RevisionGraph& graph = catalog.graph();
  std::vector<std::string> lines;
  for (int head : graph.heads()) {
    script::BundleHead stored;
    stored.id = graph.id(head);
    stored.branch_labels = graph.spec(head).branch_labels;
    stored.parents = graph.parents(head).size();
    stored.has_dependents = !graph.dependents(head).empty();
    CHECK(cli::head_line(stored) == cli::short_line(catalog, head));
    lines.push_back(cli::head_line(stored));
  }
  CHECK(lines == std::vector<std::string>{"y (head)", "s (release) (stable) (effective head) (mergepoint)", "t (head)"});
}

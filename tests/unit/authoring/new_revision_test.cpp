// authoring/new_revision: `revision` and `merge` resolve their options
// against the graph (parents, id, dependencies, labels) before anything is
// written, and write one new file that the loader reads back.

#include "authoring/new_revision.hpp"
#include "conformance/revisions.hpp"
#include "script/directory.hpp"
#include "util/error.hpp"

#include "temp_folder.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;
using lockstep::test::make_revision;
using lockstep::test::TempFolder;
using Strings = std::vector<std::string>;

namespace {

// a -> b, and a -> c (labelled "side"): two heads.
migrator::Catalog forked()
{
  std::vector<script::Revision> revs{make_revision("a", "", "SELECT 1;", "SELECT 1;"),
                                     make_revision("b", "a", "SELECT 1;", "SELECT 1;"),
                                     make_revision("c", "a", "SELECT 1;", "SELECT 1;")};
  revs[2].branch_labels = {"side"};
  return migrator::Catalog(revs);
}

migrator::Catalog linear()
{
  return migrator::Catalog({make_revision("a", "", "SELECT 1;", "SELECT 1;"),
                            make_revision("b", "a", "SELECT 1;", "SELECT 1;")});
}

// The usage error `run` throws; fails when it throws nothing or another code.
template <typename Run>
std::string usage_error(Run run)
{
  try {
    run();
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  FAIL("expected Error(usage)");
  return {};
}

std::string revision_file(const std::string& id, const std::string& parent)
{
  return "-- Revision ID: " + id + "\n-- Revises: " + parent + "\n-- Message: " + id +
         "\n\n-- +upgrade\nCREATE TABLE t_" + id + " (id int);\n\n-- +downgrade\nDROP TABLE t_" + id + ";\n";
}

size_t files_in(const std::filesystem::path& folder)
{
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(folder), {}));
}

} // namespace

TEST_CASE("a revision's parent is the one head; its id is random unless given", "[authoring]")
{
  authoring::RevisionRequest request;
  request.message = "add orders";
  script::Revision rev = authoring::plan_revision(linear(), request);
  CHECK(rev.parents == Strings{"b"});
  CHECK(rev.message == "add orders");
  CHECK(std::regex_match(rev.id, std::regex("[0-9a-f]{12}")));
  CHECK(rev.upgrade_sql.empty());
  CHECK(rev.create_date.empty());

  request.rev_id = "c0ffee";
  CHECK(authoring::plan_revision(linear(), request).id == "c0ffee");
}

TEST_CASE("with two heads a revision needs --head; base starts a new root", "[authoring]")
{
  authoring::RevisionRequest request;
  CHECK_THAT(usage_error([&] { authoring::plan_revision(forked(), request); }),
             ContainsSubstring("there are 2 heads (b, c): pass --head <revision> to choose one, or merge them first "
                               "with 'lockstep merge -m \"merge heads\" heads'"));
  request.head = "side@head";
  CHECK(authoring::plan_revision(forked(), request).parents == Strings{"c"});
  request.head = "heads";
  CHECK(authoring::plan_revision(forked(), request).parents == Strings{"b", "c"});
  request.head = "base";
  CHECK(authoring::plan_revision(forked(), request).parents.empty());
  request.head = "nope";
  CHECK(usage_error([&] { authoring::plan_revision(forked(), request); }).find("nope") != std::string::npos);
}

TEST_CASE("a revision's id must be valid and new; dependencies resolve to ids", "[authoring]")
{
  authoring::RevisionRequest request;
  request.rev_id = "no-dashes";
  CHECK_THAT(usage_error([&] { authoring::plan_revision(linear(), request); }),
             ContainsSubstring("--rev-id 'no-dashes' is not valid: use 1 to 32 of [A-Za-z0-9_]"));
  request.rev_id = "a";
  CHECK_THAT(usage_error([&] { authoring::plan_revision(linear(), request); }),
             ContainsSubstring("revision a already exists (a.sql)"));
  request.rev_id = "d";
  request.head = "b";
  request.depends_on = {"side"};  // a label names its revision
  script::Revision rev = authoring::plan_revision(forked(), request);
  CHECK(rev.parents == Strings{"b"});
  CHECK(rev.depends_on == Strings{"c"});
}

TEST_CASE("branch labels must be valid and free, of labels and of revision ids", "[authoring]")
{
  struct Row {
    const char* label;
    const char* error;  // empty: accepted
  };
  const Row rows[] = {
    {"feature", ""},
    {"side", "--branch-label 'side' is already taken by revision c"},
    {"b", "--branch-label 'b' is already taken by revision b"},
    {"has space", "--branch-label 'has space' is not a valid label"},
  };
  for (const auto& row : rows) {
    INFO(row.label);
    authoring::RevisionRequest request;
    request.head = "b";
    request.branch_labels = {row.label};
    authoring::MergeRequest merge;
    merge.revisions = {"heads"};
    merge.branch_labels = {row.label};
    if (std::string(row.error).empty()) {
      CHECK(authoring::plan_revision(forked(), request).branch_labels == Strings{row.label});
      CHECK(authoring::plan_merge(forked(), merge).branch_labels == Strings{row.label});
    } else {
      CHECK_THAT(usage_error([&] { authoring::plan_revision(forked(), request); }), ContainsSubstring(row.error));
      CHECK_THAT(usage_error([&] { authoring::plan_merge(forked(), merge); }), ContainsSubstring(row.error));
    }
  }
}

TEST_CASE("a merge takes two or more distinct revisions, in order, once each", "[authoring]")
{
  authoring::MergeRequest request;
  request.message = "merge heads";
  request.revisions = {"c", "b", "c"};
  script::Revision rev = authoring::plan_merge(forked(), request);
  CHECK(rev.parents == Strings{"c", "b"});
  CHECK(rev.message == "merge heads");
  CHECK(std::regex_match(rev.id, std::regex("[0-9a-f]{12}")));

  request.revisions = {"heads"};
  CHECK(authoring::plan_merge(forked(), request).parents == Strings{"b", "c"});

  request.revisions = {"b", "b"};
  CHECK_THAT(usage_error([&] { authoring::plan_merge(forked(), request); }),
             ContainsSubstring("a merge needs at least two distinct revisions; got b"));
  request.revisions = {};
  CHECK_THAT(usage_error([&] { authoring::plan_merge(forked(), request); }),
             ContainsSubstring("a merge needs at least two distinct revisions; got none"));

  request.revisions = {"heads"};
  for (const char* id : {"b", "bad id"}) {
    request.rev_id = id;
    CHECK_THAT(usage_error([&] { authoring::plan_merge(forked(), request); }),
               ContainsSubstring("--rev-id '" + std::string(id) + "' is not a new, valid revision id"));
  }
}

TEST_CASE("new_revision writes one file the loader reads back as the new head", "[authoring]")
{
  TempFolder folder("authoring");
  folder.write("a_first.sql", revision_file("a", ""));
  config::Config config;
  config.migrations = folder.path().string();

  authoring::RevisionRequest request;
  request.message = "Add orders!";
  request.rev_id = "e1";
  request.branch_labels = {"shop"};
  authoring::Authored authored = authoring::new_revision(config, request);
  CHECK(authored.path == (folder.path() / "e1_add_orders.sql").string());
  CHECK(std::regex_match(authored.revision.create_date, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));

  std::vector<script::Revision> loaded = script::load_directory(config.migrations);
  REQUIRE(loaded.size() == 2);
  const script::Revision& written = loaded[0].id == "e1" ? loaded[0] : loaded[1];
  CHECK(written.id == "e1");
  CHECK(written.parents == Strings{"a"});
  CHECK(written.message == "Add orders!");
  CHECK(written.branch_labels == Strings{"shop"});
  CHECK(written.create_date == authored.revision.create_date);
  CHECK(written.path == authored.path);
}

TEST_CASE("new_merge writes the merge file; a refused request writes nothing", "[authoring]")
{
  TempFolder folder("authoring");
  folder.write("a_first.sql", revision_file("a", ""));
  folder.write("b_left.sql", revision_file("b", "a"));
  folder.write("c_right.sql", revision_file("c", "a"));
  config::Config config;
  config.migrations = folder.path().string();

  authoring::RevisionRequest ambiguous;  // two heads, no --head
  usage_error([&] { authoring::new_revision(config, ambiguous); });
  authoring::MergeRequest taken;
  taken.revisions = {"heads"};
  taken.rev_id = "a";
  usage_error([&] { authoring::new_merge(config, taken); });
  CHECK(files_in(folder.path()) == 3);

  authoring::MergeRequest request;
  request.message = "merge heads";
  request.revisions = {"heads"};
  request.rev_id = "m1";
  authoring::Authored authored = authoring::new_merge(config, request);
  CHECK(authored.path == (folder.path() / "m1_merge_heads.sql").string());
  migrator::Catalog catalog(script::load_directory(config.migrations));
  REQUIRE(catalog.graph().heads().size() == 1);
  const script::Revision& merge = catalog.revision(catalog.graph().heads()[0]);
  CHECK(merge.id == "m1");
  CHECK(merge.parents == Strings{"b", "c"});
  CHECK(files_in(folder.path()) == 4);
}

// Loading a folder of migration files (script/directory): the ConfigMap
// layout, what is ignored, and errors that name the files.

#include "migrator/catalog.hpp"
#include "script/directory.hpp"
#include "util/error.hpp"

#include "temp_folder.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace lockstep;
using lockstep::test::TempFolder;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text)
{
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::string revision_text(const std::string& id, const std::string& parents)
{
  return "-- Revision ID: " + id + "\n-- Revises: " + parents + "\n\n-- +upgrade\nCREATE TABLE " + id +
         " (id int);\n\n-- +downgrade\nDROP TABLE " + id + ";\n";
}

std::vector<std::string> ids(const std::vector<script::Revision>& revisions)
{
  std::vector<std::string> out;
  for (const auto& r : revisions) {
    out.push_back(r.id);
  }
  return out;
}

// The usage error loading `folder` throws, or "". With `as_catalog`, the
// loaded files also become the Catalog every command builds, which is where
// a revision id declared twice is refused.
std::string load_error(const fs::path& folder, bool as_catalog = false)
{
  try {
    std::vector<script::Revision> revisions = script::load_directory(folder.string());
    if (as_catalog) {
      migrator::Catalog catalog(std::move(revisions));
    }
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  return "";
}

// A mounted ConfigMap: `..2026_11_24_12_00_00.123/` holds the files,
// `..data` points at it, and every key is a symlink `x.sql -> ..data/x.sql`.
void make_configmap(const fs::path& root, const std::vector<std::pair<std::string, std::string>>& files)
{
  fs::path data = root / "..2026_11_24_12_00_00.123";
  fs::create_directory(data);
  for (const auto& [name, text] : files) {
    write(data / name, text);
  }
  fs::create_directory_symlink(data.filename(), root / "..data");
  for (const auto& [name, text] : files) {
    fs::create_symlink(fs::path("..data") / name, root / name);
  }
}

} // namespace

TEST_CASE("the loader reads a ConfigMap's symlinks and ignores dot-names", "[script][directory]")
{
  TempFolder folder;
  const fs::path& root = folder.path();
  make_configmap(root, {{"0002_b.sql", revision_text("b", "a")}, {"0001_a.sql", revision_text("a", "")}});

  auto revisions = script::load_directory(root.string());
  REQUIRE(ids(revisions) == std::vector<std::string>{"a", "b"});  // sorted by file name
  // The path is the entry in the folder, not the symlink's target.
  CHECK(revisions[0].path == (root / "0001_a.sql").string());
  CHECK(revisions[1].parents == std::vector<std::string>{"a"});
  CHECK(revisions[1].upgrade_sql == "CREATE TABLE b (id int);\n\n");

  // The same folder given with a trailing slash.
  CHECK(ids(script::load_directory(root.string() + "/")) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("what the loader ignores", "[script][directory]")
{
  TempFolder folder;
  const fs::path& root = folder.path();
  write(root / "0001_a.sql", revision_text("a", ""));
  // None of these is a migration; each would fail to parse if read.
  write(root / ".hidden.sql", "not a revision");
  write(root / ".#0001_a.sql", "an editor's lock file");
  write(root / "README.md", "not a revision either");
  write(root / "0002_b.sql.orig", "a merge leftover");
  write(root / "0003_c.SQL", "upper-case extension");
  fs::create_directory(root / "sub.sql");  // a folder, even named *.sql
  write(root / "sub.sql" / "0004_d.sql", revision_text("d", "a"));
  fs::create_directory(root / "nested");
  write(root / "nested" / "0005_e.sql", revision_text("e", "a"));
  fs::create_directory_symlink("nested", root / "linked.sql");  // a symlink to a folder
  fs::create_symlink("gone.sql", root / "dangling.sql");        // a symlink to nothing

  CHECK(ids(script::load_directory(root.string())) == std::vector<std::string>{"a"});
}

TEST_CASE("an empty folder has no revisions", "[script][directory]")
{
  TempFolder folder;
  CHECK(script::load_directory(folder.path().string()).empty());
}

TEST_CASE("a revision id declared by two files names both", "[script][directory]")
{
  TempFolder folder;
  const fs::path& root = folder.path();
  make_configmap(root, {{"0001_a.sql", revision_text("a", "")}, {"0002_b.sql", revision_text("b", "a")},
                        {"0003_again.sql", revision_text("a", "b")}});
  CHECK(load_error(root).empty());  // the loader reads both files...
  std::string message = load_error(root, true);  // ...the catalog refuses them
  CHECK_THAT(message, ContainsSubstring("revision a ") && ContainsSubstring("0001_a.sql") &&
                        ContainsSubstring("0003_again.sql"));
}

TEST_CASE("a malformed file fails the load with its path and line", "[script][directory]")
{
  TempFolder folder;
  const fs::path& root = folder.path();
  write(root / "0001_a.sql", revision_text("a", ""));
  write(root / "0002_b.sql", "-- Revision ID: b\n-- Revises: a\n-- Colour: blue\n-- +upgrade\n");
  write(root / "0003_c.sql", "-- Revises: b\n-- +upgrade\n");
  // The first bad file in name order is the one reported.
  std::string message = load_error(root);
  CHECK_THAT(message, ContainsSubstring((root / "0002_b.sql").string() + ":3: ") &&
                        ContainsSubstring("unknown header key"));
}

TEST_CASE("a missing folder or a file instead of a folder is a usage error", "[script][directory]")
{
  TempFolder folder;
  const fs::path& root = folder.path();
  CHECK_THAT(load_error(root / "missing"), ContainsSubstring((root / "missing").string()) &&
                                              ContainsSubstring("does not exist"));
  write(root / "file", "x");
  CHECK_THAT(load_error(root / "file"), ContainsSubstring((root / "file").string()));
}

TEST_CASE("an unreadable file is named", "[script][directory]")
{
  if (geteuid() == 0) {
    SKIP("root reads files whatever their mode");
  }
  TempFolder folder;
  const fs::path& root = folder.path();
  write(root / "0001_a.sql", revision_text("a", ""));
  fs::permissions(root / "0001_a.sql", fs::perms::none);
  CHECK_THAT(load_error(root), ContainsSubstring("0001_a.sql") && ContainsSubstring("cannot read"));
}

TEST_CASE("a file whose read fails is named, root or not", "[script][directory]")
{
  // /proc/self/mem is a regular file that anyone may open and nobody can
  // read at offset 0 (nothing is mapped there): read() fails with EIO.
  TempFolder folder;
  const fs::path& root = folder.path();
  write(root / "0001_a.sql", revision_text("a", ""));
  fs::create_symlink("/proc/self/mem", root / "0002_b.sql");
  CHECK_THAT(load_error(root), ContainsSubstring("0002_b.sql") && ContainsSubstring("cannot read"));
}

TEST_CASE("large folders load completely and in order", "[script][directory]")
{
  // Enough files that the loader reads them on several threads.
  TempFolder folder;
  const fs::path& root = folder.path();
  const int count = 600;
  std::vector<std::string> expected;
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "r%04d", i);
    expected.push_back(name);
    write(root / (std::string(name) + "_x.sql"), revision_text(name, i == 0 ? "" : expected[static_cast<size_t>(i - 1)]));
  }
  auto revisions = script::load_directory(root.string());
  CHECK(ids(revisions) == expected);
  for (const auto& rev : revisions) {
    CHECK_FALSE(rev.path.empty());
  }

  // A bad file late in the folder, and another even later: the first wins.
  write(root / "r0450_x.sql", "-- Revision ID: r0450\n-- Revises: r0449\nBAD;\n-- +upgrade\n");
  write(root / "r0590_x.sql", "-- Revision ID: r0590\n");
  CHECK_THAT(load_error(root), ContainsSubstring("r0450_x.sql:3: ") && ContainsSubstring("SQL before"));

  // A duplicate id far apart.
  write(root / "r0450_x.sql", revision_text("r0450", "r0449"));
  write(root / "r0590_x.sql", revision_text("r0590", "r0589"));
  write(root / "r0599_x.sql", revision_text("r0007", "r0598"));
  CHECK_THAT(load_error(root, true), ContainsSubstring("r0007_x.sql") && ContainsSubstring("r0599_x.sql") &&
                                 ContainsSubstring("revision r0007"));
}

TEST_CASE("files load in the byte order of their names", "[script][directory]")
{
  // Names alike in their first 16 bytes, shorter and longer than 16, upper
  // case before lower, and UTF-8 after ASCII: the order std::string gives.
  const std::vector<std::string> names = {
    "a.sql", "a_.sql", "ab.sql", "B.sql", "aaaaaaaaaaaaaaaa.sql", "aaaaaaaaaaaaaaaa_b.sql", "aaaaaaaaaaaaaaaab.sql",
    "aaaaaaaaaaaaaaa.sql", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_2.sql", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_10.sql",
    "20261124120000_add.sql", "20261124120000_add_more.sql", "2026112412000_x.sql", "\xC3\xA9t\xC3\xA9.sql", "z.sql"};
  TempFolder folder;
  for (size_t i = 0; i < names.size(); ++i) {
    write(folder.path() / names[i], revision_text("r" + std::to_string(i), ""));
  }
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> loaded;
  for (const auto& rev : script::load_directory(folder.path().string())) {
    loaded.push_back(fs::path(rev.path).filename().string());
  }
  CHECK(loaded == sorted);
}

TEST_CASE("files of any size keep their sections whole", "[script][directory]")
{
  // Enough files for several threads, among them files larger than the
  // loader's blocks and than the room left in one: every section is the
  // file's text, byte for byte.
  TempFolder folder;
  const fs::path& root = folder.path();
  std::vector<std::string> upgrades;
  for (int i = 0; i < 400; ++i) {
    const size_t size = i == 3 ? (3u << 20) : i == 200 ? (70u << 10) : i % 97 == 5 ? (65u << 10) : 40u + i % 50;
    std::string upgrade;
    while (upgrade.size() < size) {
      upgrade += "INSERT INTO t VALUES (" + std::to_string(i) + ", " + std::to_string(upgrade.size()) + ");\n";
    }
    char id[16];
    std::snprintf(id, sizeof id, "r%04d", i);
    write(root / (std::string(id) + ".sql"),
          "-- Revision ID: " + std::string(id) + "\n-- Revises:\n\n-- +upgrade\n" + upgrade + "-- +downgrade\nDROP TABLE " + id + ";\n");
    upgrades.push_back(upgrade);
  }
  const auto revisions = script::load_directory(root.string());
  REQUIRE(revisions.size() == upgrades.size());
  for (size_t i = 0; i < revisions.size(); ++i) {
    INFO(revisions[i].path);
    CHECK(revisions[i].upgrade_sql.view() == upgrades[i]);
    CHECK(revisions[i].downgrade_sql.view() == "DROP TABLE " + revisions[i].id + ";\n");
    CHECK(revisions[i].upgrade_line == 5);
  }
}

// util/read_file: whole files, by path or inside an open folder, and errors
// that name the path.

#include "util/error.hpp"
#include "util/read_file.hpp"

#include "temp_folder.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <dirent.h>

#include <fstream>
#include <string>

using namespace lockstep;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("read_file names the path it cannot read", "[util][read_file]")
{
  test::TempFolder dir("read-file");
  std::string big(200000, 'x');  // larger than one read
  big[123456] = 'y';
  std::ofstream(dir.path() / "big.txt", std::ios::binary) << big;
  CHECK(util::read_file((dir.path() / "big.txt").string()) == big);
  std::ofstream(dir.path() / "empty.txt");
  CHECK(util::read_file((dir.path() / "empty.txt").string()).empty());
  try {
    util::read_file((dir.path() / "missing.txt").string());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("missing.txt: cannot read"));
  }
}

TEST_CASE("read_file_at reads a name inside an open folder and reports the path it was given", "[util][read_file]")
{
  test::TempFolder dir("read-file-at");
  std::ofstream(dir.path() / "0001_init.sql", std::ios::binary) << "-- Revision ID: a1\nSELECT 1;\n";
  DIR* folder = opendir(dir.path().c_str());
  REQUIRE(folder != nullptr);
  CHECK(util::read_file_at(dirfd(folder), "0001_init.sql", "migrations/0001_init.sql") ==
        "-- Revision ID: a1\nSELECT 1;\n");
  try {
    util::read_file_at(dirfd(folder), "0002_gone.sql", "migrations/0002_gone.sql");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("migrations/0002_gone.sql: cannot read: No such file or directory"));
  }
  closedir(folder);
}

// A migration bundle through every command: `lockstep bundle` writes one,
// and each command run with --migrations naming it does what it does with
// the folder it came from (same output once the bundle's path is read as the
// folder's, same rows, same schema). Damaged bundles are exit 2 naming the
// file.

#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to)
{
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Log lines without their time stamps and durations, which differ between any two runs.
std::string without_times(const std::string& text)
{
  static const std::regex times(R"(\d{4}-\d\d-\d\dT[\d:.]+Z |duration_ms=\d+)");
  return std::regex_replace(text, times, "");
}

// The example app as a folder and as a bundle made from it.
struct Example {
  TempDir dir;
  std::string folder = dir.path() + "/migrations";
  std::string bundle = dir.path() + "/app.bundle";

  Example()
  {
    REQUIRE(lockstep::test::copy_migrations(lockstep::test::source_migrations_dir(), folder) == 7);
    RunResult r = run_lockstep({"--migrations", folder, "bundle", bundle});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, ContainsSubstring("Wrote " + bundle + ": 7 revision(s)"));
  }

  RunResult run(const std::string& migrations, const ScratchDatabase* db, const std::vector<std::string>& args) const
  {
    std::vector<std::string> argv = {"--migrations", migrations, "--log-level", "warn"};
    if (db != nullptr) {
      argv.insert(argv.end(), {"--database-url", db->url()});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_lockstep(argv);
  }

  // Runs `args` from the folder and from the bundle (on `db_folder` and
  // `db_bundle`, which may be one database for read-only commands) and
  // requires the same exit code and output, the bundle's path read as the
  // folder's. Returns the folder's result.
  RunResult same(const ScratchDatabase* db_folder, const ScratchDatabase* db_bundle,
                 const std::vector<std::string>& args) const
  {
    RunResult f = run(folder, db_folder, args);
    RunResult b = run(bundle, db_bundle, args);
    INFO("lockstep " << args[0] << "\nfolder: " << f.out << f.err << "\nbundle: " << b.out << b.err);
    CHECK(b.exit_code == f.exit_code);
    CHECK(replace_all(b.out, bundle, folder) == f.out);
    if (db_folder != nullptr && db_bundle != nullptr && db_folder != db_bundle) {
      CHECK(without_times(replace_all(b.err, bundle, folder)) ==
            without_times(replace_all(f.err, db_folder->name(), db_bundle->name())));
    }
    return f;
  }
};

// What a migration leaves behind that a user could see: the version rows,
// lockstep_applied's records, and the tables with their columns.
std::string state(const ScratchDatabase& db)
{
  std::string out;
  if (db.scalar("SELECT to_regclass('lockstep_version') IS NULL") == "t") {
    return "no lockstep tables";
  }
  for (const auto& row : db.query("SELECT version_num FROM lockstep_version ORDER BY 1")) {
    out += "version " + row[0] + "\n";
  }
  for (const auto& row :
       db.query("SELECT revision, checksum, downgrade_sql FROM lockstep_applied ORDER BY revision")) {
    out += "applied " + row[0] + " " + row[1] + " " + row[2] + "\n";
  }
  for (const auto& row : db.query("SELECT table_name, column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'public' AND table_name NOT LIKE 'lockstep%' ORDER BY 1, 2")) {
    out += "column " + row[0] + "." + row[1] + " " + row[2] + "\n";
  }
  return out;
}

} // namespace

TEST_CASE("every command reads a bundle as it reads the folder it came from", "[bundle]")
{
  Example example;
  ScratchDatabase db_f;
  ScratchDatabase db_b;

  // Without a database.
  for (std::vector<std::string> args :
       {std::vector<std::string>{"heads"}, {"heads", "-v"}, {"history"}, {"history", "-v"}, {"history", "-r", "base:heads"},
        {"branches", "-v"}, {"show", "c93d07b5e218"}, {"show", "heads"}, {"validate"}, {"lint"}, {"lint", "--format", "json"},
        {"upgrade", "--sql", "base:heads"}, {"downgrade", "--sql", "heads:base"}}) {
    example.same(nullptr, nullptr, args);
  }
  CHECK_THAT(example.run(example.bundle, nullptr, {"show", "c93d07b5e218"}).out,
             ContainsSubstring("Path: " + example.bundle + "/c93d07b5e218_add_message_search.sql"));

  // Changing the database, step by step, each on its own database.
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"upgrade", "a41f9b3e6c70"}, {"current", "-v"}, {"status"}, {"upgrade"},
        {"current"}, {"status"}, {"validate"}, {"upgrade"}, {"downgrade", "-1"}, {"current"}, {"downgrade", "base"},
        {"stamp", "heads"}, {"current"}, {"stamp", "--purge", "base"}, {"upgrade", "heads"}, {"wait", "--timeout", "1s"}}) {
    RunResult r = example.same(&db_f, &db_b, args);
    CHECK(state(db_b) == state(db_f));
    if (args[0] == "upgrade" && args.size() == 1) {
      CHECK(r.exit_code == 0);
    }
  }
  CHECK(db_b.scalar("SELECT count(*) FROM lockstep_version") == "1");

  // Read-only commands on one database.
  for (std::vector<std::string> args : {std::vector<std::string>{"current", "-v"}, {"history", "-v"}, {"status"}}) {
    example.same(&db_f, &db_f, args);
  }
}

TEST_CASE("heads from a bundle is the graph lockstep bundle checked: markers as the folder's, its errors too",
          "[bundle]")
{
  using lockstep::test::write_revision_file;
  TempDir dir;
  const std::string folder = dir.path() + "/migrations";
  std::filesystem::create_directories(folder);
  // b is a head another revision depends on, w a head that merges two.
  write_revision_file(folder, "a", {}, "CREATE TABLE a (id int);", "DROP TABLE a;");
  write_revision_file(folder, "b", {"a"}, "CREATE TABLE b (id int);", "DROP TABLE b;", {"Branch Labels: lab, other"});
  write_revision_file(folder, "c", {"a"}, "CREATE TABLE c (id int);", "DROP TABLE c;", {"Depends On: lab"});
  write_revision_file(folder, "x", {}, "CREATE TABLE x (id int);", "DROP TABLE x;");
  write_revision_file(folder, "y", {"x"}, "CREATE TABLE y (id int);", "DROP TABLE y;");
  write_revision_file(folder, "z", {"x"}, "CREATE TABLE z (id int);", "DROP TABLE z;");
  write_revision_file(folder, "w", {"y", "z"}, "", "");
  const std::string bundle = dir.path() + "/app.bundle";
  REQUIRE(run_lockstep({"--migrations", folder, "bundle", bundle}).exit_code == 0);
  const std::string expected = "b (lab) (other) (effective head)\nc (head)\nw (head) (mergepoint)\n";
  for (const std::string& where : {folder, bundle}) {
    RunResult heads = run_lockstep({"--migrations", where, "heads"});
    INFO(where << ": " << heads.err);
    CHECK(heads.exit_code == 0);
    CHECK(heads.out == expected);
  }

  // A graph that does not build bundles all the same (the folder is what it
  // is), and every command says why, from the bundle as from the folder.
  write_revision_file(folder, "orphan", {"nosuch"}, "CREATE TABLE o (id int);", "DROP TABLE o;");
  REQUIRE(run_lockstep({"--migrations", folder, "bundle", bundle}).exit_code == 0);
  RunResult from_folder = run_lockstep({"--migrations", folder, "heads"});
  RunResult from_bundle = run_lockstep({"--migrations", bundle, "heads"});
  CHECK(from_folder.exit_code == 2);
  CHECK(from_bundle.exit_code == 2);
  CHECK_THAT(from_folder.err, ContainsSubstring("nosuch") && ContainsSubstring(folder + "/"));
  std::string said = from_bundle.err;
  for (size_t at = said.find(bundle); at != std::string::npos; at = said.find(bundle, at + folder.size())) {
    said.replace(at, bundle.size(), folder);
  }
  CHECK(said.substr(said.find(' ')) == from_folder.err.substr(from_folder.err.find(' ')));  // past the timestamp
}

TEST_CASE("check replays a bundle into a scratch database like the folder", "[bundle]")
{
  Example example;
  ScratchDatabase db;
  const std::string schema = lockstep::test::source_migrations_dir() + "/schema";
  RunResult r = example.same(&db, &db, {"--schema", schema, "check"});
  CHECK(r.exit_code == 0);
}

TEST_CASE("an applied revision edited before bundling is exit 6 from the bundle", "[bundle]")
{
  Example example;
  ScratchDatabase db;
  REQUIRE(example.run(example.bundle, &db, {"upgrade"}).exit_code == 0);
  const std::string file = example.folder + "/1c0d3e5f7a9b_create_users.sql";
  std::string text = lockstep::test::read_text(file);
  text = replace_all(text, "CREATE TABLE users (", "CREATE TABLE users (\n  nickname text,");
  std::ofstream(file, std::ios::trunc) << text;
  REQUIRE(example.run(example.folder, nullptr, {"bundle", example.bundle}).exit_code == 0);

  RunResult r = example.run(example.bundle, &db, {"upgrade"});
  CHECK(r.exit_code == 6);
  CHECK_THAT(r.err, ContainsSubstring(example.bundle + "/1c0d3e5f7a9b_create_users.sql"));
  CHECK(example.run(example.bundle, &db, {"validate"}).exit_code == 6);
}

TEST_CASE("revision and merge refuse a bundle: it is made from a folder", "[bundle]")
{
  Example example;
  RunResult r = example.run(example.bundle, nullptr, {"revision", "-m", "more"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, ContainsSubstring(example.bundle) && ContainsSubstring("read-only"));
  CHECK(fs::is_regular_file(example.bundle));
}

TEST_CASE("damaged bundles are exit 2 naming the file, before any connection", "[bundle]")
{
  Example example;
  ScratchDatabase db;
  std::string bytes = lockstep::test::read_text(example.bundle);
  auto write = [&](const std::string& name, const std::string& content) {
    std::string path = example.dir.path() + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  };
  std::string future = bytes;
  future[16] = 4;
  std::string older = bytes;  // what the first format's lockstep wrote: the version sits at the same offset
  older[16] = 1;
  std::string second = bytes;  // format 2: chunks without the statement facts
  second[16] = 2;
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 1);
  const std::vector<std::pair<std::string, std::string>> cases = {
    {write("truncated.bundle", bytes.substr(0, bytes.size() - 10)), "truncated migration bundle"},
    {write("future.bundle", future), "format 4 is newer"},
    {write("older.bundle", older), "format 1 is older"},
    {write("second.bundle", second), "format 2 is older"},
    {write("corrupt.bundle", flipped), "checksum does not match"},
    {write("notes.txt", "hello"), "not a migration bundle"},
  };
  for (const auto& [path, message] : cases) {
    for (std::vector<std::string> args : {std::vector<std::string>{"upgrade"}, {"heads"}}) {
      RunResult r = example.run(path, &db, args);
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, ContainsSubstring(path) && ContainsSubstring(message));
    }
  }
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'lockstep%'") == "0");

  // The bundle command says what it could not read or write.
  RunResult missing = example.run(example.dir.path() + "/nowhere", nullptr, {"bundle", example.dir.path() + "/x"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, ContainsSubstring("nowhere"));
  RunResult unwritable = example.run(example.folder, nullptr, {"bundle", example.dir.path() + "/no/such/dir/x"});
  CHECK(unwritable.exit_code == 2);
  CHECK_THAT(unwritable.err, ContainsSubstring("no/such/dir/x") && ContainsSubstring("cannot write"));
}

TEST_CASE("the migrations setting names a bundle from the environment and a config file too", "[bundle]")
{
  Example example;
  ScratchDatabase db;
  RunResult from_env = run_lockstep({"--database-url", db.url(), "upgrade"}, {{"LOCKSTEP_MIGRATIONS", example.bundle}});
  INFO(from_env.err);
  CHECK(from_env.exit_code == 0);
  const std::string config = example.dir.write("config.yaml", "migrations: " + example.bundle + "\n");
  RunResult from_yaml = run_lockstep({"--config", config, "--database-url", db.url(), "current"});
  CHECK(from_yaml.exit_code == 0);
  CHECK_THAT(from_yaml.out, ContainsSubstring("3f2a9c1e7b4d"));
}

TEST_CASE("a ConfigMap holds over ten thousand revisions of the example app's size as a bundle", "[bundle]")
{
  // The example's seven revisions, copied with fresh ids, table names and
  // branch labels and chained (each copy's root revises the last copy's
  // head, 3f2a9c...), as README's "Bundles" measures the fit.
  Example example;
  std::vector<std::pair<std::string, std::string>> files;  // name, text
  for (const auto& entry : fs::directory_iterator(example.folder)) {
    if (entry.path().extension() == ".sql") {
      files.emplace_back(entry.path().filename().string(), lockstep::test::read_text(entry.path().string()));
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 7);
  const std::set<std::string> names = {"users",    "conversations",     "conversation_members",
                                       "messages", "message_reactions", "reactions", "search"};
  // Every word in `names` gets `suffix` (std::regex takes a minute over 10,000 files).
  auto rename = [&names](const std::string& text, const std::string& suffix) {
    std::string out;
    size_t at = 0;
    while (at < text.size()) {
      size_t end = at;
      while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
      if (end == at) {
        out += text[at++];
        continue;
      }
      const std::string word = text.substr(at, end - at);
      out += names.count(word) ? word + suffix : word;
      at = end;
    }
    return out;
  };
  TempDir big;
  const int copies = 1430;  // 10,010 revisions
  size_t file_bytes = 0;
  for (int k = 0; k < copies; ++k) {
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%06d", k);
    for (const auto& [name, original] : files) {
      std::string text = rename(original, "_" + std::to_string(k));
      for (const auto& [other, _] : files) {
        text = replace_all(text, other.substr(0, 12), other.substr(0, 6) + suffix);
      }
      if (k > 0 && text.find("-- Revises:\n") != std::string::npos) {
        char previous[8];
        std::snprintf(previous, sizeof previous, "%06d", k - 1);
        text = replace_all(text, "-- Revises:\n", "-- Revises: 3f2a9c" + std::string(previous) + "\n");
      }
      file_bytes += text.size();
      big.write(name.substr(0, 6) + suffix + name.substr(12), text);
    }
  }
  const std::string bundle = example.dir.path() + "/big.bundle";
  RunResult made = run_lockstep({"--migrations", big.path(), "bundle", bundle});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const size_t revisions = 7 * copies;
  const size_t bytes = fs::file_size(bundle);
  const double per_revision = static_cast<double>(bytes) / static_cast<double>(revisions);
  WARN("example-sized revisions: " << file_bytes / revisions << " bytes as a file, " << per_revision
                                   << " bytes in a bundle; 1 MiB holds " << static_cast<size_t>(1048576 / per_revision)
                                   << " as a bundle, " << 1048576 * revisions / file_bytes << " as files");
  // The chart refuses more than 900 KiB; the API server's limit is 1 MiB.
  CHECK(bytes <= 900 * 1024);
  CHECK(file_bytes > 5 * 1048576);  // as files, over five ConfigMaps' worth
  // And the graph is whole: one chain, one head.
  RunResult heads = run_lockstep({"--migrations", bundle, "heads"});
  INFO(heads.err);
  CHECK(heads.exit_code == 0);
  CHECK(heads.out == "3f2a9c" + std::to_string(copies - 1 + 1000000).substr(1) + " (head)\n");
}

// What `history`, `current`, `branches`, `show` and `status` print, byte for
// byte, against a transcript kept in tests/integration/golden/listings.txt:
// every listing (plain, --verbose, -r ranges, without and with a database at
// three states) on one graph with branch points, a merge, two roots, branch
// labels, dependencies (an effective head, a revision current only through
// one), a non-transactional and an irreversible revision, and a revision only
// the database remembers. The transcript was captured from the CLI before
// these listings moved into migrator/listing, so it guards that their output
// stays the same. LOCKSTEP_UPDATE_GOLDEN=1 rewrites it (then read the diff).

#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;
using lockstep::test::run_lockstep;

namespace {

const std::string kGolden = std::string(LOCKSTEP_SOURCE_DIR) + "/tests/integration/golden/listings.txt";

std::string revision(const std::string& id, const std::string& parents, const std::string& headers = "",
                     bool reversible = true)
{
  return "-- Revision ID: " + id + "\n-- Revises: " + parents + "\n-- Message: revision " + id + "\n" + headers +
         "\n-- +upgrade\nCREATE TABLE t_" + id + " (id int);\n\n-- +downgrade\n" +
         (reversible ? "DROP TABLE t_" + id + ";\n" : "");
}

//   a1 (core) -> a2 -> a3 ---------> m (merge of a3 and b2) -> x1 (applied, then its file removed)
//                 |--> b1 -> b2 --/
//                 \--> c1 (not transactional, irreversible; r2 depends on it: an effective head)
//   r1 (reporting) -> r2 (depends on c1)
void write_graph(const TempDir& dir)
{
  dir.write("a1.sql", revision("a1", "", "-- Branch Labels: core\n-- Create Date: 2026-11-24T12:00:00Z\n"));
  dir.write("a2.sql", revision("a2", "a1"));
  dir.write("a3.sql", revision("a3", "a2"));
  dir.write("b1.sql", revision("b1", "a2"));
  dir.write("b2.sql", revision("b2", "b1"));
  dir.write("c1.sql", revision("c1", "a2", "-- Transactional: false\n", false));
  dir.write("m.sql", "-- Revision ID: m\n-- Revises: a3, b2\n-- Message: merge\n\n-- +upgrade\n\n-- +downgrade\n");
  dir.write("r1.sql", revision("r1", "", "-- Branch Labels: reporting\n"));
  dir.write("r2.sql", revision("r2", "r1", "-- Depends On: c1\n"));
}

class Transcript {
public:
  Transcript(const TempDir& dir, const std::string& url) : m_dir(dir), m_url(url) {}

  // Runs `lockstep <args>` on the folder (and the database when `online`),
  // and writes the command, its exit code and its stdout into the transcript
  // (the folder's path as <migrations>).
  void run(const std::string& state, bool online, const std::vector<std::string>& args)
  {
    std::vector<std::string> full{"--migrations", m_dir.path()};
    if (online) {
      full.insert(full.end(), {"--database-url", m_url});
    }
    full.insert(full.end(), args.begin(), args.end());
    RunResult r = run_lockstep(full);
    std::string out = r.out;
    for (size_t at = out.find(m_dir.path()); at != std::string::npos; at = out.find(m_dir.path(), at)) {
      out.replace(at, m_dir.path().size(), "<migrations>");
    }
    std::string command = "$ lockstep";
    for (const auto& a : args) {
      command += " " + a;
    }
    command += online ? "   # " + state : "   # no database";
    m_sections.emplace_back(command, "[exit " + std::to_string(r.exit_code) + "]\n" + out);
  }

  void listings(const std::string& state, bool online)
  {
    for (const auto& args : std::vector<std::vector<std::string>>{
           {"history"}, {"history", "--verbose"}, {"history", "-r", "a2:m"}, {"history", "-r", ":b1"},
           {"history", "-r", "b1:"}, {"history", "-r", "reporting@base:reporting@head"},
           {"history", "-r", "a2:heads", "--verbose"}}) {
      run(state, online, args);
    }
    if (online) {
      for (const auto& args : std::vector<std::vector<std::string>>{
             {"current"}, {"current", "--verbose"}, {"history", "-r", "current:"}, {"history", "-r", ":current"},
             {"status"}}) {
        run(state, online, args);
      }
    } else {
      for (const auto& args : std::vector<std::vector<std::string>>{
             {"branches"}, {"branches", "--verbose"}, {"show", "a2"}, {"show", "heads"}, {"show", "reporting@head"}}) {
        run(state, online, args);
      }
    }
  }

  std::string text() const
  {
    std::string out;
    for (const auto& [command, output] : m_sections) {
      out += command + "\n" + output + "\n";
    }
    return out;
  }

  // command -> its exit code and output, from a transcript's text.
  static std::map<std::string, std::string> parse(const std::string& text)
  {
    std::map<std::string, std::string> sections;
    std::string command;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      std::string line = text.substr(pos, end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      if (line.rfind("$ lockstep", 0) == 0) {
        command = line;
        sections[command];
      } else if (!command.empty()) {
        sections[command] += line + "\n";
      }
    }
    for (auto& [_, output] : sections) {
      output.pop_back();  // the blank line between sections
    }
    return sections;
  }

  const std::vector<std::pair<std::string, std::string>>& sections() const { return m_sections; }

private:
  const TempDir& m_dir;
  std::string m_url;
  std::vector<std::pair<std::string, std::string>> m_sections;
};

} // namespace

TEST_CASE("history, current and branches print what they printed before the listings moved into the library",
          "[listing]")
{
  ScratchDatabase db;
  TempDir dir;
  write_graph(dir);
  Transcript transcript(dir, db.url());
  transcript.listings("files only", false);
  transcript.listings("database at base", true);

  REQUIRE(run_lockstep({"--migrations", dir.path(), "--database-url", db.url(), "upgrade", "r2"}).exit_code == 0);
  transcript.listings("database at r2 (c1 through a dependency)", true);

  dir.write("x1.sql", revision("x1", "m"));
  REQUIRE(run_lockstep({"--migrations", dir.path(), "--database-url", db.url(), "upgrade", "heads"}).exit_code == 0);
  std::filesystem::remove(dir.path() + "/x1.sql");
  transcript.listings("database at heads, x1 known only to it", true);

  if (const char* update = std::getenv("LOCKSTEP_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(kGolden).parent_path());
    std::ofstream(kGolden, std::ios::binary) << transcript.text();
  }
  const std::map<std::string, std::string> expected = Transcript::parse(lockstep::test::read_text(kGolden));
  CHECK(expected.size() == transcript.sections().size());
  for (const auto& [command, output] : transcript.sections()) {
    INFO(command);
    auto it = expected.find(command);
    REQUIRE(it != expected.end());
    CHECK(output == it->second);
  }
}

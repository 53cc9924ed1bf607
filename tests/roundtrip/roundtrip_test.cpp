// Round-trip property test of `revision --autogenerate` and `check`, one
// corpus schema (tests/schemas/*.sql) or one v1 -> v2 pair
// (tests/schemas/pairs/NAME.v1.sql, NAME.v2.sql) per run, against the
// suite's PostgreSQL. CMake registers one CTest test per schema and pair.
//
//   roundtrip_test SCHEMA.sql
//     (a) autogenerate from an empty database, upgrade: pg_dump --schema-only
//         equals pg_dump of the schema applied directly;
//     (b) check passes, and a second autogenerate writes nothing; it reads
//     (e) the direct database's pg_dump --schema-only file as written (its
//         \restrict line, SET, set_config, OWNER TO) as the desired state,
//         and says what it skipped;
//     (c) the generated downgrade returns to an empty schema.
//   roundtrip_test V1.sql V2.sql
//     (d) autogenerate v1, then v2 on top: upgrade gives v2 exactly, a
//         downgrade of one step gives v1 exactly; drops are marked destructive.
//
// Exit 0 when every property holds; otherwise 1, with the failed property
// and a unified diff of the two dumps.

#include "support/test_env.hpp"

#include <filesystem>
#include <iostream>
#include <regex>
#include <stdexcept>

namespace fs = std::filesystem;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;

namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const std::string pg_dump = "/usr/lib/postgresql/15/bin/pg_dump";

// pg_dump --schema-only of `db`. Compared (`as_written` false): without
// owners, privileges and lockstep's own tables, and with the \restrict key,
// which differs between any two dumps, replaced. As written (true): the file
// exactly as pg_dump writes it, to be read as a desired state.
std::string dump(const ScratchDatabase& db, bool as_written = false)
{
  std::vector<std::string> argv{pg_dump, "--schema-only", "-d", db.url()};
  if (!as_written) {
    argv.insert(argv.end(), {"--no-owner", "--no-privileges", "--exclude-table=lockstep_*"});
  }
  RunResult r = lockstep::test::run_command(argv);
  if (r.exit_code != 0) {
    throw Failure("pg_dump failed: " + r.err);
  }
  if (as_written) {
    return r.out;
  }
  static const std::regex restrict_line(R"(^\\(un)?restrict .*$)", std::regex::multiline);
  return std::regex_replace(r.out, restrict_line, "\\$1restrict <key>");
}

void expect_same(const std::string& what, const std::string& expected, const std::string& actual)
{
  if (expected == actual) {
    return;
  }
  TempDir dir;
  RunResult d = lockstep::test::run_command(
    {"/usr/bin/diff", "-u", dir.write("expected.sql", expected), dir.write("actual.sql", actual)});
  throw Failure(what + ":\n" + d.out);
}

class Project {
public:
  Project() : m_migrations(), m_target() {}

  RunResult run(const std::string& schema, std::vector<std::string> args) const
  {
    std::vector<std::string> full{"--database-url", m_target.url(), "--migrations", m_migrations.path(),
                                  "--schema",       schema};
    full.insert(full.end(), args.begin(), args.end());
    return lockstep::test::run_lockstep(full);
  }

  RunResult must(const std::string& what, const std::string& schema, std::vector<std::string> args) const
  {
    RunResult r = run(schema, std::move(args));
    if (r.exit_code != 0) {
      throw Failure(what + " exited " + std::to_string(r.exit_code) + ":\n" + r.out + r.err);
    }
    return r;
  }

  // Autogenerates a revision toward `schema`; returns its text.
  std::string autogenerate(const std::string& schema, const std::string& id) const
  {
    must("revision --autogenerate", schema, {"revision", "--autogenerate", "-m", "to " + id, "--rev-id", id});
    for (const auto& entry : fs::directory_iterator(m_migrations.path())) {
      if (entry.path().filename().string().find(id) != std::string::npos) {
        return lockstep::test::read_text(entry.path().string());
      }
    }
    throw Failure("revision --autogenerate wrote no file for " + id);
  }

  size_t files() const { return static_cast<size_t>(std::distance(fs::directory_iterator(m_migrations.path()), {})); }
  const ScratchDatabase& target() const { return m_target; }

private:
  TempDir m_migrations;
  ScratchDatabase m_target;
};

void expect_marked(const std::string& revision)
{
  // Every DROP TABLE / DROP COLUMN of an upgrade follows a destructive marker.
  const std::string upgrade = revision.substr(0, revision.find("-- +downgrade"));
  static const std::regex drop(R"((DROP (TABLE|COLUMN)[^;]*;))");
  for (auto it = std::sregex_iterator(upgrade.begin(), upgrade.end(), drop); it != std::sregex_iterator(); ++it) {
    size_t at = static_cast<size_t>(it->position());
    size_t line_start = upgrade.rfind('\n', at == 0 ? 0 : at - 1);
    size_t previous = upgrade.rfind('\n', line_start == 0 ? 0 : line_start - 1);
    std::string before = upgrade.substr(previous + 1, line_start - previous);
    if (before.find("-- lockstep: destructive") == std::string::npos) {
      throw Failure("an unmarked destructive step: " + it->str());
    }
  }
}

void one_schema(const std::string& schema)
{
  ScratchDatabase direct;
  direct.exec(lockstep::test::read_text(schema));
  const std::string wanted = dump(direct);
  ScratchDatabase empty;
  const std::string nothing = dump(empty);

  Project project;
  const std::string revision = project.autogenerate(schema, "gen1");
  expect_marked(revision);
  project.must("upgrade", schema, {"upgrade", "heads"});
  expect_same("(a) the autogenerated upgrade differs from the schema applied directly", wanted,
              dump(project.target()));

  RunResult check = project.run(schema, {"check"});
  if (check.exit_code != 0) {
    throw Failure("(b) check fails after the autogenerated upgrade:\n" + check.out + check.err);
  }
  // The second autogenerate reads the direct database's pg_dump file as
  // written (\restrict, SET, set_config, OWNER TO): property (e).
  TempDir dumps;
  const std::string dump_file = dumps.write("schema.dump.sql", dump(direct, true));
  RunResult again = project.run(dump_file, {"revision", "--autogenerate", "-m", "again"});
  if (again.exit_code != 0 || again.out.find("No changes") == std::string::npos || project.files() != 1) {
    throw Failure("(b, e) a second autogenerate, from the schema's own pg_dump file, wrote something or failed:\n" +
                  again.out + again.err);
  }
  if (again.err.find("skipped the psql meta-command \\restrict") == std::string::npos ||
      again.err.find("ownership and privilege statement") == std::string::npos) {
    throw Failure("(e) no notice of the skipped \\restrict line and OWNER TO statements:\n" + again.err);
  }

  project.must("downgrade base", schema, {"downgrade", "base"});
  expect_same("(c) the autogenerated downgrade leaves something behind", nothing, dump(project.target()));
}

void one_pair(const std::string& v1, const std::string& v2)
{
  ScratchDatabase direct1;
  direct1.exec(lockstep::test::read_text(v1));
  ScratchDatabase direct2;
  direct2.exec(lockstep::test::read_text(v2));
  const std::string want1 = dump(direct1);
  const std::string want2 = dump(direct2);

  Project project;
  project.autogenerate(v1, "v1");
  project.must("upgrade to v1", v1, {"upgrade", "heads"});
  expect_same("(d) v1 from empty", want1, dump(project.target()));
  const std::string revision = project.autogenerate(v2, "v2");
  expect_marked(revision);
  project.must("upgrade to v2", v2, {"upgrade", "heads"});
  expect_same("(d) the upgrade v1 -> v2 does not give v2", want2, dump(project.target()));
  RunResult check = project.run(v2, {"check"});
  if (check.exit_code != 0) {
    throw Failure("(d) check fails after the upgrade to v2:\n" + check.out + check.err);
  }
  project.must("downgrade -1", v2, {"downgrade", "-1"});
  expect_same("(d) the downgrade v2 -> v1 does not give v1", want1, dump(project.target()));
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: roundtrip_test SCHEMA.sql | V1.sql V2.sql\n";
    return 2;
  }
  try {
    if (argc == 2) {
      one_schema(argv[1]);
    } else {
      one_pair(argv[1], argv[2]);
    }
  } catch (const std::exception& e) {
    std::cerr << "FAILED " << argv[argc - 1] << ": " << e.what() << "\n";
    return 1;
  }
  std::cout << "round trip holds: " << argv[argc - 1] << "\n";
  return 0;
}

// The image that ships, run with podman the way a hardened pod runs it:
// host network (the suite's PostgreSQL listens on 127.0.0.1), migrations
// mounted read-only, a read-only root, the image's own non-root user, no
// capabilities, no-new-privileges, and /dev/termination-log mounted from a
// host file as the kubelet does. The image is the Dockerfile's last stage
// built from scripts/image-rootfs's output (the image_build fixture,
// tests/image/image-fixture), or the full build's when scripts/build-image
// runs these tests.

#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <unistd.h>

using Catch::Matchers::ContainsSubstring;
using lockstep::test::Process;
using lockstep::test::RunResult;
using lockstep::test::ScratchDatabase;
using lockstep::test::TempDir;

namespace fs = std::filesystem;

namespace {

const std::string podman = "/usr/bin/podman";

std::string trimmed(std::string text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// The image the fixture built (or was given), from its state folder.
std::string image_under_test()
{
  return trimmed(lockstep::test::read_text(std::string(LOCKSTEP_TEST_IMAGE_DIR) + "/image"));
}

// podman's environment: the machine's settings (tests/image/containers.conf) plus `extra`;
// a `-e NAME` without a value hands the container podman's own NAME, so a
// database URL never appears on a command line.
std::map<std::string, std::string> podman_env(std::map<std::string, std::string> extra = {})
{
  extra["CONTAINERS_CONF"] = LOCKSTEP_CONTAINERS_CONF;
  return lockstep::test::child_env(extra);
}

RunResult run_podman(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {})
{
  std::vector<std::string> argv{podman};
  argv.insert(argv.end(), args.begin(), args.end());
  return lockstep::test::run_command(argv, podman_env(env));
}

std::string random_suffix()
{
  static unsigned counter = 0;
  return std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// A host file for /dev/termination-log, created empty and world-writable, as
// the kubelet creates it.
std::string termination_log_file(const TempDir& dir)
{
  const std::string path = dir.write("termination-log", "");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                          fs::perms::group_write | fs::perms::others_read | fs::perms::others_write);
  return path;
}

// A folder that uid 65532 can read, for a read-only /migrations mount.
void readable_by_all(const std::string& path)
{
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec);
}

// A unique name for a container or an image a test creates; podman removes
// whatever carries it on destruction, also when the test failed half-way.
class Owned {
public:
  enum class Kind { container, image };
  Owned(Kind kind, const std::string& stem) : m_kind(kind), m_name(stem + random_suffix()) {}
  ~Owned()
  {
    try {
      run_podman({m_kind == Kind::container ? "rm" : "rmi", "--force", "--ignore", m_name});
    } catch (const std::exception&) {
      // Nothing more can be done here; `podman ps -a` / `podman images` show it.
    }
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  const std::string& name() const { return m_name; }

private:
  Kind m_kind;
  std::string m_name;
};

// One `podman run` of an image in the hardened set-up, named so that it can be signalled.
class HardenedRun {
public:
  explicit HardenedRun(std::string image)
    : m_image(std::move(image)), m_container(Owned::Kind::container, "lockstep-test-")
  {
  }

  const std::string& name() const { return m_container.name(); }

  // The mounts (host:container[:options]) and lockstep's arguments.
  std::vector<std::string> argv(const std::vector<std::string>& mounts, const std::vector<std::string>& args) const
  {
    std::vector<std::string> argv{podman,         "run",       "--rm",          "--name",
                                  name(),         "--network", "host",          "--read-only",
                                  "--cap-drop",   "ALL",       "--security-opt", "no-new-privileges",
                                  "--env",        "LOCKSTEP_DATABASE_URL"};
    for (const auto& mount : mounts) {
      argv.insert(argv.end(), {"--volume", mount});
    }
    argv.push_back(m_image);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  RunResult run(const std::string& database_url, const std::vector<std::string>& mounts,
                const std::vector<std::string>& args) const
  {
    return lockstep::test::run_command(argv(mounts, args), podman_env({{"LOCKSTEP_DATABASE_URL", database_url}}));
  }

private:
  std::string m_image;
  Owned m_container;
};

} // namespace

TEST_CASE("the image: static binary on an empty base, non-root, labelled with its version and revision", "[image]")
{
  const std::string image = image_under_test();
  RunResult inspect = run_podman({"image", "inspect", "--format",
                                  "{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|"
                                  "{{index .Labels \"org.opencontainers.image.version\"}}|"
                                  "{{index .Labels \"org.opencontainers.image.revision\"}}|{{len .RootFS.Layers}}",
                                  image});
  INFO(inspect.err);
  REQUIRE(inspect.exit_code == 0);
  const std::string expected_version = std::getenv("LOCKSTEP_TEST_IMAGE_VERSION") != nullptr
                                         ? std::getenv("LOCKSTEP_TEST_IMAGE_VERSION")
                                         : "test";
  const std::string revision = trimmed(lockstep::test::run_command({"/usr/bin/git", "-C", LOCKSTEP_SOURCE_DIR,
                                                                    "rev-parse", "HEAD"})
                                         .out);
  // One layer: the root filesystem, nothing of a base image.
  CHECK(trimmed(inspect.out) == "65532:65532|[\"/lockstep\"]|[\"upgrade\",\"heads\"]|" + expected_version + "|" +
                                  revision + "|1");

  // Its whole file list: what scripts/image-rootfs makes and nothing else.
  TempDir out;
  Owned container(Owned::Kind::container, "lockstep-test-export-");
  REQUIRE(run_podman({"create", "--name", container.name(), image}).exit_code == 0);
  REQUIRE(run_podman({"export", "--output", out.path() + "/rootfs.tar", container.name()}).exit_code == 0);
  RunResult listing = lockstep::test::run_command({"/usr/bin/tar", "--numeric-owner", "-tvf", out.path() + "/rootfs.tar"});
  REQUIRE(listing.exit_code == 0);
  CHECK_THAT(listing.out, ContainsSubstring("-rwxr-xr-x 0/0") && ContainsSubstring(" lockstep\n"));
  CHECK_THAT(listing.out, ContainsSubstring("drwxrwxrwt 0/0") && ContainsSubstring(" tmp/\n"));
  CHECK_THAT(listing.out, ContainsSubstring(" ca-certificates.crt\n") && ContainsSubstring(" etc/passwd\n") &&
                            ContainsSubstring(" migrations/\n"));
  CHECK_THAT(listing.out, !ContainsSubstring("bin/") && !ContainsSubstring("lib/"));
}

TEST_CASE("the image migrates in a hardened pod's set-up and writes the termination message", "[image]")
{
  ScratchDatabase db;
  TempDir dir;
  readable_by_all(dir.path());
  const std::string migrations = dir.path() + "/migrations";
  REQUIRE(lockstep::test::copy_migrations(lockstep::test::source_migrations_dir(), migrations) == 7);
  readable_by_all(migrations);
  const std::string termination_log = termination_log_file(dir);
  const std::vector<std::string> mounts{migrations + ":/migrations:ro", termination_log + ":/dev/termination-log"};

  HardenedRun upgrade(image_under_test());
  RunResult up = upgrade.run(db.url(), mounts, {"upgrade", "heads"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "3f2a9c1e7b4d");
  CHECK(db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN "
                  "('users', 'conversations', 'conversation_members', 'messages', 'message_reactions')") == "5");
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'messages' AND column_name = "
                  "'edited_at'") == "1");
  const std::string message = lockstep::test::read_text(termination_log);
  CHECK_THAT(message, ContainsSubstring("\"status\":\"succeeded\"") && ContainsSubstring("\"exit_code\":0") &&
                        ContainsSubstring("3f2a9c1e7b4d"));
  CHECK_THAT(up.out + up.err, !ContainsSubstring(lockstep::test::server_password()));

  HardenedRun current(image_under_test());
  RunResult cur = current.run(db.url(), mounts, {"current"});
  INFO(cur.err);
  REQUIRE(cur.exit_code == 0);
  CHECK_THAT(cur.out, ContainsSubstring("3f2a9c1e7b4d") && ContainsSubstring("(head)"));
  CHECK_THAT(lockstep::test::read_text(termination_log), ContainsSubstring("\"command\":\"current\""));
}

TEST_CASE("the image exits 3 when the database cannot be reached", "[image]")
{
  TempDir dir;
  readable_by_all(dir.path());
  const std::string migrations = dir.path() + "/migrations";
  lockstep::test::copy_migrations(lockstep::test::source_migrations_dir(), migrations);
  readable_by_all(migrations);
  const std::string termination_log = termination_log_file(dir);

  // Port 1 on the host: nothing listens there, so the connection is refused.
  HardenedRun run(image_under_test());
  RunResult result = run.run("postgresql://lockstep@127.0.0.1:1/postgres",
                             {migrations + ":/migrations:ro", termination_log + ":/dev/termination-log"},
                             {"--connect-timeout", "1s", "upgrade", "heads"});
  INFO(result.err);
  CHECK(result.exit_code == 3);
  CHECK_THAT(lockstep::test::read_text(termination_log), ContainsSubstring("\"exit_code\":3"));
}

TEST_CASE("SIGTERM to the container during a slow revision: exit 143, the revision rolled back", "[image][signal]")
{
  ScratchDatabase db;
  TempDir dir;
  readable_by_all(dir.path());
  const std::string migrations = dir.path() + "/migrations";
  lockstep::test::write_revision_file(migrations, "one", {}, "CREATE TABLE t_one (id int);", "DROP TABLE t_one;");
  lockstep::test::write_revision_file(migrations, "two", {"one"}, "CREATE TABLE t_two (id int);\nSELECT pg_sleep(600);",
                                      "DROP TABLE t_two;");
  readable_by_all(migrations);

  HardenedRun run(image_under_test());
  Process p(run.argv({migrations + ":/migrations:ro"}, {"upgrade", "heads"}),
            podman_env({{"LOCKSTEP_DATABASE_URL", db.url()}}), dir.path());
  // Wait until the slow statement runs (a bound only so that a broken run fails instead of hanging).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE "
                   "'SELECT pg_sleep(600)%'") == "0") {
    INFO(p.err());
    REQUIRE(p.running());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // What the kubelet does to stop a container: SIGTERM to its main process.
  RunResult killed = run_podman({"kill", "--signal", "TERM", run.name()});
  REQUIRE(killed.exit_code == 0);
  const int code = p.wait(60'000);
  INFO(p.err());
  CHECK(code == 143);
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "one");
  CHECK(db.scalar("SELECT to_regclass('t_two') IS NULL") == "t");
  CHECK(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE "
                  "'SELECT pg_sleep(600)%'") == "0");
}

namespace {

// Builds an image of one's own from `context` with `containerfile`, runs
// `upgrade heads` in it hardened and with no mount (the revisions come from
// the image itself), and checks that the example app was migrated.
void check_own_image_migrates(const TempDir& context, const std::string& containerfile)
{
  ScratchDatabase db;
  context.write("Containerfile", containerfile);
  Owned app(Owned::Kind::image, "localhost/lockstep-test-app:");
  RunResult built = run_podman({"build", "--quiet", "--layers=false", "-t", app.name(), context.path()});
  INFO(built.err);
  REQUIRE(built.exit_code == 0);

  HardenedRun run(app.name());
  RunResult up = run.run(db.url(), {}, {"upgrade", "heads"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(db.scalar("SELECT string_agg(version_num, ',') FROM lockstep_version") == "3f2a9c1e7b4d");
  CHECK(db.scalar("SELECT count(*) FROM lockstep_applied") == "7");
}

} // namespace

TEST_CASE("an image of one's own migrations: FROM the image, COPY migrations /migrations", "[image]")
{
  TempDir context;
  readable_by_all(context.path());
  REQUIRE(lockstep::test::copy_migrations(lockstep::test::source_migrations_dir(), context.path() + "/migrations") == 7);
  readable_by_all(context.path() + "/migrations");
  // README's two lines, with the image under test for `lockstep`.
  check_own_image_migrates(context, "FROM " + image_under_test() + "\nCOPY migrations /migrations\n");
}

TEST_CASE("an image of one's own bundle: FROM the image, COPY app.bundle, LOCKSTEP_MIGRATIONS names it", "[image][bundle]")
{
  TempDir context;
  readable_by_all(context.path());
  const std::string folder = context.path() + "/migrations";
  REQUIRE(lockstep::test::copy_migrations(lockstep::test::source_migrations_dir(), folder) == 7);
  RunResult bundled = lockstep::test::run_lockstep({"--migrations", folder, "bundle", context.path() + "/app.bundle"});
  INFO(bundled.err);
  REQUIRE(bundled.exit_code == 0);
  fs::permissions(context.path() + "/app.bundle", fs::perms::owner_read | fs::perms::owner_write |
                                                    fs::perms::group_read | fs::perms::others_read);  // uid 65532 reads it
  fs::remove_all(folder);  // only the bundle goes into the image
  // README's three lines, with the image under test for `lockstep`.
  check_own_image_migrates(context, "FROM " + image_under_test() +
                                      "\nCOPY app.bundle /migrations.bundle\nENV LOCKSTEP_MIGRATIONS=/migrations.bundle\n");
}

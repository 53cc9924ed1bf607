// The shipped artifact: the static binary alone in an empty root, as in the
// FROM-scratch image. It runs as a non-root uid under chroot, reaches the
// database by a host name from /etc/hosts with sslmode=verify-full against a
// test CA, migrates the example app, and reports to the test API server.
// scripts/test builds it first (scripts/build-static).

#include "support/fake_apiserver.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch_test_macros.hpp>
#include <pqxx/pqxx>

#include <filesystem>
#include <unistd.h>

using lockstep::test::FakeApiServer;
using lockstep::test::Process;
using lockstep::test::TempDir;

namespace fs = std::filesystem;

namespace {

void open_up(const std::string& path)
{
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                          fs::perms::others_exec);
}

void run_or_fail(const std::string& command)
{
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

} // namespace

TEST_CASE("the static binary migrates from an empty root as a non-root user, over verified TLS", "[static]")
{
  REQUIRE(fs::exists(LOCKSTEP_STATIC_BINARY));  // scripts/build-static makes it; scripts/test runs that first
  REQUIRE(geteuid() == 0);                       // chroot needs root; the binary itself runs as uid 65532

  // A test CA and a certificate for the database's host name.
  TempDir pki;
  run_or_fail("cd " + pki.path() +
              " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
              "-out ca.crt -days 2 -subj /CN=lockstep-db-ca 2>/dev/null"
              " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
              "-out server.csr -subj /CN=db.lockstep.test 2>/dev/null"
              " && printf 'subjectAltName=DNS:db.lockstep.test\\n' > san.ext"
              " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
              "-days 2 -extfile san.ext 2>/dev/null");
  TempDir server_dir;
  open_up(server_dir.path());
  const std::string pg = std::string(LOCKSTEP_SOURCE_DIR) + "/scripts/pg-server";
  run_or_fail("PG_SERVER_SSL_DIR=" + pki.path() + " " + pg + " start " + server_dir.path() + "/pg >/dev/null");
  struct Stop {
    std::string cmd;
    ~Stop() { std::system(cmd.c_str()); }
  } stop{pg + " stop " + server_dir.path() + "/pg >/dev/null 2>&1"};
  const std::string port = lockstep::test::read_text(server_dir.path() + "/pg/port");
  const std::string password = lockstep::test::read_text(server_dir.path() + "/pg/password");
  auto trim = [](std::string s) { return s.substr(0, s.find_last_not_of("\n") + 1); };

  // The empty root: the binary, /etc/hosts, /etc/passwd, the CA, the migrations.
  TempDir root;
  open_up(root.path());
  fs::copy_file(LOCKSTEP_STATIC_BINARY, root.path() + "/lockstep");
  root.write("etc/hosts", "127.0.0.1 localhost db.lockstep.test\n");
  root.write("etc/passwd", "root:x:0:0::/:/nonexistent\nlockstep:x:65532:65532:lockstep:/:/nonexistent\n");
  root.write("etc/group", "root:x:0:\nlockstep:x:65532:\n");
  root.write("ca.crt", lockstep::test::read_text(pki.path() + "/ca.crt"));
  fs::create_directories(root.path() + "/migrations");
  for (const auto& entry : fs::directory_iterator(std::string(LOCKSTEP_SOURCE_DIR) + "/migrations")) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") {  // not migrations/schema/
      fs::copy_file(entry.path(), root.path() + "/migrations/" + entry.path().filename().string());
    }
  }
  fs::create_directories(root.path() + "/out");
  REQUIRE(chown((root.path() + "/out").c_str(), 65532, 65532) == 0);
  for (const auto& dir : {root.path() + "/etc", root.path() + "/migrations"}) {
    open_up(dir);
  }

  // The Kubernetes API it reports to, with its service-account folder.
  TempDir certs;
  FakeApiServer api(certs.path(), "smoke-token");
  root.write("sa/token", "smoke-token\n");
  root.write("sa/ca.crt", lockstep::test::read_text(api.ca_path()));
  open_up(root.path() + "/sa");

  const std::string url = "postgresql://lockstep:" + trim(password) + "@db.lockstep.test:" + trim(port) +
                          "/postgres?sslmode=verify-full&sslrootcert=/ca.crt";
  Process run({"/usr/sbin/chroot", "--userspec=65532:65532", root.path(), "/lockstep", "--migrations", "/migrations",
               "--termination-log", "/out/termination-log", "upgrade", "heads"},
              lockstep::test::child_env({{"LOCKSTEP_DATABASE_URL", url},
                                         {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                                         {"KUBERNETES_SERVICE_PORT", std::to_string(api.port())},
                                         {"POD_NAME", "migrate-abc12"},
                                         {"POD_NAMESPACE", "shop"},
                                         {"LOCKSTEP_SERVICEACCOUNT_DIR", "/sa"},
                                         {"LOCKSTEP_KUBERNETES_ANNOTATE", "required"}}),
              server_dir.path());
  int code = run.wait();
  INFO(run.err());
  REQUIRE(code == 0);
  CHECK(lockstep::test::read_text(root.path() + "/out/termination-log").find("\"status\":\"succeeded\"") !=
        std::string::npos);

  pqxx::connection conn(trim(lockstep::test::read_text(server_dir.path() + "/pg/url")));
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec("SELECT version_num FROM lockstep_version")[0][0].as<std::string>() == "3f2a9c1e7b4d");
  CHECK(tx.exec("SELECT count(*) FROM information_schema.columns WHERE table_name = 'messages' AND column_name = "
                "'edited_at'")[0][0].as<int>() == 1);
  auto requests = api.requests();
  REQUIRE(requests.size() >= 2);
  for (const auto& r : requests) {
    CHECK(r.status < 300);
  }
  CHECK(requests.back().body.find("succeeded") != std::string::npos);

  // verify-full is real: a CA that did not sign the server's certificate is refused.
  root.write("wrong-ca.crt", lockstep::test::read_text(api.ca_path()));
  std::string wrong = url.substr(0, url.find("sslrootcert=")) + "sslrootcert=/wrong-ca.crt";
  Process refused({"/usr/sbin/chroot", "--userspec=65532:65532", root.path(), "/lockstep", "--migrations",
                   "/migrations", "--connect-timeout", "1s", "current"},
                  lockstep::test::child_env({{"LOCKSTEP_DATABASE_URL", wrong}}), server_dir.path());
  CHECK(refused.wait() == 3);
  CHECK(refused.err().find("certificate") != std::string::npos);
}

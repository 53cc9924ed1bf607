// db::ServerProbe (db/server_probe.hpp) on the suite's PostgreSQL: the
// read-only questions a fleet asks before it runs targets (free connections,
// CONNECTION LIMITs, schemas like a pattern, a caller's query), and its
// failures as lockstep::Errors that name what was asked and no password.

#include "db/server_probe.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"
#include "util/random_hex.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <pqxx/pqxx>

#include <algorithm>

using lockstep::db::ConnectionLimit;
using lockstep::db::ServerProbe;
using lockstep::test::ScratchDatabase;
using Catch::Matchers::ContainsSubstring;

namespace {

lockstep::db::ConnectionTarget target_of(const std::string& url)
{
  return lockstep::db::parse_database_url(url, {});
}

void admin(const std::string& sql)
{
  pqxx::connection c(lockstep::test::server_url());
  pqxx::nontransaction(c).exec(sql);
}

// A login role with a CONNECTION LIMIT, dropped on destruction (declare it
// before the databases it connects to).
struct LimitedRole {
  std::string name = "probe_" + lockstep::util::random_hex(6);
  std::string password = "Probe-" + lockstep::util::random_hex(8);

  explicit LimitedRole(int limit)
  {
    admin("CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "' CONNECTION LIMIT " + std::to_string(limit));
  }
  ~LimitedRole()
  {
    try {
      admin("DROP ROLE IF EXISTS " + name);
    } catch (const std::exception&) {
    }
  }
  std::string url(const ScratchDatabase& db) const
  {
    std::string u = lockstep::test::url_with_database(lockstep::test::server_url(), db.name());
    const size_t scheme = u.find("://") + 3;
    return u.substr(0, scheme) + name + ":" + password + u.substr(u.find('@'));
  }
};

const ConnectionLimit* find(const std::vector<ConnectionLimit>& limits, const std::string& name)
{
  auto it = std::find_if(limits.begin(), limits.end(), [&](const ConnectionLimit& l) { return l.name == name; });
  return it == limits.end() ? nullptr : &*it;
}

} // namespace

TEST_CASE("a server probe reads free connections and the CONNECTION LIMITs of the roles and databases asked about",
          "[probe]")
{
  LimitedRole role(3);
  ScratchDatabase db, unlimited;
  admin("ALTER DATABASE " + db.name() + " CONNECTION LIMIT 5");  // from postgres: no connection of db's own lingers
  pqxx::connection held(role.url(db));  // one connection of the role's, to the limited database

  ServerProbe probe(target_of(db.url()), std::chrono::seconds(30));
  const lockstep::db::ConnectionHeadroom h = probe.connections({role.name, "no_such_role"}, {db.name(), unlimited.name()});
  CHECK(h.max_connections == std::stoll(db.scalar("SHOW max_connections")));
  CHECK(h.reserved >= std::stoll(db.scalar("SHOW superuser_reserved_connections")));
  CHECK(h.in_use >= 1);  // `held`; the probe's own is left out
  CHECK(h.free() == h.max_connections - h.reserved - h.in_use);
  CHECK(h.current_user == db.scalar("SELECT current_user"));

  const ConnectionLimit* r = find(h.roles, role.name);
  REQUIRE(r != nullptr);
  CHECK(r->limit == 3);
  CHECK(r->open == 1);
  CHECK(find(h.roles, h.current_user) == nullptr);  // the suite's superuser: no limit applies to it
  CHECK(find(h.roles, "no_such_role") == nullptr);

  const ConnectionLimit* d = find(h.databases, db.name());
  REQUIRE(d != nullptr);
  CHECK(d->limit == 5);
  CHECK(d->open == 1);  // `held`; the probe's own is left out
  CHECK(find(h.databases, unlimited.name()) == nullptr);  // no limit, nothing to cap
}

TEST_CASE("a server probe lists the schemas like a pattern, sorted, and a caller's query as written", "[probe]")
{
  ScratchDatabase db;
  db.exec("CREATE SCHEMA tenant_b; CREATE SCHEMA tenant_a; CREATE SCHEMA tenantx; CREATE SCHEMA other");
  ServerProbe probe(target_of(db.url()), std::chrono::seconds(30));
  CHECK(probe.schemas_like("tenant\\_%") == std::vector<std::string>{"tenant_a", "tenant_b"});
  CHECK(probe.schemas_like("nothing%").empty());
  CHECK(probe.first_column("VALUES ('b'), (NULL), ('a')", "listing") == std::vector<std::string>{"b", "a"});
}

TEST_CASE("a server probe's failures are lockstep errors naming what was asked, never the password", "[probe]")
{
  ScratchDatabase db;
  const std::string password = lockstep::test::server_password();
  ServerProbe probe(target_of(db.url()), std::chrono::seconds(30));
  try {
    probe.first_column("SELECT * FROM no_such_table", "running fleet_query");
    FAIL("a query of a missing table succeeded");
  } catch (const lockstep::Error& e) {
    CHECK_THAT(e.what(), ContainsSubstring("running fleet_query") && ContainsSubstring("42P01"));
    CHECK(std::string(e.what()).find(password) == std::string::npos);
  }
  // Read-only: a write is refused by the server, and nothing was created.
  CHECK_THROWS_AS(probe.first_column("CREATE TABLE t (id int)", "writing"), lockstep::Error);
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");

  LimitedRole role(1);
  db.exec("CREATE TABLE tenants (url text)");
  try {
    ServerProbe as_role(target_of(role.url(db)), std::chrono::seconds(30));
    as_role.first_column("SELECT url FROM tenants", "running fleet_query");
    FAIL("a role without SELECT read the table");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == lockstep::ExitCode::usage);  // configuration, not an internal error a Job retries
    CHECK_THAT(e.what(), ContainsSubstring("running fleet_query") && ContainsSubstring("42501"));
    CHECK(std::string(e.what()).find("lockstep's tables") == std::string::npos);  // no hint about them
    CHECK(std::string(e.what()).find("GRANT") == std::string::npos);
  }
  std::string wrong = role.url(db);
  wrong.replace(wrong.find(role.password), role.password.size(), "wrong-" + role.password);
  try {
    ServerProbe refused(target_of(wrong), std::chrono::seconds(30));
    FAIL("a wrong password connected");
  } catch (const lockstep::Error& e) {
    CHECK(e.code() == lockstep::ExitCode::unreachable);
    CHECK(std::string(e.what()).find(role.password) == std::string::npos);
  }
}

// Read-only questions asked of a server before anything runs there: how many
// connections it (and its roles' and databases' CONNECTION LIMITs) can still
// take, which schemas match a pattern, the rows of a caller's own query.
// What a fleet asks (src/fleet: its connection pools, tenant schemas,
// fleet_query) without seeing a connection, pqxx or db::Session.
//
// A ServerProbe is one connection of its own, opened like a driver's
// (retries until `connect_timeout`, then Error(unreachable)) and closed when
// it is destroyed: hold it for the questions, never while migrations run.
// Every method only reads; each failure leaves as a lockstep::Error
// classified at db/'s edge (db/sqlstate.hpp: a missing privilege is a
// configuration error, 2; a lost server 3), its message naming the redacted
// target and what was being asked, never the password, and no hint about
// lockstep's own tables, which a probe does not touch.
#pragma once

#include "db/connection_url.hpp"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace lockstep::db {

class Session;

// A role's or a database's CONNECTION LIMIT and the connections open under it.
struct ConnectionLimit {
  std::string name;
  long long limit = 0;
  long long open = 0;  // the probe's own connection left out
};

// What a server can still accept, as the probe sees it.
struct ConnectionHeadroom {
  long long max_connections = 0;
  // superuser_reserved_connections plus reserved_connections (PostgreSQL 16+; 0 before).
  long long reserved = 0;
  long long in_use = 0;       // client backends other than the probe's own
  std::string current_user;   // the role the probe connected as (libpq's default when the URL names none)
  // Of the roles asked about plus current_user: the non-superusers that have a limit.
  std::vector<ConnectionLimit> roles;
  // Of the databases asked about: those that have a limit.
  std::vector<ConnectionLimit> databases;

  long long free() const { return max_connections - reserved - in_use; }
};

class ServerProbe {
public:
  ServerProbe(const ConnectionTarget& target, std::chrono::milliseconds connect_timeout);
  ~ServerProbe();
  ServerProbe(const ServerProbe&) = delete;
  ServerProbe& operator=(const ServerProbe&) = delete;

  // One snapshot of pg_settings, pg_stat_activity, pg_roles and pg_database.
  ConnectionHeadroom connections(const std::set<std::string>& roles, const std::set<std::string>& databases);
  // The schemas whose names match the LIKE `pattern`, sorted by name.
  std::vector<std::string> schemas_like(const std::string& pattern);
  // The first column of every row of the caller's `sql`, run in a read-only
  // transaction, in the order the server returns them, NULLs left out.
  // `doing` names the query in error messages ("running fleet_query").
  std::vector<std::string> first_column(const std::string& sql, const std::string& doing);

private:
  std::unique_ptr<Session> m_session;
};

} // namespace lockstep::db

#include "db/server_probe.hpp"

#include "db/session.hpp"
#include "db/session_connection.hpp"
#include "util/sql_quote.hpp"

namespace lockstep::db {

namespace {

std::string in_list(const std::set<std::string>& names)
{
  std::string out;
  for (const auto& name : names) {
    out += (out.empty() ? "" : ", ") + util::quote_literal(name);
  }
  return out.empty() ? "NULL" : out;
}

std::vector<ConnectionLimit> limits_of(const pqxx::result& rows)
{
  std::vector<ConnectionLimit> out;
  for (const auto& row : rows) {
    out.push_back({row[0].c_str(), row[1].as<long long>(), row[2].as<long long>()});
  }
  return out;
}

} // namespace

ServerProbe::ServerProbe(const ConnectionTarget& target, std::chrono::milliseconds connect_timeout)
  : m_session(std::make_unique<Session>(target, TableNames{}, connect_timeout))
{
}

ServerProbe::~ServerProbe() = default;

ConnectionHeadroom ServerProbe::connections(const std::set<std::string>& roles, const std::set<std::string>& databases)
try {
  const std::string others = "pid <> pg_backend_pid()";
  pqxx::read_transaction tx(m_session->m_connection->conn);
  ConnectionHeadroom h;
  pqxx::row server = tx.exec1(
    "SELECT current_setting('max_connections')::bigint, current_setting('superuser_reserved_connections')::bigint + "
    "coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::bigint, "
    "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND " + others + "), current_user");
  h.max_connections = server[0].as<long long>();
  h.reserved = server[1].as<long long>();
  h.in_use = server[2].as<long long>();
  h.current_user = server[3].c_str();
  std::set<std::string> asked = roles;
  asked.erase("");
  asked.insert(h.current_user);
  h.roles = limits_of(tx.exec(
    "SELECT r.rolname, r.rolconnlimit, (SELECT count(*) FROM pg_stat_activity a WHERE a.usename = r.rolname AND a." +
    others + ") FROM pg_roles r WHERE r.rolconnlimit >= 0 AND NOT r.rolsuper AND r.rolname IN (" + in_list(asked) +
    ") ORDER BY 1"));
  h.databases = limits_of(tx.exec(
    "SELECT d.datname, d.datconnlimit, (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname AND a." +
    others + ") FROM pg_database d WHERE d.datconnlimit >= 0 AND d.datname IN (" + in_list(databases) +
    ") ORDER BY 1"));
  return h;
} catch (...) {
  m_session->fail("reading the server's free connections", false);
}

std::vector<std::string> ServerProbe::schemas_like(const std::string& pattern)
{
  return first_column("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE " + util::quote_literal(pattern) +
                        " ORDER BY 1",
                      "listing the schemas like " + util::quote_literal(pattern));
}

std::vector<std::string> ServerProbe::first_column(const std::string& sql, const std::string& doing)
try {
  pqxx::read_transaction tx(m_session->m_connection->conn);
  std::vector<std::string> values;
  for (const auto& row : tx.exec(sql)) {
    if (!row[0].is_null()) {
      values.emplace_back(row[0].c_str());
    }
  }
  return values;
} catch (...) {
  m_session->fail(doing, false);
}

} // namespace lockstep::db

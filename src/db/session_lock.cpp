// The PostgreSQL driver's lock, in both modes: a session-level advisory lock
// and the lease row (db/driver.hpp, point 3).
#include "db/session.hpp"

#include "db/session_connection.hpp"
#include "util/sql_quote.hpp"

namespace lockstep::db {

bool Session::try_lock()
try {
  pqxx::nontransaction tx(m_connection->conn);
  return tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(lock_key(m_names)) + ")")[0][0].as<bool>();
} catch (...) {
  fail("taking the advisory lock");
}

void Session::unlock()
try {
  pqxx::nontransaction tx(m_connection->conn);
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(lock_key(m_names)) + ")");
} catch (...) {
  fail("releasing the advisory lock");
}

std::string Session::lock_holder()
try {
  int64_t key = lock_key(m_names);
  pqxx::nontransaction tx(m_connection->conn);
  pqxx::result r = tx.exec(
    "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), "
    "coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = " +
    std::to_string(key >> 32) + " AND l.objid::bigint = " + std::to_string(key & 0xffffffffLL));
  if (r.empty()) {
    return "nobody (it was just released)";
  }
  return "pid " + std::string(r[0][0].c_str()) + " (" + r[0][1].c_str() + ", " + r[0][2].c_str() +
         ") connected since " + r[0][3].c_str();
} catch (...) {
  fail("asking who holds the advisory lock");
}

bool Session::take_lease(const std::string& owner, std::chrono::milliseconds ttl)
try {
  create_if_missing(create_lease_table_sql(m_names));
  pqxx::work tx(m_connection->conn);
  bool taken = !tx.exec(take_lease_sql(m_names, owner, ttl.count())).empty();
  tx.commit();
  return taken;
} catch (...) {
  fail("taking the lease");
}

bool Session::renew_lease(const std::string& owner, std::chrono::milliseconds ttl)
try {
  pqxx::work tx(m_connection->conn);
  bool held = !tx.exec(renew_lease_sql(m_names, owner, ttl.count())).empty();
  tx.commit();
  return held;
} catch (...) {
  fail("renewing the lease");
}

void Session::release_lease(const std::string& owner)
try {
  pqxx::work tx(m_connection->conn);
  tx.exec(release_lease_sql(m_names, owner));
  tx.commit();
} catch (...) {
  fail("releasing the lease");
}

std::string Session::lease_holder()
try {
  pqxx::nontransaction tx(m_connection->conn);
  pqxx::result r = tx.exec("SELECT owner, to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                           "round(extract(epoch FROM expires_at - clock_timestamp()))::int FROM " +
                           m_names.lease() + " WHERE version_table = " + util::quote_literal(m_names.version_table));
  if (r.empty()) {
    return "nobody (it was just released)";
  }
  return std::string(r[0][0].c_str()) + " since " + r[0][1].c_str() + " (expires in " + r[0][2].c_str() + "s)";
} catch (...) {
  fail("asking who holds the lease");
}

} // namespace lockstep::db

// The PostgreSQL driver's lock, in both modes: a session-level advisory lock
// and the lease row (db/driver.hpp, point 3), and the NOTIFY that announces
// a release to the waiters LISTENing on lock_channel(). Every lease query is
// one statement (or one simple query, an implicit transaction), so it holds
// behind PgBouncer in transaction pooling and costs one round trip.
#include "db/session.hpp"

#include "db/pqxx_answers.hpp"
#include "db/session_connection.hpp"
#include "util/sql_quote.hpp"

#include <algorithm>

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
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(lock_key(m_names)) + "), " + notify_sql());
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
    // Advisory locks are per database: the same key held in another database on this server
    // (a fleet's neighbour, another app) is not this lock.
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.classid::bigint = " +
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
  const std::string sql = take_lease_sql(m_names, owner, ttl.count());
  try {
    return !pqxx::nontransaction(m_connection->conn).exec(sql).empty();
  } catch (const pqxx::sql_error& e) {
    if (sqlstate_of(e) != "42P01") {
      throw;
    }
  }
  // The first run against this database: the lease table is missing.
  create_if_missing(create_lease_table_sql(m_names));
  return !pqxx::nontransaction(m_connection->conn).exec(sql).empty();
} catch (...) {
  fail("taking the lease");
}

bool Session::renew_lease(const std::string& owner, std::chrono::milliseconds ttl)
try {
  return !pqxx::nontransaction(m_connection->conn).exec(renew_lease_sql(m_names, owner, ttl.count())).empty();
} catch (...) {
  fail("renewing the lease");
}

// The DELETE and the NOTIFY in one simple query: one implicit transaction,
// so waiters hear of the release only once it is committed.
void Session::release_lease(const std::string& owner)
try {
  pqxx::nontransaction(m_connection->conn).exec(release_lease_sql(m_names, owner) + ";\nSELECT " + notify_sql());
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

std::string Session::notify_sql() const
{
  return "pg_notify(" + util::quote_literal(lock_channel(m_names)) + ", 'released')";
}

void Session::watch_releases()
try {
  pqxx::nontransaction(m_connection->conn).exec("LISTEN " + util::quote_ident(lock_channel(m_names)));
} catch (...) {
  fail("listening for the lock's release");
}

void Session::stop_watching()
try {
  pqxx::nontransaction(m_connection->conn).exec("UNLISTEN " + util::quote_ident(lock_channel(m_names)));
} catch (...) {
  fail("listening for the lock's release");
}

bool Session::wait_for_release(std::chrono::milliseconds timeout)
try {
  const long ms = std::max<long>(0, static_cast<long>(timeout.count()));
  return m_connection->conn.await_notification(ms / 1000, (ms % 1000) * 1000) > 0;
} catch (...) {
  fail("waiting for the lock's release");
}

} // namespace lockstep::db

#include "db/session.hpp"

#include "db/session_connection.hpp"

#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"
#include "util/sql_quote.hpp"
#include "util/strings.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <random>
#include <thread>

namespace lockstep::db {

namespace {

// pqxx's what() is libpq's whole message: "ERROR:  ...", then DETAIL, HINT,
// and LINE/caret lines that only make sense next to the query. Keep the
// message, DETAIL and HINT on one line.
std::string server_message(const std::string& what)
{
  std::string out;
  size_t start = 0;
  while (start < what.size()) {
    size_t end = what.find('\n', start);
    if (end == std::string::npos) {
      end = what.size();
    }
    std::string line(util::trim(std::string_view(what).substr(start, end - start)));
    start = end + 1;
    for (const char* prefix : {"ERROR:", "FATAL:"}) {
      if (util::starts_with(line, prefix)) {
        line = std::string(util::trim(line.substr(std::string(prefix).size())));
      }
    }
    if (line.empty() || util::starts_with(line, "LINE ") || line.find_first_not_of(" ^") == std::string::npos ||
        util::starts_with(line, "CONTEXT:")) {
      continue;
    }
    out += out.empty() ? line : " " + line;
  }
  return out;
}

// The line of the query an error points at: libpq appends "LINE n: ..." to
// the message of an error that has a position (pqxx keeps the position
// only for plain syntax errors, and in characters, where this is in lines).
// A libpq translated into another language says something else than "LINE";
// the error then names the statement's first line, as it would without a
// position.
std::optional<int> query_line_of_error(const std::string& what)
{
  for (size_t at = what.find("LINE "); at != std::string::npos; at = what.find("LINE ", at + 1)) {
    if (at != 0 && what[at - 1] != '\n') {
      continue;
    }
    size_t digits = at + 5;
    size_t end = digits;
    while (end < what.size() && end - digits < 9 && what[end] >= '0' && what[end] <= '9') {
      ++end;
    }
    if (end > digits && end < what.size() && what[end] == ':') {
      return std::stoi(what.substr(digits, end - digits));
    }
  }
  return std::nullopt;
}

std::string text_of(const pqxx::field& field)
{
  return field.is_null() ? std::string() : field.c_str();
}

std::string milliseconds_literal(std::chrono::milliseconds ms)
{
  return "'" + std::to_string(ms.count()) + "ms'";
}

// What went wrong with one statement, before it becomes an Error.
struct StatementFailure {
  std::string sqlstate;
  std::string where;   // file:line
  std::string reason;  // the server's message
  size_t statement = 0;
  bool committed_some = false;
};

} // namespace

Session::Session(const ConnectionTarget& target, TableNames names, std::chrono::milliseconds connect_timeout)
  : m_target(target), m_names(std::move(names))
{
  connect_with_retries(connect_timeout);
}

Session::~Session() = default;

// The connection dropped between statements (a restarted server, a
// failover): that is "database unreachable", exit 3, so a Job retries.
void Session::lost(const std::exception& e)
{
  throw Error(ExitCode::unreachable, "lost the connection to " + m_target.display + ": " +
                                       scrub(server_message(e.what()), m_target.conninfo));
}

void Session::connect_with_retries(std::chrono::milliseconds connect_timeout)
{
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + connect_timeout;
  std::chrono::milliseconds delay(100);
  std::mt19937 jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    interrupt::check();
    std::string reason;
    try {
      m_connection = std::make_unique<Connection>(m_target.conninfo);
      return;
    } catch (const pqxx::broken_connection& e) {
      reason = server_message(e.what());
    } catch (const pqxx::sql_error& e) {
      reason = server_message(e.what());
    }
    reason = scrub(reason, m_target.conninfo);
    if (reason.find("password authentication failed") != std::string::npos ||
        reason.find("no password supplied") != std::string::npos || reason.find("does not exist") != std::string::npos) {
      throw Error(ExitCode::unreachable, "cannot connect to " + m_target.display + ": " + reason);
    }
    auto now = clock::now();
    if (now >= deadline) {
      throw Error(ExitCode::unreachable, "database " + m_target.display + " not reachable within " +
                                           std::to_string(connect_timeout.count() / 1000) + "s (" +
                                           std::to_string(attempt) + " attempts): " + reason);
    }
    log::event(log::Level::warn, "cannot connect to " + m_target.display + " (attempt " + std::to_string(attempt) +
                                   "): " + reason + "; retrying in " + std::to_string(delay.count()) + " ms",
               {log::num("attempt", attempt)});
    auto pause = std::min<clock::duration>(delay + std::chrono::milliseconds(jitter() % (delay.count() / 2 + 1)),
                                           deadline - now);
    interrupt::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(pause));
    interrupt::check();
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

DatabaseState Session::read_state()
try {
  DatabaseState state;
  pqxx::nontransaction tx(m_connection->conn);
  pqxx::result exists = tx.exec("SELECT to_regclass(" + util::quote_literal(m_names.version()) +
                                ") IS NOT NULL, to_regclass(" + util::quote_literal(m_names.applied()) +
                                ") IS NOT NULL, to_regclass(" + util::quote_literal(m_names.dirty()) + ") IS NOT NULL");
  state.initialized = exists[0][0].as<bool>();
  const bool has_applied = exists[0][1].as<bool>();
  const bool has_dirty = exists[0][2].as<bool>();
  if (!state.initialized) {
    return state;
  }
  // One round trip for everything else: rows, checksums, dirty flag.
  std::string sql = "SELECT 'v', version_num, NULL, NULL, NULL, NULL, NULL FROM " + m_names.version();
  if (has_applied) {
    sql += " UNION ALL SELECT 'a', revision, checksum, NULL, NULL, NULL, NULL FROM " + m_names.applied() +
           " WHERE version_table = " + util::quote_literal(m_names.version_table);
  }
  if (has_dirty) {
    sql += " UNION ALL SELECT 'd', revision, direction, location, error, "
           "to_char(failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), run_by FROM " +
           m_names.dirty() + " WHERE version_table = " + util::quote_literal(m_names.version_table);
  }
  for (const auto& row : tx.exec(sql)) {
    const char kind = row[0].c_str()[0];
    if (kind == 'v') {
      state.rows.push_back(row[1].c_str());
    } else if (kind == 'a') {
      state.checksums[row[1].c_str()] = text_of(row[2]);
    } else {
      state.dirty = DirtyState{text_of(row[1]), text_of(row[2]), text_of(row[3]),
                               text_of(row[4]), text_of(row[5]), text_of(row[6])};
    }
  }
  std::sort(state.rows.begin(), state.rows.end());
  return state;
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

std::vector<AppliedRecord> Session::read_applied(const std::vector<std::string>& revisions)
try {
  std::vector<AppliedRecord> records;
  if (revisions.empty()) {
    return records;
  }
  std::string list;
  for (const auto& rev : revisions) {
    list += (list.empty() ? "" : ", ") + util::quote_literal(rev);
  }
  pqxx::nontransaction tx(m_connection->conn);
  pqxx::result result = tx.exec(
    "SELECT revision, array_to_string(parents, ','), array_to_string(depends_on, ','), "
    "array_to_string(branch_labels, ','), message, checksum, downgrade_sql, transactional FROM " +
    m_names.applied() + " WHERE version_table = " + util::quote_literal(m_names.version_table) +
    " AND revision IN (" + list + ") ORDER BY 1");
  for (const auto& row : result) {
    AppliedRecord r;
    r.revision = row[0].c_str();
    r.parents = util::split_list(text_of(row[1]));
    r.depends_on = util::split_list(text_of(row[2]));
    r.branch_labels = util::split_list(text_of(row[3]));
    r.message = text_of(row[4]);
    r.checksum = text_of(row[5]);
    r.downgrade_sql = text_of(row[6]);
    r.transactional = row[7].as<bool>();
    records.push_back(std::move(r));
  }
  return records;
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

// Runs CREATE ... IF NOT EXISTS statements that another process may be
// running at the same moment (fifty pods taking the lease on a fresh
// database, or two version tables in one schema under two locks). The loser
// sees a duplicate in the catalog: a unique violation on pg_type or
// pg_namespace, or "type/relation/schema already exists". Its transaction
// rolled back whole, so it runs again: by then the winner has committed and
// IF NOT EXISTS skips what exists and creates the rest.
void Session::create_if_missing(const std::string& sql)
{
  for (int attempt = 1;; ++attempt) {
    try {
      run_transaction(sql);
      return;
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::sql_error& e) {
      const std::string state = e.sqlstate();
      const bool duplicate = state == "23505" || state == "42P07" || state == "42710" || state == "42P06";
      if (!duplicate || attempt == 3) {
        throw;
      }
    }
  }
}

void Session::create_tables()
{
  create_if_missing(create_tables_sql(m_names));
}

bool Session::try_lock()
try {
  pqxx::nontransaction tx(m_connection->conn);
  return tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(lock_key(m_names)) + ")")[0][0].as<bool>();
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

void Session::unlock()
{
  pqxx::nontransaction tx(m_connection->conn);
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(lock_key(m_names)) + ")");
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
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

bool Session::take_lease(const std::string& owner, std::chrono::milliseconds ttl)
try {
  create_if_missing(create_lease_table_sql(m_names));
  pqxx::work tx(m_connection->conn);
  bool taken = !tx.exec(take_lease_sql(m_names, owner, ttl.count())).empty();
  tx.commit();
  return taken;
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

bool Session::renew_lease(const std::string& owner, std::chrono::milliseconds ttl)
try {
  pqxx::work tx(m_connection->conn);
  bool held = !tx.exec(renew_lease_sql(m_names, owner, ttl.count())).empty();
  tx.commit();
  return held;
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

void Session::release_lease(const std::string& owner)
{
  pqxx::work tx(m_connection->conn);
  tx.exec(release_lease_sql(m_names, owner));
  tx.commit();
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
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

void Session::run_once(const StepBatch& step, const RunLimits& limits)
{
  // SET LOCAL inside a transaction ends with it; outside one, SET and RESET.
  auto limits_sql = [&](const char* set) {
    std::string sql;
    if (limits.statement_timeout) {
      sql += std::string(set) + " statement_timeout = " + milliseconds_literal(*limits.statement_timeout) + ";";
    }
    if (limits.ddl_lock_timeout) {
      sql += std::string(set) + " lock_timeout = " + milliseconds_literal(*limits.ddl_lock_timeout) + ";";
    }
    return sql;
  };
  const std::string set_limits = limits_sql(step.transactional ? "SET LOCAL" : "SET");
  pqxx::connection& conn = m_connection->conn;
  size_t index = 0;
  int lines_before = 0;  // line breaks before the failing statement in its query
  bool committed_some = false;
  // A signal between statements stops the step as a cancelled statement would.
  auto stop_if_interrupted = [&] {
    if (interrupt::received() != 0) {
      throw StatementFailure{"57014", step.location, "stopped by a signal", index, committed_some};
    }
  };
  try {
    if (step.transactional) {
      // As few round trips as the statements allow: BEGIN (and the limits)
      // travel with the first statement, the bookkeeping and COMMIT with the
      // last, so a one-statement revision is one round trip. Each query
      // holds one migration statement, so a failure still names it;
      // `lines_before` says where it starts in the query, for error lines.
      const size_t count = step.statements.size();
      const std::string opening = "BEGIN;" + set_limits + "\n";
      const std::string closing = "\n;" + step.bookkeeping + "COMMIT;";
      pqxx::nontransaction tx(conn);
      try {
        if (count == 0) {
          stop_if_interrupted();
          tx.exec(opening + closing);
        }
        for (; index < count; ++index) {
          stop_if_interrupted();
          std::string query = index == 0 ? opening : std::string();
          lines_before = static_cast<int>(std::count(query.begin(), query.end(), '\n'));
          query += step.statements[index].sql;
          if (index + 1 == count) {
            query += closing;
          }
          tx.exec(query);
        }
      } catch (...) {
        try {
          tx.exec("ROLLBACK");
        } catch (const std::exception&) {
          // The connection is gone or the signal handler cancelled it; the
          // server rolls back an open transaction when its session ends.
        }
        throw;
      }
    } else {
      if (!set_limits.empty()) {
        pqxx::nontransaction(conn).exec(set_limits);
      }
      for (; index < step.statements.size(); ++index) {
        stop_if_interrupted();
        pqxx::nontransaction(conn).exec(step.statements[index].sql);
        committed_some = true;
      }
      stop_if_interrupted();
      if (!set_limits.empty()) {
        pqxx::nontransaction(conn).exec("RESET statement_timeout; RESET lock_timeout");
      }
      pqxx::work tx(conn);
      tx.exec(step.bookkeeping);
      tx.commit();
    }
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const StatementFailure&) {
    throw;
  } catch (const pqxx::sql_error& e) {
    if (!step.transactional && !set_limits.empty()) {
      try {
        pqxx::nontransaction(conn).exec("RESET statement_timeout; RESET lock_timeout");
      } catch (const std::exception&) {
      }
    }
    StatementFailure failure;
    failure.sqlstate = e.sqlstate();
    failure.reason = scrub(server_message(e.what()), m_target.conninfo);
    failure.statement = index;
    failure.committed_some = committed_some;
    int line = 0;
    if (index < step.statements.size()) {
      const Statement& stmt = step.statements[index];
      line = stmt.line;
      if (auto query_line = query_line_of_error(e.what())) {
        // Only a line within the statement (not BEGIN or the bookkeeping).
        const int within = *query_line - 1 - lines_before;
        if (within >= 0 && within <= static_cast<int>(std::count(stmt.sql.begin(), stmt.sql.end(), '\n'))) {
          line = stmt.line + within;
        }
      }
    } else {
      failure.reason = "recording the step failed: " + failure.reason;
    }
    failure.where = step.location + (line > 0 ? ":" + std::to_string(line) : std::string());
    throw failure;
  }
}

void Session::run_step(const StepBatch& step, const RunLimits& limits)
{
  interrupt::CancelScope cancel([this] { m_connection->conn.cancel_query(); });
  std::chrono::milliseconds backoff(500);
  for (int attempt = 0;; ++attempt) {
    try {
      run_once(step, limits);
      return;
    } catch (const pqxx::broken_connection& e) {
      throw Error(ExitCode::unreachable, "lost the connection to " + m_target.display + " while running revision " +
                                           step.revision + ": " + scrub(server_message(e.what()), m_target.conninfo));
    } catch (const StatementFailure& failure) {
      const bool interrupted = interrupt::received() != 0;
      // lock_not_available under ddl_lock_timeout: the table is busy. A
      // transactional revision rolled back whole, so it can run again.
      if (!interrupted && failure.sqlstate == "55P03" && limits.ddl_lock_timeout && attempt < limits.lock_retries &&
          (step.transactional || !failure.committed_some)) {
        log::event(log::Level::warn,
                   "revision " + step.revision + " could not get a lock at " + failure.where + " (" + failure.reason +
                     "); retry " + std::to_string(attempt + 1) + " of " + std::to_string(limits.lock_retries) +
                     " in " + std::to_string(backoff.count()) + " ms",
                   {log::str("revision", step.revision), log::num("attempt", attempt + 1)});
        if (!interrupt::sleep_for(backoff)) {
          interrupt::check();
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
        continue;
      }
      std::string error = failure.where + ": " + failure.reason;
      std::string record = history_sql(m_names, step.revision, step.direction, step.checksum, step.run_by,
                                       interrupted ? "interrupted" : "failed", error);
      if (!step.transactional) {
        record += mark_dirty_sql(m_names, step.revision, step.direction, failure.where, failure.reason, step.run_by);
      }
      try {
        run_transaction(record);
      } catch (const std::exception& record_error) {
        log::event(log::Level::warn, "could not record the failure of " + step.revision + ": " +
                                       server_message(record_error.what()));
      }
      interrupt::check();
      std::string outcome = step.transactional ? "rolled back"
                            : failure.committed_some
                              ? "the statements before it stay committed (Transactional: false); the database is "
                                "marked dirty until 'lockstep repair'"
                              : "nothing was committed, but the database is marked dirty until 'lockstep repair' "
                                "(Transactional: false)";
      throw Error(ExitCode::migration_failed,
                  "revision " + step.revision + " failed at " + error +
                    (failure.sqlstate.empty() ? "" : " (SQLSTATE " + failure.sqlstate + ")") + "; " + outcome,
                  FailureDetail{step.revision, failure.sqlstate});
    }
  }
}

void Session::execute(const std::string& sql)
try {
  pqxx::nontransaction(m_connection->conn).exec(sql);
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

void Session::run_transaction(const std::string& sql)
try {
  pqxx::work tx(m_connection->conn);
  tx.exec(sql);
  tx.commit();
} catch (const pqxx::broken_connection& e) {
  lost(e);
}

} // namespace lockstep::db

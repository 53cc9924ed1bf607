#include "db/session.hpp"

#include "util/error.hpp"
#include "util/sql_quote.hpp"
#include "util/strings.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

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

int line_of_position(const script::Statement& stmt, int position)
{
  int line = stmt.line;
  for (int i = 0; i < position - 1 && i < static_cast<int>(stmt.sql.size()); ++i) {
    if (stmt.sql[static_cast<size_t>(i)] == '\n') {
      ++line;
    }
  }
  return line;
}

std::string split_field(const pqxx::field& field)
{
  return field.is_null() ? std::string() : field.c_str();
}

} // namespace

struct Session::Connection {
  explicit Connection(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

Session::Session(const ConnectionTarget& target, TableNames names, std::chrono::milliseconds connect_timeout)
  : m_target(target), m_names(std::move(names))
{
  connect_with_retries(connect_timeout);
}

Session::~Session() = default;

void Session::connect_with_retries(std::chrono::milliseconds connect_timeout)
{
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + connect_timeout;
  std::chrono::milliseconds delay(100);
  std::mt19937 jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
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
    spdlog::warn("connecting to {} failed (attempt {}): {}; retrying in {} ms", m_target.display, attempt, reason,
                 delay.count());
    auto sleep_for = std::min<clock::duration>(delay + std::chrono::milliseconds(jitter() % 100), deadline - now);
    std::this_thread::sleep_for(sleep_for);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

DatabaseState Session::read_state(bool with_applied)
{
  DatabaseState state;
  pqxx::nontransaction tx(m_connection->conn);
  pqxx::result exists = tx.exec("SELECT to_regclass(" + util::quote_literal(m_names.version()) +
                                ") IS NOT NULL, to_regclass(" + util::quote_literal(m_names.applied()) +
                                ") IS NOT NULL");
  state.initialized = exists[0][0].as<bool>();
  bool has_applied = exists[0][1].as<bool>();
  if (!state.initialized) {
    return state;
  }
  for (const auto& row : tx.exec("SELECT version_num FROM " + m_names.version() + " ORDER BY 1")) {
    state.rows.push_back(row[0].c_str());
  }
  if (with_applied && has_applied) {
    pqxx::result records = tx.exec(
      "SELECT revision, array_to_string(parents, ','), array_to_string(depends_on, ','), "
      "array_to_string(branch_labels, ','), message, checksum, downgrade_sql, transactional FROM " +
      m_names.applied() + " WHERE version_table = " + util::quote_literal(m_names.version_table) + " ORDER BY 1");
    for (const auto& row : records) {
      AppliedRecord r;
      r.revision = row[0].c_str();
      r.parents = util::split_list(split_field(row[1]));
      r.depends_on = util::split_list(split_field(row[2]));
      r.branch_labels = util::split_list(split_field(row[3]));
      r.message = split_field(row[4]);
      r.checksum = split_field(row[5]);
      r.downgrade_sql = split_field(row[6]);
      r.transactional = row[7].as<bool>();
      state.applied.push_back(std::move(r));
    }
  }
  return state;
}

void Session::create_tables()
{
  run_transaction(create_tables_sql(m_names));
}

bool Session::try_lock()
{
  pqxx::nontransaction tx(m_connection->conn);
  return tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(lock_key(m_names)) + ")")[0][0].as<bool>();
}

void Session::unlock()
{
  pqxx::nontransaction tx(m_connection->conn);
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(lock_key(m_names)) + ")");
}

std::string Session::lock_holder()
{
  int64_t key = lock_key(m_names);
  pqxx::nontransaction tx(m_connection->conn);
  pqxx::result r = tx.exec(
    "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), "
    "coalesce(to_char(a.backend_start, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), '') "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = " +
    std::to_string(key >> 32) + " AND l.objid::bigint = " + std::to_string(key & 0xffffffffLL));
  if (r.empty()) {
    return "nobody (it was just released)";
  }
  return "pid " + std::string(r[0][0].c_str()) + " (" + r[0][1].c_str() + ", " + r[0][2].c_str() + ") connected since " +
         r[0][3].c_str();
}

void Session::run_step(const StepBatch& step)
{
  const script::Statement* current = nullptr;
  bool committed_some = false;
  try {
    if (step.transactional) {
      pqxx::work tx(m_connection->conn);
      for (const auto& stmt : step.statements) {
        current = &stmt;
        tx.exec(stmt.sql);
      }
      current = nullptr;
      tx.exec(step.bookkeeping);
      tx.commit();
    } else {
      for (const auto& stmt : step.statements) {
        current = &stmt;
        pqxx::nontransaction tx(m_connection->conn);
        tx.exec(stmt.sql);
        committed_some = true;
      }
      current = nullptr;
      pqxx::work tx(m_connection->conn);
      tx.exec(step.bookkeeping);
      tx.commit();
    }
  } catch (const pqxx::broken_connection& e) {
    throw Error(ExitCode::unreachable, "lost the connection to " + m_target.display + " while running revision " +
                                         step.revision + ": " + scrub(server_message(e.what()), m_target.conninfo));
  } catch (const pqxx::sql_error& e) {
    int line = 0;
    if (current != nullptr) {
      line = current->line;
      if (const auto* syntax = dynamic_cast<const pqxx::syntax_error*>(&e); syntax && syntax->error_position > 0) {
        line = line_of_position(*current, syntax->error_position);
      }
    }
    std::string where = step.location + (line > 0 ? ":" + std::to_string(line) : std::string());
    std::string reason = scrub(server_message(e.what()), m_target.conninfo);
    std::string sqlstate = e.sqlstate();
    try {
      run_transaction(history_sql(m_names, step.revision, step.direction, step.checksum, step.run_by, "failed",
                                  where + ": " + reason));
    } catch (const std::exception& record_error) {
      spdlog::warn("could not record the failure of {} in lockstep_history: {}", step.revision,
                   server_message(record_error.what()));
    }
    std::string outcome = step.transactional || !committed_some
                            ? "rolled back"
                            : "statements before it stay committed (the revision is not transactional)";
    throw Error(ExitCode::migration_failed, "revision " + step.revision + " failed at " + where + ": " + reason +
                                              (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")") + "; " +
                                              outcome);
  }
}

void Session::run_transaction(const std::string& sql)
{
  pqxx::work tx(m_connection->conn);
  tx.exec(sql);
  tx.commit();
}

} // namespace lockstep::db

// The PostgreSQL driver running a step (db/driver.hpp, point 4): one
// transaction, or statement by statement; failures recorded, contention retried.
#include "db/session.hpp"

#include "db/pqxx_answers.hpp"
#include "db/session_connection.hpp"
#include "util/backoff.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <optional>

namespace lockstep::db {

namespace {

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
  std::string set_limits = limits_sql(step.transactional ? "SET LOCAL" : "SET");
  // Behind transaction pooling a session SET would land on whichever server
  // connection runs it, leak to other clients and miss the statements.
  if (!step.transactional && !set_limits.empty() && m_pooling == Pooling::transaction) {
    log::event(log::Level::warn, "statement_timeout and ddl_lock_timeout do not apply to the non-transactional "
                                 "revision " + step.revision + " behind transaction pooling (a SET would not "
                                 "stay with lockstep's statements): set them on the role instead",
               {log::str("revision", step.revision)});
    set_limits.clear();
  }
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
  } catch (const pqxx::failure& e) {
    if (!step.transactional && !set_limits.empty()) {
      try {
        pqxx::nontransaction(conn).exec("RESET statement_timeout; RESET lock_timeout");
      } catch (const std::exception&) {
      }
    }
    StatementFailure failure;
    failure.sqlstate = sqlstate_of(e);
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
  interrupt::check();  // a signal that came before the scope (another fleet target's step) cancelled nothing here
  util::Backoff backoff(std::chrono::milliseconds(500), std::chrono::milliseconds(8000));
  for (int attempt = 0;; ++attempt) {
    try {
      run_once(step, limits);
      return;
    } catch (const pqxx::broken_connection& e) {
      throw Error(ExitCode::unreachable, "lost the connection to " + m_target.display + " while running revision " +
                                           step.revision + ": " + scrub(server_message(e.what()), m_target.conninfo));
    } catch (const StatementFailure& failure) {
      const bool interrupted = interrupt::received() != 0;
      const Fault fault = classify(failure.sqlstate);
      if (!interrupted && (fault == Fault::connection || fault == Fault::resources)) {
        throw Error(ExitCode::unreachable, "lost the connection to " + m_target.display + " while running revision " +
                                             step.revision + " at " + failure.where + ": " + failure.reason +
                                             " (SQLSTATE " + failure.sqlstate + ")");
      }
      // Contention: a deadlock, a serialization failure, or lock_not_available
      // under ddl_lock_timeout (the table is busy). A transactional revision
      // rolled back whole, so it can run again; so can one that committed nothing.
      const bool busy = failure.sqlstate != "55P03" || limits.ddl_lock_timeout.has_value();
      if (!interrupted && retryable(fault) && busy && attempt < limits.lock_retries &&
          (step.transactional || !failure.committed_some)) {
        const auto delay = backoff.next();
        log::event(log::Level::warn,
                   "revision " + step.revision + " met another session at " + failure.where + " (" + failure.reason +
                     ", SQLSTATE " + failure.sqlstate + "); retry " + std::to_string(attempt + 1) + " of " +
                     std::to_string(limits.lock_retries) + " in " + std::to_string(delay.count()) + " ms",
                   {log::str("revision", step.revision), log::num("attempt", attempt + 1)});
        if (!interrupt::sleep_for(delay)) {
          interrupt::check();
        }
        continue;
      }
      std::string error = failure.where + ": " + failure.reason;
      std::string record = history_sql(m_names, step.revision, step.direction, step.checksum, step.run_by,
                                       interrupted ? Outcome::interrupted : Outcome::failed, error);
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

} // namespace lockstep::db

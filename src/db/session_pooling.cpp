// How a Session reaches the server: directly, or through a pooler in session
// or transaction pooling (db/driver.hpp, Pooling; the probe is described in
// session.hpp). The lock asks before it is taken: advisory mode is refused
// behind transaction pooling, and lease waiters poll there instead of
// LISTENing.
//
// The probe's second connection is plain libpq, not pqxx: it must give up
// after a deadline. A saturated session pool makes it wait for a server
// connection that never frees up, and that wait says nothing about pooling.
#include "db/session.hpp"

#include "db/session_connection.hpp"
#include "util/log.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace lockstep::db {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRounds = 6;
constexpr std::chrono::milliseconds kProbeDeadline{5000};

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};

// Sends `sql` and returns the first column of its last row set ("" when no
// statement returned a row): nullopt on any error or when no answer came
// before `deadline`. `refused` is set when the pooler refused a transaction
// block (statement pooling).
std::optional<std::string> ask(PGconn* conn, const char* sql, Clock::time_point deadline, bool& refused)
{
  if (PQsendQuery(conn, sql) == 0) {
    return std::nullopt;
  }
  std::optional<std::string> answer;
  bool failed = false;
  for (;;) {
    while (PQisBusy(conn) != 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return std::nullopt;  // the caller closes the connection
      }
      pollfd fd{PQsocket(conn), POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left)) < 0 || PQconsumeInput(conn) == 0) {
        return std::nullopt;
      }
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) {
      break;
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) {
      answer = PQgetvalue(result, 0, 0);
    } else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      answer = answer.value_or("");
    } else {
      failed = true;
      const char* message = PQresultErrorMessage(result);
      if (message != nullptr && std::string(message).find("statement pooling") != std::string::npos) {
        refused = true;
      }
    }
    PQclear(result);
  }
  return failed ? std::nullopt : answer;
}

} // namespace

int Session::server_pid()
{
  return pqxx::nontransaction(m_connection->conn).exec("SELECT pg_backend_pid()")[0][0].as<int>();
}

Pooling Session::pooling()
try {
  if (m_pooling) {
    return *m_pooling;
  }
  const int first = server_pid();
  if (first == m_connection->conn.backendpid()) {
    m_pooling = Pooling::none;
  } else {
    m_pooling = prove_transaction_pooling(first) ? Pooling::transaction : Pooling::session;
    log::event(log::Level::debug,
               std::string("connected through a pooler in ") +
                 (*m_pooling == Pooling::transaction ? "transaction" : "session") + " pooling",
               {log::str("pooling", *m_pooling == Pooling::transaction ? "transaction" : "session")});
  }
  return *m_pooling;
} catch (...) {
  fail("asking how the connection reaches the server");
}

// In session pooling each client keeps one server connection for its life,
// so transaction pooling is proven by any of three facts session pooling can
// never produce: the other connection's transaction ran on the server
// connection this one used (PgBouncer hands out the last one released first,
// so on an idle pool it does at once), this connection's server pid changed,
// or the other connection's did. A busy pool hides one fact a round at
// times, rarely all three for kRounds rounds.
//
// Never hold one server connection while waiting for another: the other
// connection ends its transaction before this one asks again. A probe that
// held the other's transaction open while this connection waited deadlocked
// a herd as large as the pool (every member holding one server connection,
// waiting for a second) until PgBouncer's query_wait_timeout. The other
// connection's transaction is BEGIN and SELECT, then ROLLBACK: statement
// pooling refuses it.
bool Session::prove_transaction_pooling(int first_pid)
{
  std::unique_ptr<PGconn, ConnCloser> other(PQconnectdb(m_target.conninfo.c_str()));
  if (PQstatus(other.get()) != CONNECTION_OK) {
    log::event(log::Level::warn, "could not open a second connection to tell session from transaction pooling; "
                                 "assuming session pooling");
    return false;
  }
  std::optional<int> others_first;  // the other connection's server pid in its first round
  for (int round = 0; round < kRounds; ++round) {
    bool refused = false;
    auto answer = ask(other.get(), "BEGIN; SELECT pg_backend_pid()", Clock::now() + kProbeDeadline, refused);
    if (refused) {
      return true;  // statement pooling: no session state at all
    }
    if (!answer) {
      log::event(log::Level::warn, "the pooler gave a second connection no server connection within " +
                                     std::to_string(kProbeDeadline.count() / 1000) +
                                     "s (a saturated session pool?); assuming session pooling");
      return false;
    }
    const int theirs = std::atoi(answer->c_str());
    if (theirs == first_pid || (others_first && theirs != *others_first)) {
      return true;
    }
    others_first = others_first.value_or(theirs);
    if (!ask(other.get(), "ROLLBACK", Clock::now() + kProbeDeadline, refused)) {
      // No answer in time: closing the connection ends its transaction, and
      // the new one may be given another server connection in any pooling.
      other.reset(PQconnectdb(m_target.conninfo.c_str()));
      others_first.reset();
      if (PQstatus(other.get()) != CONNECTION_OK) {
        return false;
      }
    }
    if (server_pid() != first_pid) {
      return true;
    }
  }
  return false;
}

} // namespace lockstep::db

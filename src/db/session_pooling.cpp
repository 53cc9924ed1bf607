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

constexpr int kRounds = 3;
constexpr std::chrono::milliseconds kProbeDeadline{5000};

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};

// Sends `sql` and returns the first column of its last row set: nullopt on
// any error or when no answer came before `deadline`. `refused` is set when
// the pooler refused a transaction block (statement pooling).
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
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
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

// The other connection takes a server connection inside a transaction and
// keeps it; transaction pooling shows as either of two facts session pooling
// can never produce: the other connection got the server connection this one
// used a moment ago (PgBouncer hands out the last one released first), or
// this connection's next transaction runs on another server connection.
bool Session::prove_transaction_pooling(int first_pid)
{
  std::unique_ptr<PGconn, ConnCloser> other(PQconnectdb(m_target.conninfo.c_str()));
  if (PQstatus(other.get()) != CONNECTION_OK) {
    log::event(log::Level::warn, "could not open a second connection to tell session from transaction pooling; "
                                 "assuming session pooling");
    return false;
  }
  int mine = first_pid;
  for (int round = 0; round < kRounds; ++round) {
    if (round > 0) {
      mine = server_pid();
    }
    bool refused = false;
    auto theirs = ask(other.get(), "BEGIN; SELECT pg_backend_pid()", Clock::now() + kProbeDeadline, refused);
    if (refused) {
      return true;  // statement pooling: no session state at all
    }
    if (!theirs) {
      log::event(log::Level::warn, "the pooler gave a second connection no server connection within " +
                                     std::to_string(kProbeDeadline.count() / 1000) +
                                     "s (a saturated session pool?); assuming session pooling");
      return false;
    }
    const bool proven = std::atoi(theirs->c_str()) == mine || server_pid() != mine;
    ask(other.get(), "ROLLBACK", Clock::now() + kProbeDeadline, refused);
    if (proven) {
      return true;
    }
  }
  return false;
}

} // namespace lockstep::db

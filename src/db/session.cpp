#include "db/session.hpp"

#include "db/catalog_reader.hpp"
#include "db/pqxx_answers.hpp"
#include "db/session_connection.hpp"
#include "db/sqlstate.hpp"
#include "util/backoff.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"
#include "util/sql_quote.hpp"
#include "util/strings.hpp"

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <thread>

namespace lockstep::db {

Session::Session(const ConnectionTarget& target, TableNames names, std::chrono::milliseconds connect_timeout)
  : m_target(target), m_names(std::move(names)), m_connect_timeout(connect_timeout)
{
  connect_with_retries(connect_timeout);
}

Session::~Session() = default;

std::unique_ptr<Driver> Session::reconnect()
{
  return std::make_unique<Session>(m_target, m_names, m_connect_timeout);
}

std::unique_ptr<Driver> Session::connect_to(const std::string& database, const TableNames& names)
{
  return std::make_unique<Session>(with_database(m_target, database), names, m_connect_timeout);
}

std::unique_ptr<Driver> connect_postgres(const ConnectionTarget& target, const TableNames& names,
                                         std::chrono::milliseconds connect_timeout)
{
  return std::make_unique<Session>(target, names, connect_timeout);
}

void Session::create_database(const std::string& name)
{
  execute("CREATE DATABASE " + util::quote_ident(name));
}

void Session::drop_database(const std::string& name)
{
  execute("DROP DATABASE IF EXISTS " + util::quote_ident(name) + " WITH (FORCE)");
}

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
  util::Backoff backoff(std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
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
                                   "): " + reason + "; retrying in " + std::to_string(backoff.peek().count()) + " ms",
               {log::num("attempt", attempt)});
    auto pause = std::min<clock::duration>(backoff.next(), deadline - now);
    interrupt::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(pause));
    interrupt::check();
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
      state.dirty = DirtyState{text_of(row[1]), direction_named(text_of(row[2])), text_of(row[3]),
                               text_of(row[4]), text_of(row[5]), text_of(row[6])};
    }
  }
  std::sort(state.rows.begin(), state.rows.end());
  return state;
} catch (...) {
  fail("reading lockstep's state");
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
} catch (...) {
  fail("reading lockstep_applied");
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
  write_own_tables(sql, "creating lockstep's tables", true);
}

void Session::create_tables()
{
  create_if_missing(create_tables_sql(m_names));
}

// The SQL is the user's (a desired schema file) or a scratch database's
// CREATE/DROP: what the server refuses in it is bad input or configuration
// (exit 2, the server's message and SQLSTATE), not an internal error. A lost
// connection, a signal or a server out of resources still go through fail().
void Session::execute(const std::string& sql)
try {
  pqxx::nontransaction(m_connection->conn).exec(sql);
} catch (const pqxx::sql_error& e) {
  interrupt::check();
  const std::string sqlstate = sqlstate_of(e);
  const Fault fault = classify(sqlstate);
  if (fault == Fault::other || fault == Fault::privilege || fault == Fault::missing_schema) {
    throw Error(ExitCode::usage, scrub(server_message(e.what()), m_target.conninfo) + " (SQLSTATE " + sqlstate + ")",
                FailureDetail{"", sqlstate});
  }
  fail("running SQL");
} catch (...) {
  fail("running SQL");
}

schema::Model Session::read_model(bool ownership)
{
  return CatalogReader(*this, m_names, ownership).read();
}

void Session::transaction(const std::string& sql)
{
  pqxx::work tx(m_connection->conn);
  tx.exec(sql);
  tx.commit();
}

void Session::run_transaction(const std::string& sql)
{
  write_own_tables(sql, "writing lockstep's tables", false);
}

void Session::write_own_tables(const std::string& sql, const std::string& doing, bool racing_create)
{
  util::Backoff backoff(std::chrono::milliseconds(50), std::chrono::milliseconds(2000));
  for (int attempt = 1;; ++attempt) {
    try {
      transaction(sql);
      return;
    } catch (const pqxx::broken_connection&) {
      fail(doing);
    } catch (const pqxx::failure& e) {
      const std::string state = sqlstate_of(e);
      const bool duplicate = state == "23505" || state == "42P07" || state == "42710" || state == "42P06";
      if (racing_create && duplicate && attempt < 3) {
        continue;
      }
      if (!retry_contention(state, e.what(), attempt, backoff)) {
        fail(doing);
      }
    } catch (...) {
      fail(doing);
    }
  }
}

bool Session::retry_contention(const std::string& sqlstate, const std::string& what, int attempt, util::Backoff& backoff)
{
  if (!retryable(classify(sqlstate)) || attempt >= kContentionTries || interrupt::received() != 0) {
    return false;
  }
  const auto delay = backoff.next();
  log::event(log::Level::warn, "writing lockstep's tables on " + m_target.display + " met another session (" +
                                 scrub(server_message(what), m_target.conninfo) + ", SQLSTATE " + sqlstate +
                                 "); retry " + std::to_string(attempt) + " in " + std::to_string(delay.count()) + " ms",
             {log::num("attempt", attempt)});
  interrupt::sleep_for(delay);
  return true;
}

// The edge. Every exception a database call raises on lockstep's own tables
// ends here and leaves as a lockstep::Error whose exit code comes from its
// SQLSTATE class (db/sqlstate.hpp, README.md "Exit codes").
void Session::fail(const std::string& doing, bool own_tables)
{
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    lost(e);
  } catch (const pqxx::failure& e) {
    interrupt::check();  // cancelled by a signal: 128+N
    const std::string sqlstate = sqlstate_of(e);
    const Fault fault = classify(sqlstate);
    const std::string message = scrub(server_message(e.what()), m_target.conninfo);
    const ExitCode code = exit_code_for(fault, Place::own_tables);
    if (fault == Fault::connection || fault == Fault::resources) {
      throw Error(code, "lost the connection to " + m_target.display + " while " + doing + ": " + message +
                          " (SQLSTATE " + sqlstate + ")");
    }
    std::string text = doing + " failed on " + m_target.display + ": " + message + " (SQLSTATE " + sqlstate + ")";
    if ((fault == Fault::privilege || fault == Fault::missing_schema) && own_tables) {
      text += "; " + configuration_hint(fault, message);
    } else if (fault == Fault::contention) {
      text = "other sessions kept lockstep's tables busy: " + text;
    } else if (code == ExitCode::internal) {
      text = "unexpected database error: " + text;
    }
    throw Error(code, text);
  } catch (const std::exception& e) {
    throw Error(ExitCode::internal, "unexpected database error: " + doing + " failed on " + m_target.display + ": " +
                                      scrub(e.what(), m_target.conninfo));
  }
}

// What the role lacks, as the statement that grants it. Asks the server who
// we are and where unqualified tables go; a failure there only shortens the hint.
std::string Session::configuration_hint(Fault fault, const std::string& message)
{
  std::string role = "<role>";
  std::string schema = m_names.schema;
  std::string database = "<database>";
  try {
    pqxx::nontransaction tx(m_connection->conn);
    pqxx::result r = tx.exec("SELECT current_user, coalesce(current_schema(), ''), current_database()");
    role = util::quote_ident(r[0][0].c_str());
    if (schema.empty()) {
      schema = r[0][1].c_str();
    }
    database = util::quote_ident(r[0][2].c_str());
  } catch (const std::exception&) {
  }
  if (fault == Fault::missing_schema || schema.empty()) {
    return "the role's search_path names no schema that exists, so lockstep has nowhere to create its tables: "
           "set version_table_schema (LOCKSTEP_VERSION_TABLE_SCHEMA) or create the schema";
  }
  const std::string where = util::quote_ident(schema);
  if (message.find("for database") != std::string::npos) {
    return "lockstep creates schema " + where + " for its tables: GRANT CREATE ON DATABASE " + database + " TO " + role +
           ", create the schema beforehand, or set version_table_schema to a schema the role may create in";
  }
  if (message.find("for schema") != std::string::npos) {
    return "lockstep creates its tables in schema " + where + ": GRANT USAGE, CREATE ON SCHEMA " + where + " TO " +
           role + ", or set version_table_schema to a schema the role may create in";
  }
  return "lockstep's tables in schema " + where + " (" + m_names.version() +
         ", lockstep_applied, lockstep_history, lockstep_dirty, lockstep_lease) need SELECT, INSERT, UPDATE, DELETE "
         "for " + role + ": GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + where + " TO " + role +
         ", or set version_table_schema to a schema of the role's own";
}

} // namespace lockstep::db

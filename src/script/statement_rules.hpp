// What a statement may not do inside lockstep's per-revision transaction,
// decided from the PostgreSQL parse tree (libpg_query).
#pragma once

#include "script/statements.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace lockstep::script {

// A statement's verdict as a small code, so it can be stored (a bundle keeps
// the verdict of every statement; script/statement_facts). 0 is "runs in a
// transaction block like any other statement".
enum class TransactionUse : uint8_t {
  fine = 0,
  // cannot run inside a transaction block:
  create_index_concurrently,
  drop_index_concurrently,
  reindex_concurrently,
  detach_partition_concurrently,
  vacuum,
  create_database,
  drop_database,
  alter_system,
  create_tablespace,
  drop_tablespace,
  // ends the transaction lockstep opened (savepoints are fine):
  controls_transaction,
};
inline constexpr uint8_t kLastTransactionUse = static_cast<uint8_t>(TransactionUse::controls_transaction);

// The version of the rules below and of the statement splitting they rely
// on. Bump it whenever they decide anything differently: a bundle stores
// each statement's verdict under this number, and verdicts stored under
// another one are derived again from the SQL when a plan is checked, never
// trusted (script/statement_facts).
inline constexpr uint32_t kStatementRulesVersion = 1;

// One parse at most (none for a statement that lacks every key word that
// could make it matter).
TransactionUse classify_statement(const std::string& sql);

// The words the plan check's messages use: "CREATE INDEX CONCURRENTLY",
// "transaction control (BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION)".
const char* describe(TransactionUse use);
inline bool needs_own_transaction(TransactionUse use)
{
  return use != TransactionUse::fine && use != TransactionUse::controls_transaction;
}

// Why `sql` cannot run inside a transaction block (CREATE INDEX
// CONCURRENTLY, VACUUM, CREATE DATABASE, ...), or nullopt.
std::optional<std::string> needs_own_transaction(const std::string& sql);

// Why `sql` must not appear in a transactional revision (BEGIN, COMMIT,
// ROLLBACK...: lockstep owns that transaction), or nullopt. Savepoints are fine.
std::optional<std::string> controls_transaction(const std::string& sql);

} // namespace lockstep::script

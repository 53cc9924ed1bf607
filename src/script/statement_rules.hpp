// What a statement may not do inside lockstep's per-revision transaction,
// decided from the PostgreSQL parse tree (libpg_query).
#pragma once

#include "script/statements.hpp"

#include <optional>
#include <string>

namespace lockstep::script {

// Why `sql` cannot run inside a transaction block (CREATE INDEX
// CONCURRENTLY, VACUUM, CREATE DATABASE, ...), or nullopt.
std::optional<std::string> needs_own_transaction(const std::string& sql);

// Why `sql` must not appear in a transactional revision (BEGIN, COMMIT,
// ROLLBACK...: lockstep owns that transaction), or nullopt. Savepoints are fine.
std::optional<std::string> controls_transaction(const std::string& sql);

} // namespace lockstep::script

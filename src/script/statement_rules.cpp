#include "script/statement_rules.hpp"

#include <pg_query.h>

#include <cctype>
#include <memory>

namespace lockstep::script {

namespace {

// The JSON parse tree of one statement: {"version":...,"stmts":[{"stmt":{"IndexStmt":{...}}...}]}.
std::string parse_tree(const std::string& sql)
{
  PgQueryParseResult result = pg_query_parse(sql.c_str());
  std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
    &result, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
  if (result.error != nullptr || result.parse_tree == nullptr) {
    return "";
  }
  return result.parse_tree;
}

// The statement's node type: "IndexStmt", "VacuumStmt", ...
std::string node_type(const std::string& tree)
{
  const std::string marker = "\"stmt\":{\"";
  size_t start = tree.find(marker);
  if (start == std::string::npos) {
    return "";
  }
  start += marker.size();
  size_t end = tree.find('"', start);
  return end == std::string::npos ? "" : tree.substr(start, end - start);
}

bool has(const std::string& tree, const char* needle)
{
  return tree.find(needle) != std::string::npos;
}

// Parsing is the expensive part: skip it for statements that cannot be any
// of the kinds below because they lack every keyword that starts one.
bool may_matter(const std::string& sql)
{
  static const char* const words[] = {"concurrently", "vacuum", "database", "system", "tablespace", "begin",
                                      "start", "commit", "end", "rollback", "abort", "prepare"};
  // Case-insensitive search without a lower-case copy: the first letters
  // of the words are few, so look for those and compare from there.
  const size_t n = sql.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = static_cast<char>(sql[i] | 0x20);  // ASCII letters to lower case; others may alias, then compared
    if (c != 'c' && c != 'v' && c != 'd' && c != 's' && c != 't' && c != 'b' && c != 'e' && c != 'r' && c != 'a' &&
        c != 'p') {
      continue;
    }
    for (const char* word : words) {
      if (word[0] != c) {
        continue;
      }
      size_t k = 1;
      while (word[k] != '\0' && i + k < n &&
             std::tolower(static_cast<unsigned char>(sql[i + k])) == static_cast<unsigned char>(word[k])) {
        ++k;
      }
      if (word[k] == '\0') {
        return true;
      }
    }
  }
  return false;
}

} // namespace

TransactionUse classify_statement(const std::string& sql)
{
  if (!may_matter(sql)) {
    return TransactionUse::fine;
  }
  const std::string tree = parse_tree(sql);
  const std::string type = node_type(tree);
  if (type == "IndexStmt" && has(tree, "\"concurrent\":true")) {
    return TransactionUse::create_index_concurrently;
  }
  if (type == "DropStmt" && has(tree, "\"concurrent\":true")) {
    return TransactionUse::drop_index_concurrently;
  }
  if (type == "ReindexStmt" && has(tree, "\"defname\":\"concurrently\"")) {
    return TransactionUse::reindex_concurrently;
  }
  if (type == "AlterTableStmt" && has(tree, "AT_DetachPartition") && has(tree, "\"concurrent\":true")) {
    return TransactionUse::detach_partition_concurrently;
  }
  if (type == "VacuumStmt") {
    return has(tree, "\"is_vacuumcmd\":true") ? TransactionUse::vacuum : TransactionUse::fine;
  }
  if (type == "CreatedbStmt") {
    return TransactionUse::create_database;
  }
  if (type == "DropdbStmt") {
    return TransactionUse::drop_database;
  }
  if (type == "AlterSystemStmt") {
    return TransactionUse::alter_system;
  }
  if (type == "CreateTableSpaceStmt") {
    return TransactionUse::create_tablespace;
  }
  if (type == "DropTableSpaceStmt") {
    return TransactionUse::drop_tablespace;
  }
  if (type == "TransactionStmt") {
    // Savepoints nest inside lockstep's transaction; the rest would end it.
    for (const char* nested : {"TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"}) {
      if (has(tree, nested)) {
        return TransactionUse::fine;
      }
    }
    return TransactionUse::controls_transaction;
  }
  return TransactionUse::fine;
}

const char* describe(TransactionUse use)
{
  static const char* const words[] = {"",
                                      "CREATE INDEX CONCURRENTLY",
                                      "DROP INDEX CONCURRENTLY",
                                      "REINDEX CONCURRENTLY",
                                      "ALTER TABLE ... DETACH PARTITION CONCURRENTLY",
                                      "VACUUM",
                                      "CREATE DATABASE",
                                      "DROP DATABASE",
                                      "ALTER SYSTEM",
                                      "CREATE TABLESPACE",
                                      "DROP TABLESPACE",
                                      "transaction control (BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION)"};
  return words[static_cast<uint8_t>(use)];
}

std::optional<std::string> needs_own_transaction(const std::string& sql)
{
  const TransactionUse use = classify_statement(sql);
  return needs_own_transaction(use) ? std::optional<std::string>(describe(use)) : std::nullopt;
}

std::optional<std::string> controls_transaction(const std::string& sql)
{
  return classify_statement(sql) == TransactionUse::controls_transaction
           ? std::optional<std::string>(describe(TransactionUse::controls_transaction))
           : std::nullopt;
}

} // namespace lockstep::script

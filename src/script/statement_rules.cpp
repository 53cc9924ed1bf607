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
  std::string lower(sql);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* word : words) {
    if (lower.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

std::optional<std::string> needs_own_transaction(const std::string& sql)
{
  if (!may_matter(sql)) {
    return std::nullopt;
  }
  const std::string tree = parse_tree(sql);
  const std::string type = node_type(tree);
  if (type == "IndexStmt" && has(tree, "\"concurrent\":true")) {
    return "CREATE INDEX CONCURRENTLY";
  }
  if (type == "DropStmt" && has(tree, "\"concurrent\":true")) {
    return "DROP INDEX CONCURRENTLY";
  }
  if (type == "ReindexStmt" && has(tree, "\"defname\":\"concurrently\"")) {
    return "REINDEX CONCURRENTLY";
  }
  if (type == "AlterTableStmt" && has(tree, "AT_DetachPartition") && has(tree, "\"concurrent\":true")) {
    return "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
  }
  if (type == "VacuumStmt") {
    return has(tree, "\"is_vacuumcmd\":true") ? "VACUUM" : std::optional<std::string>();
  }
  if (type == "CreatedbStmt") {
    return "CREATE DATABASE";
  }
  if (type == "DropdbStmt") {
    return "DROP DATABASE";
  }
  if (type == "AlterSystemStmt") {
    return "ALTER SYSTEM";
  }
  if (type == "CreateTableSpaceStmt") {
    return "CREATE TABLESPACE";
  }
  if (type == "DropTableSpaceStmt") {
    return "DROP TABLESPACE";
  }
  return std::nullopt;
}

std::optional<std::string> controls_transaction(const std::string& sql)
{
  if (!may_matter(sql)) {
    return std::nullopt;
  }
  const std::string tree = parse_tree(sql);
  if (node_type(tree) != "TransactionStmt") {
    return std::nullopt;
  }
  // Savepoints nest inside lockstep's transaction; the rest would end it.
  for (const char* nested : {"TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"}) {
    if (has(tree, nested)) {
      return std::nullopt;
    }
  }
  return "transaction control (BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION)";
}

} // namespace lockstep::script

#include "lint/lint.hpp"

#include "script/statements.hpp"
#include "util/log.hpp"

#include <pg_query.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <memory>
#include <set>

namespace lockstep::lint {

namespace {

const std::vector<Rule> kRules = {
  {"create-index-not-concurrently", Severity::error,
   "CREATE INDEX blocks writes to the table while it builds; use CREATE INDEX CONCURRENTLY in a revision marked "
   "'-- Transactional: false'"},
  {"add-column-not-null-without-default", Severity::error,
   "adding a NOT NULL column without a default fails on a table with rows; add it nullable, backfill, then SET NOT "
   "NULL (or give it a default)"},
  {"add-foreign-key-without-not-valid", Severity::error,
   "validating a new foreign key scans the table under a lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later "
   "revision"},
  {"add-check-without-not-valid", Severity::error,
   "validating a new CHECK scans the table under an ACCESS EXCLUSIVE lock; add it NOT VALID, then VALIDATE "
   "CONSTRAINT in a later revision"},
  {"set-not-null", Severity::warning,
   "SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock; first add CHECK (col IS NOT NULL) NOT VALID and "
   "validate it, then SET NOT NULL uses it"},
  {"alter-column-type", Severity::warning,
   "changing a column's type usually rewrites the table under an ACCESS EXCLUSIVE lock; add a new column, backfill "
   "and switch over"},
  {"volatile-default", Severity::warning,
   "a volatile default or a stored generated column rewrites the whole table under an ACCESS EXCLUSIVE lock; add the "
   "column without it and backfill in batches"},
  {"drop-table", Severity::warning,
   "dropping a table loses its data and breaks code that still reads it; stop using it in a release first"},
  {"drop-column", Severity::warning,
   "dropping a column breaks code that still reads it; stop using it in a release first"},
  {"rename", Severity::warning,
   "renaming breaks the running version of the application, which still uses the old name; add, copy, then drop"},
};

const Rule* rule(const char* id)
{
  for (const auto& r : kRules) {
    if (std::string(r.id) == id) {
      return &r;
    }
  }
  return nullptr;
}

// The parse tree of one statement, read as a YAML node (JSON is YAML).
YAML::Node statement_tree(const script::Statement& stmt)
{
  PgQueryParseResult result = pg_query_parse(stmt.sql.c_str());
  std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
    &result, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
  if (result.error != nullptr || result.parse_tree == nullptr) {
    return YAML::Node();
  }
  YAML::Node root = YAML::Load(result.parse_tree);
  if (!root["stmts"] || !root["stmts"].IsSequence() || root["stmts"].size() == 0) {
    return YAML::Node();
  }
  return root["stmts"][0]["stmt"];
}

std::string text(const YAML::Node& node)
{
  return node && node.IsScalar() ? node.as<std::string>() : std::string();
}

bool is_true(const YAML::Node& node)
{
  return text(node) == "true";
}

// The function names that make a default volatile (a table rewrite).
bool volatile_call(const YAML::Node& expr)
{
  static const std::set<std::string> volatile_functions = {"random", "clock_timestamp", "gen_random_uuid",
                                                           "uuid_generate_v1", "uuid_generate_v4", "nextval",
                                                           "timeofday", "txid_current"};
  if (!expr || !expr["FuncCall"]) {
    return false;
  }
  for (const auto& part : expr["FuncCall"]["funcname"]) {
    if (volatile_functions.count(text(part["String"]["sval"])) != 0) {
      return true;
    }
  }
  return false;
}

// The tables a DropStmt names, qualified as written: "a, app.b".
std::string dropped_tables(const YAML::Node& drop)
{
  std::string names;
  for (const auto& object : drop["objects"]) {
    std::string name;
    for (const auto& part : object["List"]["items"]) {
      name += (name.empty() ? "" : ".") + text(part["String"]["sval"]);
    }
    names += (names.empty() ? "" : ", ") + name;
  }
  return names;
}

class Linter {
public:
  Linter(const script::Revision& rev, std::vector<Finding>& out) : m_rev(rev), m_out(out) {}

  void statement(const script::Statement& stmt)
  {
    YAML::Node tree = statement_tree(stmt);
    if (!tree || !tree.IsMap() || tree.size() != 1) {
      return;
    }
    const std::string type = tree.begin()->first.as<std::string>();
    const YAML::Node node = tree.begin()->second;
    m_line = stmt.line;
    if (type == "CreateStmt") {
      m_created.insert(text(node["relation"]["relname"]));
    } else if (type == "IndexStmt") {
      std::string table = text(node["relation"]["relname"]);
      if (!is_true(node["concurrent"]) && !created(table)) {
        flag("create-index-not-concurrently", "CREATE INDEX on existing table " + table);
      }
    } else if (type == "AlterTableStmt") {
      alter_table(node);
    } else if (type == "DropStmt" && text(node["removeType"]) == "OBJECT_TABLE") {
      flag("drop-table", "DROP TABLE " + dropped_tables(node));
    } else if (type == "RenameStmt") {
      flag("rename", "RENAME of " + text(node["renameType"]).substr(7));
    }
  }

private:
  bool created(const std::string& table) const { return m_created.count(table) != 0; }

  void alter_table(const YAML::Node& node)
  {
    std::string table = text(node["relation"]["relname"]);
    if (created(table)) {
      return;  // created by this revision: empty, nothing to lock out
    }
    for (const auto& item : node["cmds"]) {
      const YAML::Node cmd = item["AlterTableCmd"];
      const std::string subtype = text(cmd["subtype"]);
      if (subtype == "AT_AddColumn") {
        add_column(table, cmd["def"]["ColumnDef"]);
      } else if (subtype == "AT_SetNotNull") {
        flag("set-not-null", "SET NOT NULL on " + table + "." + text(cmd["name"]));
      } else if (subtype == "AT_AlterColumnType") {
        flag("alter-column-type", "ALTER COLUMN " + table + "." + text(cmd["name"]) + " TYPE");
      } else if (subtype == "AT_DropColumn") {
        flag("drop-column", "DROP COLUMN " + table + "." + text(cmd["name"]));
      } else if (subtype == "AT_AddConstraint") {
        const YAML::Node constraint = cmd["def"]["Constraint"];
        const std::string kind = text(constraint["contype"]);
        if (!is_true(constraint["skip_validation"])) {
          if (kind == "CONSTR_FOREIGN") {
            flag("add-foreign-key-without-not-valid", "ADD FOREIGN KEY on " + table);
          } else if (kind == "CONSTR_CHECK") {
            flag("add-check-without-not-valid", "ADD CHECK on " + table);
          }
        }
      }
    }
  }

  void add_column(const std::string& table, const YAML::Node& column)
  {
    bool not_null = false;
    bool has_default = false;
    for (const auto& item : column["constraints"]) {
      const YAML::Node c = item["Constraint"];
      const std::string kind = text(c["contype"]);
      not_null = not_null || kind == "CONSTR_NOTNULL" || kind == "CONSTR_PRIMARY";
      if (kind == "CONSTR_DEFAULT" || kind == "CONSTR_IDENTITY") {
        has_default = true;
        if (volatile_call(c["raw_expr"])) {
          flag("volatile-default", "ADD COLUMN " + table + "." + text(column["colname"]) + " with a volatile default");
        }
      }
      if (kind == "CONSTR_GENERATED") {
        has_default = true;
        flag("volatile-default", "ADD COLUMN " + table + "." + text(column["colname"]) + " GENERATED ... STORED");
      }
    }
    if (not_null && !has_default) {
      flag("add-column-not-null-without-default", "ADD COLUMN " + table + "." + text(column["colname"]) +
                                                    " NOT NULL without a default");
    }
  }

  void flag(const char* id, const std::string& message)
  {
    const auto& ignored = m_rev.lint_ignore;
    if (std::find(ignored.begin(), ignored.end(), id) != ignored.end()) {
      return;
    }
    m_out.push_back(Finding{rule(id), m_rev.id, m_rev.path, m_line, message});
  }

  const script::Revision& m_rev;
  std::vector<Finding>& m_out;
  std::set<std::string> m_created;
  int m_line = 0;
};

const char* severity_name(Severity s)
{
  return s == Severity::error ? "error" : "warning";
}

} // namespace

const std::vector<Rule>& rules()
{
  return kRules;
}

std::vector<Finding> lint(const migrator::Catalog& catalog)
{
  std::vector<Finding> findings;
  for (int node : catalog.graph().topological_order()) {
    const script::Revision& rev = catalog.revision(node);
    Linter linter(rev, findings);
    for (const auto& stmt : script::split_statements(rev.upgrade_sql, rev.path, rev.upgrade_line)) {
      linter.statement(stmt);
    }
  }
  return findings;
}

std::string format_text(const std::vector<Finding>& findings)
{
  std::string out;
  for (const auto& f : findings) {
    out += f.path + ":" + std::to_string(f.line) + ": " + severity_name(f.rule->severity) + " [" + f.rule->id + "] " +
           f.message + ": " + f.rule->advice + "\n";
  }
  return out;
}

std::string format_json(const std::vector<Finding>& findings)
{
  std::string out = "[";
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    out += (i > 0 ? ",\n " : "") + std::string("{\"rule\":") + log::json_quote(f.rule->id) +
           ",\"severity\":" + log::json_quote(severity_name(f.rule->severity)) +
           ",\"revision\":" + log::json_quote(f.revision) + ",\"file\":" + log::json_quote(f.path) +
           ",\"line\":" + std::to_string(f.line) + ",\"message\":" + log::json_quote(f.message) +
           ",\"advice\":" + log::json_quote(f.rule->advice) + "}";
  }
  return out + "]\n";
}

} // namespace lockstep::lint

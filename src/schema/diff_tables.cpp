// Tables (plain, unlogged, partitioned and partitions), their columns,
// storage parameters, row-level security and constraints.
#include "schema/diff_context.hpp"
#include "schema/order.hpp"
#include "util/sql_quote.hpp"

namespace lockstep::schema::detail {

using util::quote_ident;

namespace {

// A column's definition as CREATE TABLE / ADD COLUMN write it.
std::string column_sql(const std::string& name, const Column& c)
{
  std::string sql = quote_ident(name) + " " + c.type;
  if (!c.collation.empty()) {
    sql += " COLLATE " + c.collation;
  }
  if (!c.generated.empty()) {
    sql += " GENERATED ALWAYS AS (" + c.generated + ") STORED";
  }
  if (!c.identity.empty()) {
    sql += " GENERATED " + c.identity + " AS IDENTITY (" + join(c.identity_options, " ") + ")";
  }
  if (!c.default_expr.empty()) {
    sql += " DEFAULT " + c.default_expr;
  }
  if (c.not_null && c.identity.empty()) {
    sql += " NOT NULL";
  }
  return sql;
}

using Options = std::vector<std::pair<std::string, std::string>>;

std::string options_sql(const Options& options)
{
  std::vector<std::string> items;
  for (const auto& [key, value] : options) {
    items.push_back(key + "=" + value);
  }
  return join(items, ", ");
}

void create_table(Context& c, const std::string& name, const Table& table)
{
  std::string sql = std::string("CREATE ") + (table.unlogged ? "UNLOGGED " : "") + "TABLE " + name;
  if (!table.parent.empty()) {
    sql += " PARTITION OF " + table.parent + " " + table.bound;
  } else {
    sql += " (";
    for (size_t i = 0; i < table.column_order.size(); ++i) {
      const std::string& col = table.column_order[i];
      sql += (i > 0 ? ",\n    " : "\n    ") + column_sql(col, table.columns.at(col));
    }
    sql += "\n)";
  }
  if (!table.partition_key.empty()) {
    sql += " PARTITION BY " + table.partition_key;
  }
  if (!table.options.empty()) {
    sql += " WITH (" + options_sql(table.options) + ")";
  }
  c.add(sql + ";");
  if (table.row_security) {
    c.add("ALTER TABLE " + name + " ENABLE ROW LEVEL SECURITY;");
  }
  if (table.force_row_security) {
    c.add("ALTER TABLE " + name + " FORCE ROW LEVEL SECURITY;");
  }
}

void alter_columns(Context& c, const std::string& table_name, const Table& old, const Table& table)
{
  for (const auto& name : table.column_order) {
    const Column& want = table.columns.at(name);
    auto had = old.columns.find(name);
    const std::string alter = "ALTER TABLE " + table_name + " ";
    const std::string col = quote_ident(name);
    if (had == old.columns.end()) {
      c.add(alter + "ADD COLUMN " + column_sql(name, want) + ";");
      continue;
    }
    const Column& was = had->second;
    if (was.generated != want.generated) {
      c.destructive(alter + "DROP COLUMN " + col + ";", "recreates generated column " + table_name + "." + name);
      c.add(alter + "ADD COLUMN " + column_sql(name, want) + ";");
      continue;
    }
    if (was.identity != want.identity && !was.identity.empty()) {
      c.add(alter + "ALTER COLUMN " + col + " DROP IDENTITY;");
    }
    if (was.type != want.type || was.collation != want.collation) {
      const std::string collate = want.collation.empty() ? "" : " COLLATE " + want.collation;
      c.destructive(alter + "ALTER COLUMN " + col + " TYPE " + want.type + collate + " USING " + col +
                      "::" + want.type + ";",
                    "changes the type of " + table_name + "." + name + " from " + was.type + " to " + want.type);
    }
    if (was.default_expr != want.default_expr) {
      c.add(alter + "ALTER COLUMN " + col +
            (want.default_expr.empty() ? " DROP DEFAULT;" : " SET DEFAULT " + want.default_expr + ";"));
    }
    if (was.identity != want.identity && !want.identity.empty()) {
      c.add(alter + "ALTER COLUMN " + col + " ADD GENERATED " + want.identity + " AS IDENTITY (" +
            join(want.identity_options, " ") + ");");
    } else if (!want.identity.empty() && was.identity_options != want.identity_options) {
      std::string options;
      for (const auto& option : want.identity_options) {
        options += " SET " + option;
      }
      c.add(alter + "ALTER COLUMN " + col + options + ";");
    }
    if (was.not_null != want.not_null && want.identity.empty()) {
      c.add(alter + "ALTER COLUMN " + col + (want.not_null ? " SET NOT NULL;" : " DROP NOT NULL;"));
    }
  }
}

void alter_table_properties(Context& c, const std::string& name, const Table& old, const Table& table)
{
  const std::string alter = "ALTER TABLE " + name + " ";
  // Compared by key: their order is only how they were written.
  const std::map<std::string, std::string> was(old.options.begin(), old.options.end());
  const std::map<std::string, std::string> want(table.options.begin(), table.options.end());
  Options set;
  std::vector<std::string> reset;
  for (const auto& [key, value] : table.options) {
    auto it = was.find(key);
    if (it == was.end() || it->second != value) {
      set.emplace_back(key, value);
    }
  }
  for (const auto& [key, value] : old.options) {
    if (want.count(key) == 0) {
      reset.push_back(key);
    }
  }
  if (!reset.empty()) {
    c.add(alter + "RESET (" + join(reset, ", ") + ");");
  }
  if (!set.empty()) {
    c.add(alter + "SET (" + options_sql(set) + ");");
  }
  if (old.unlogged != table.unlogged) {
    c.add(alter + (table.unlogged ? "SET UNLOGGED;" : "SET LOGGED;"));
  }
  if (old.row_security != table.row_security) {
    c.add(alter + (table.row_security ? "ENABLE" : "DISABLE") + " ROW LEVEL SECURITY;");
  }
  if (old.force_row_security != table.force_row_security) {
    c.add(alter + (table.force_row_security ? "FORCE" : "NO FORCE") + " ROW LEVEL SECURITY;");
  }
}

} // namespace

// A table whose partitioning changes (its key, its parent or its bound) is
// dropped and created again, and so are its partitions.
void plan_recreated_tables(Context& c)
{
  for (const auto& name : table_order(c.to.tables)) {
    auto old = c.from.tables.find(name);
    if (old == c.from.tables.end()) {
      continue;
    }
    const Table& table = c.to.tables.at(name);
    if (old->second.partition_key != table.partition_key || old->second.parent != table.parent ||
        old->second.bound != table.bound || c.recreated.count(table.parent) != 0) {
      c.recreated.insert(name);
    }
  }
}

void drop_constraints(Context& c, bool foreign_keys)
{
  for (const auto& [table_name, table] : c.from.tables) {
    const bool goes = c.table_goes(table_name);
    const Table* target = c.new_table(table_name);
    for (const auto& [name, constraint] : table.constraints) {
      if ((constraint.type == 'f') != foreign_keys) {
        continue;
      }
      bool drop;
      if (goes) {
        // Foreign keys on tables that go must not stop the drops of the
        // tables they point at: they go first.
        drop = foreign_keys;
      } else {
        auto it = target->constraints.find(name);
        drop = it == target->constraints.end() || it->second.definition != constraint.definition;
      }
      if (drop) {
        c.add("ALTER TABLE " + table_name + " DROP CONSTRAINT " + quote_ident(name) + ";");
      }
    }
  }
}

void drop_columns_and_tables(Context& c)
{
  std::vector<std::string> order = table_order(c.from.tables);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::string& table_name = *it;
    const Table& table = c.from.tables.at(table_name);
    const Table* target = c.new_table(table_name);
    if (target == nullptr) {
      std::string hint;
      for (const auto& [other, unused] : c.to.tables) {
        if (c.from.tables.count(other) == 0) {
          hint = " (or a rename to " + other + "?)";
        }
      }
      c.destructive("DROP TABLE " + table_name + ";", "drops table " + table_name + hint);
      continue;
    }
    if (c.recreated.count(table_name) != 0) {
      c.destructive("DROP TABLE " + table_name + ";",
                    "drops table " + table_name + " to create it again: its partitioning changes");
      continue;
    }
    for (const auto& column : table.column_order) {
      if (target->columns.count(column) != 0) {
        continue;
      }
      std::string hint;
      for (const auto& other : target->column_order) {
        if (table.columns.count(other) == 0 && target->columns.at(other).type == table.columns.at(column).type) {
          hint = " (or a rename to " + other + "?)";
        }
      }
      c.destructive("ALTER TABLE " + table_name + " DROP COLUMN " + quote_ident(column) + ";",
                    "drops column " + table_name + "." + column + hint);
    }
  }
}

void create_tables_and_columns(Context& c)
{
  for (const auto& name : table_order(c.to.tables)) {
    const Table& table = c.to.tables.at(name);
    const Table* old = c.old_table(name);
    if (old == nullptr) {
      create_table(c, name, table);
      continue;
    }
    alter_columns(c, name, *old, table);
    alter_table_properties(c, name, *old, table);
  }
}

void add_constraints(Context& c, bool foreign_keys)
{
  for (const auto& name : table_order(c.to.tables)) {
    const Table& table = c.to.tables.at(name);
    const Table* old = c.old_table(name);
    for (const auto& [constraint, def] : table.constraints) {
      if ((def.type == 'f') != foreign_keys) {
        continue;
      }
      auto had = old == nullptr ? table.constraints.end() : old->constraints.find(constraint);
      if (old == nullptr || had == old->constraints.end() || had->second.definition != def.definition) {
        c.add("ALTER TABLE " + name + " ADD CONSTRAINT " + quote_ident(constraint) + " " + def.definition + ";");
      }
    }
  }
}

} // namespace lockstep::schema::detail

#include "schema/diff.hpp"

#include "util/sql_quote.hpp"

#include <algorithm>
#include <set>

namespace lockstep::schema {

namespace {

using util::quote_literal;

bool contains(const std::vector<std::string>& list, const std::string& item)
{
  return std::find(list.begin(), list.end(), item) != list.end();
}

// A column's definition as CREATE TABLE / ADD COLUMN write it.
std::string column_sql(const std::string& name, const Column& c)
{
  std::string sql = util::quote_ident(name) + " " + c.type;
  if (!c.generated.empty()) {
    sql += " GENERATED ALWAYS AS " + c.generated + " STORED";
  }
  if (!c.identity.empty()) {
    sql += " GENERATED " + c.identity + " AS IDENTITY";
  }
  if (!c.default_expr.empty()) {
    sql += " DEFAULT " + c.default_expr;
  }
  if (c.not_null && c.identity.empty()) {
    sql += " NOT NULL";
  }
  return sql;
}

std::string comment_value(const std::string& comment)
{
  return comment.empty() ? "NULL" : quote_literal(comment);
}

class Writer {
public:
  Writer(const Model& from, const Model& to) : m_from(from), m_to(to) {}

  Changes run()
  {
    drop_views();
    drop_constraints(true);   // foreign keys first: they point at what changes next
    drop_constraints(false);
    drop_indexes();
    drop_columns_and_tables();
    create_schemas_extensions_enums_sequences();
    create_tables_and_columns();
    add_constraints(false);
    add_constraints(true);
    create_indexes();
    create_views();
    comments();
    drop_sequences_enums_extensions_schemas();
    return std::move(m_changes);
  }

private:
  void add(const std::string& sql) { m_changes.statements.push_back(sql); }
  void destructive(const std::string& sql, const std::string& warning)
  {
    add("-- lockstep: destructive: " + warning);
    add(sql);
    m_changes.warnings.push_back(warning);
  }

  const Table* old_table(const std::string& name) const
  {
    auto it = m_from.tables.find(name);
    return it == m_from.tables.end() ? nullptr : &it->second;
  }
  const Table* new_table(const std::string& name) const
  {
    auto it = m_to.tables.find(name);
    return it == m_to.tables.end() ? nullptr : &it->second;
  }

  void drop_views()
  {
    for (const auto& [name, def] : m_from.matviews) {
      auto it = m_to.matviews.find(name);
      if (it == m_to.matviews.end() || it->second != def) {
        add("DROP MATERIALIZED VIEW " + name + ";");
      }
    }
    for (const auto& [name, def] : m_from.views) {
      auto it = m_to.views.find(name);
      if (it == m_to.views.end() || it->second != def) {
        add("DROP VIEW " + name + ";");
      }
    }
  }

  void drop_constraints(bool foreign_keys)
  {
    for (const auto& [table_name, table] : m_from.tables) {
      const Table* target = new_table(table_name);
      if (target == nullptr) {
        continue;  // the table goes whole
      }
      for (const auto& [name, def] : table.constraints) {
        if ((table.constraint_types.at(name) == 'f') != foreign_keys) {
          continue;
        }
        auto it = target->constraints.find(name);
        if (it == target->constraints.end() || it->second != def) {
          add("ALTER TABLE " + table_name + " DROP CONSTRAINT " + util::quote_ident(name) + ";");
        }
      }
    }
    if (foreign_keys) {
      // Foreign keys on tables that go, pointing at tables that also go,
      // must not stop the drops: drop them first too.
      for (const auto& [table_name, table] : m_from.tables) {
        if (new_table(table_name) != nullptr) {
          continue;
        }
        for (const auto& [name, type] : table.constraint_types) {
          if (type == 'f') {
            add("ALTER TABLE " + table_name + " DROP CONSTRAINT " + util::quote_ident(name) + ";");
          }
        }
      }
    }
  }

  void drop_indexes()
  {
    for (const auto& [name, def] : m_from.indexes) {
      auto it = m_to.indexes.find(name);
      bool table_goes = new_table(m_from.index_tables.at(name)) == nullptr;
      if (!table_goes && (it == m_to.indexes.end() || it->second != def)) {
        add("DROP INDEX " + name + ";");
      }
    }
  }

  void drop_columns_and_tables()
  {
    for (const auto& [table_name, table] : m_from.tables) {
      const Table* target = new_table(table_name);
      if (target == nullptr) {
        std::string hint;
        for (const auto& [other, unused] : m_to.tables) {
          if (old_table(other) == nullptr) {
            hint = " (or a rename to " + other + "?)";
          }
        }
        destructive("DROP TABLE " + table_name + ";", "drops table " + table_name + hint);
        continue;
      }
      for (const auto& column : table.column_order) {
        if (target->columns.count(column) == 0) {
          std::string hint;
          for (const auto& other : target->column_order) {
            if (table.columns.count(other) == 0 &&
                target->columns.at(other).type == table.columns.at(column).type) {
              hint = " (or a rename to " + other + "?)";
            }
          }
          destructive("ALTER TABLE " + table_name + " DROP COLUMN " + util::quote_ident(column) + ";",
                      "drops column " + table_name + "." + column + hint);
        }
      }
    }
  }

  void create_schemas_extensions_enums_sequences()
  {
    for (const auto& s : m_to.schemas) {
      if (!contains(m_from.schemas, s)) {
        add("CREATE SCHEMA " + util::quote_ident(s) + ";");
      }
    }
    for (const auto& e : m_to.extensions) {
      if (!contains(m_from.extensions, e)) {
        add("CREATE EXTENSION IF NOT EXISTS " + util::quote_ident(e) + ";");
      }
    }
    for (const auto& [name, labels] : m_to.enums) {
      auto old = m_from.enums.find(name);
      if (old == m_from.enums.end()) {
        std::string list;
        for (const auto& l : labels) {
          list += (list.empty() ? "" : ", ") + quote_literal(l);
        }
        add("CREATE TYPE " + name + " AS ENUM (" + list + ");");
        continue;
      }
      enum_values(name, old->second, labels);
    }
    for (const auto& [name, def] : m_to.sequences) {
      if (m_from.sequences.count(name) == 0) {
        add("CREATE SEQUENCE " + name + " " + def + ";");
      } else if (m_from.sequences.at(name) != def) {
        add("ALTER SEQUENCE " + name + " " + def + ";");
      }
    }
  }

  // New values can be added in place; removed or reordered ones cannot,
  // and are flagged.
  void enum_values(const std::string& name, const std::vector<std::string>& old, const std::vector<std::string>& now)
  {
    std::vector<std::string> kept;
    for (const auto& l : now) {
      if (contains(old, l)) {
        kept.push_back(l);
      }
    }
    if (kept != old) {
      add("-- lockstep: enum " + name + " lost or reordered values; PostgreSQL cannot do that in place, so no SQL "
          "was generated for it: write it by hand");
      m_changes.warnings.push_back("enum " + name + " lost or reordered values (not generated)");
      return;
    }
    for (size_t i = 0; i < now.size(); ++i) {
      if (contains(old, now[i])) {
        continue;
      }
      std::string where = i > 0            ? " AFTER " + quote_literal(now[i - 1])
                          : now.size() > 1 ? " BEFORE " + quote_literal(now[1])
                                           : std::string();
      add("ALTER TYPE " + name + " ADD VALUE " + quote_literal(now[i]) + where + ";");
    }
  }

  void create_tables_and_columns()
  {
    for (const auto& [table_name, table] : m_to.tables) {
      const Table* old = old_table(table_name);
      if (old == nullptr) {
        std::string sql = "CREATE TABLE " + table_name + " (";
        for (size_t i = 0; i < table.column_order.size(); ++i) {
          const std::string& c = table.column_order[i];
          sql += (i > 0 ? ",\n    " : "\n    ") + column_sql(c, table.columns.at(c));
        }
        add(sql + "\n);");
        continue;
      }
      for (const auto& name : table.column_order) {
        const Column& want = table.columns.at(name);
        auto had = old->columns.find(name);
        const std::string alter = "ALTER TABLE " + table_name + " ";
        const std::string col = util::quote_ident(name);
        if (had == old->columns.end()) {
          add(alter + "ADD COLUMN " + column_sql(name, want) + ";");
          continue;
        }
        const Column& was = had->second;
        if (was.generated != want.generated) {
          destructive(alter + "DROP COLUMN " + col + ";", "recreates generated column " + table_name + "." + name);
          add(alter + "ADD COLUMN " + column_sql(name, want) + ";");
          continue;
        }
        if (was.identity != want.identity && !was.identity.empty()) {
          add(alter + "ALTER COLUMN " + col + " DROP IDENTITY;");
        }
        if (was.type != want.type) {
          destructive(alter + "ALTER COLUMN " + col + " TYPE " + want.type + " USING " + col + "::" + want.type + ";",
                      "changes the type of " + table_name + "." + name + " from " + was.type + " to " + want.type);
        }
        if (was.default_expr != want.default_expr) {
          add(alter + "ALTER COLUMN " + col +
              (want.default_expr.empty() ? " DROP DEFAULT;" : " SET DEFAULT " + want.default_expr + ";"));
        }
        if (was.identity != want.identity && !want.identity.empty()) {
          add(alter + "ALTER COLUMN " + col + " ADD GENERATED " + want.identity + " AS IDENTITY;");
        }
        if (was.not_null != want.not_null) {
          add(alter + "ALTER COLUMN " + col + (want.not_null ? " SET NOT NULL;" : " DROP NOT NULL;"));
        }
      }
    }
  }

  void add_constraints(bool foreign_keys)
  {
    for (const auto& [table_name, table] : m_to.tables) {
      const Table* old = old_table(table_name);
      for (const auto& [name, def] : table.constraints) {
        if ((table.constraint_types.at(name) == 'f') != foreign_keys) {
          continue;
        }
        bool exists = old != nullptr && old->constraints.count(name) != 0 && old->constraints.at(name) == def;
        if (!exists) {
          add("ALTER TABLE " + table_name + " ADD CONSTRAINT " + util::quote_ident(name) + " " + def + ";");
        }
      }
    }
  }

  void create_indexes()
  {
    for (const auto& [name, def] : m_to.indexes) {
      auto old = m_from.indexes.find(name);
      bool table_new = old_table(m_to.index_tables.at(name)) == nullptr;
      if (table_new || old == m_from.indexes.end() || old->second != def) {
        add(def + ";");
      }
    }
  }

  void create_views()
  {
    for (const auto& [name, def] : m_to.views) {
      auto old = m_from.views.find(name);
      if (old == m_from.views.end() || old->second != def) {
        add("CREATE VIEW " + name + " AS\n" + def);
      }
    }
    for (const auto& [name, def] : m_to.matviews) {
      auto old = m_from.matviews.find(name);
      if (old == m_from.matviews.end() || old->second != def) {
        add("CREATE MATERIALIZED VIEW " + name + " AS\n" + def);
      }
    }
  }

  void comments()
  {
    for (const auto& [table_name, table] : m_to.tables) {
      const Table* old = old_table(table_name);
      if ((old ? old->comment : std::string()) != table.comment) {
        add("COMMENT ON TABLE " + table_name + " IS " + comment_value(table.comment) + ";");
      }
      for (const auto& [name, column] : table.columns) {
        std::string was;
        if (old != nullptr && old->columns.count(name) != 0) {
          was = old->columns.at(name).comment;
        }
        if (was != column.comment) {
          add("COMMENT ON COLUMN " + table_name + "." + util::quote_ident(name) + " IS " +
              comment_value(column.comment) + ";");
        }
      }
    }
  }

  void drop_sequences_enums_extensions_schemas()
  {
    for (const auto& [name, def] : m_from.sequences) {
      if (m_to.sequences.count(name) == 0) {
        destructive("DROP SEQUENCE " + name + ";", "drops sequence " + name);
      }
    }
    for (const auto& [name, labels] : m_from.enums) {
      if (m_to.enums.count(name) == 0) {
        destructive("DROP TYPE " + name + ";", "drops type " + name);
      }
    }
    for (const auto& e : m_from.extensions) {
      if (!contains(m_to.extensions, e)) {
        destructive("DROP EXTENSION " + util::quote_ident(e) + ";", "drops extension " + e);
      }
    }
    for (const auto& s : m_from.schemas) {
      if (!contains(m_to.schemas, s)) {
        destructive("DROP SCHEMA " + util::quote_ident(s) + ";", "drops schema " + s);
      }
    }
  }

  const Model& m_from;
  const Model& m_to;
  Changes m_changes;
};

} // namespace

Changes diff(const Model& from, const Model& to)
{
  return Writer(from, to).run();
}

} // namespace lockstep::schema

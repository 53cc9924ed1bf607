// Schemas, extensions, enums, range types, domains, composite types and
// sequences: created before the tables and functions that use them,
// dropped after.
#include "schema/diff_context.hpp"
#include "util/sql_quote.hpp"
#include "util/strings.hpp"

namespace lockstep::schema::detail {

using util::quote_ident;
using util::quote_literal;

namespace {

std::string domain_sql(const std::string& name, const Domain& d)
{
  std::string sql = "CREATE DOMAIN " + name + " AS " + d.base;
  if (!d.default_expr.empty()) {
    sql += " DEFAULT " + d.default_expr;
  }
  if (d.not_null) {
    sql += " NOT NULL";
  }
  for (const auto& [constraint, def] : d.constraints) {
    sql += " CONSTRAINT " + quote_ident(constraint) + " " + def;
  }
  return sql + ";";
}

std::string composite_sql(const std::string& name, const CompositeType& t)
{
  std::vector<std::string> attributes;
  for (const auto& [attribute, type] : t.attributes) {
    attributes.push_back(quote_ident(attribute) + " " + type);
  }
  return "CREATE TYPE " + name + " AS (" + join(attributes, ", ") + ");";
}

// New values can be added in place; removed or reordered ones cannot,
// and are flagged.
void enum_values(Context& c, const std::string& name, const std::vector<std::string>& old,
                 const std::vector<std::string>& now)
{
  std::vector<std::string> kept;
  for (const auto& l : now) {
    if (contains(old, l)) {
      kept.push_back(l);
    }
  }
  if (kept != old) {
    c.not_generated("enum " + name + " lost or reordered values; PostgreSQL cannot do that in place");
    return;
  }
  for (size_t i = 0; i < now.size(); ++i) {
    if (contains(old, now[i])) {
      continue;
    }
    std::string where = i > 0            ? " AFTER " + quote_literal(now[i - 1])
                        : now.size() > 1 ? " BEFORE " + quote_literal(now[1])
                                         : std::string();
    c.add("ALTER TYPE " + name + " ADD VALUE " + quote_literal(now[i]) + where + ";");
  }
}

void alter_domain(Context& c, const std::string& name, const Domain& was, const Domain& want)
{
  if (was.base != want.base) {
    c.not_generated("domain " + name + " changes its type from " + was.base + " to " + want.base);
    return;
  }
  const std::string alter = "ALTER DOMAIN " + name;
  for (const auto& [constraint, def] : was.constraints) {
    auto it = want.constraints.find(constraint);
    if (it == want.constraints.end() || it->second != def) {
      c.add(alter + " DROP CONSTRAINT " + quote_ident(constraint) + ";");
    }
  }
  if (was.default_expr != want.default_expr) {
    c.add(alter + (want.default_expr.empty() ? " DROP DEFAULT;" : " SET DEFAULT " + want.default_expr + ";"));
  }
  if (was.not_null != want.not_null) {
    c.add(alter + (want.not_null ? " SET NOT NULL;" : " DROP NOT NULL;"));
  }
  for (const auto& [constraint, def] : want.constraints) {
    auto it = was.constraints.find(constraint);
    if (it == was.constraints.end() || it->second != def) {
      c.add(alter + " ADD CONSTRAINT " + quote_ident(constraint) + " " + def + ";");
    }
  }
}

void alter_composite(Context& c, const std::string& name, const CompositeType& was, const CompositeType& want)
{
  std::vector<std::string> actions;
  std::vector<std::string> dropped;
  for (const auto& [attribute, type] : was.attributes) {
    bool kept = false;
    for (const auto& [other, other_type] : want.attributes) {
      if (other == attribute) {
        kept = true;
        if (other_type != type) {
          actions.push_back("ALTER ATTRIBUTE " + quote_ident(attribute) + " TYPE " + other_type);
        }
      }
    }
    if (!kept) {
      actions.push_back("DROP ATTRIBUTE " + quote_ident(attribute));
      dropped.push_back(attribute);
    }
  }
  for (const auto& [attribute, type] : want.attributes) {
    bool had = false;
    for (const auto& old : was.attributes) {
      had = had || old.first == attribute;
    }
    if (!had) {
      actions.push_back("ADD ATTRIBUTE " + quote_ident(attribute) + " " + type);
    }
  }
  if (actions.empty()) {
    return;
  }
  const std::string sql = "ALTER TYPE " + name + " " + join(actions, ", ") + ";";
  if (dropped.empty()) {
    c.add(sql);
  } else {
    c.destructive(sql, "drops attribute(s) " + join(dropped, ", ") + " of type " + name);
  }
}

} // namespace

void create_schemas_and_extensions(Context& c)
{
  for (const auto& s : c.to.schemas) {
    if (!contains(c.from.schemas, s)) {
      c.add("CREATE SCHEMA " + quote_ident(s) + ";");
    }
  }
  auto schema_of = [](const Model& m, const std::string& e) {
    auto it = m.extension_schemas.find(e);
    return it == m.extension_schemas.end() ? std::string() : it->second;
  };
  for (const auto& e : c.to.extensions) {
    const std::string schema = schema_of(c.to, e);
    if (!contains(c.from.extensions, e)) {
      c.add("CREATE EXTENSION IF NOT EXISTS " + quote_ident(e) + (schema.empty() ? "" : " WITH SCHEMA " + schema) +
            ";");
    } else if (schema != schema_of(c.from, e) && !schema.empty()) {
      c.add("ALTER EXTENSION " + quote_ident(e) + " SET SCHEMA " + schema + ";");
    }
  }
}

void create_types(Context& c)
{
  for (const auto& [name, labels] : c.to.enums) {
    auto old = c.from.enums.find(name);
    if (old == c.from.enums.end()) {
      std::vector<std::string> quoted;
      for (const auto& l : labels) {
        quoted.push_back(quote_literal(l));
      }
      c.add("CREATE TYPE " + name + " AS ENUM (" + join(quoted, ", ") + ");");
    } else {
      enum_values(c, name, old->second, labels);
    }
  }
  for (const auto& [name, def] : c.to.ranges) {
    auto old = c.from.ranges.find(name);
    if (old == c.from.ranges.end()) {
      c.add("CREATE TYPE " + name + " AS RANGE (" + def + ");");
    } else if (old->second != def) {
      c.not_generated("range type " + name + " changes from (" + old->second + ") to (" + def + ")");
    }
  }
  for (const auto& [name, domain] : c.to.domains) {
    auto old = c.from.domains.find(name);
    if (old == c.from.domains.end()) {
      c.add(domain_sql(name, domain));
    } else {
      alter_domain(c, name, old->second, domain);
    }
  }
  for (const auto& [name, type] : c.to.composites) {
    auto old = c.from.composites.find(name);
    if (old == c.from.composites.end()) {
      c.add(composite_sql(name, type));
    } else {
      alter_composite(c, name, old->second, type);
    }
  }
}

void drop_types(Context& c)
{
  auto drop = [&](const std::string& name, const char* what) {
    c.destructive("DROP " + std::string(what) + " " + name + ";", "drops " + util::to_lower(what) + " " + name);
  };
  for (const auto& [name, type] : c.from.composites) {
    if (c.to.composites.count(name) == 0) {
      drop(name, "TYPE");
    }
  }
  for (const auto& [name, domain] : c.from.domains) {
    if (c.to.domains.count(name) == 0) {
      drop(name, "DOMAIN");
    }
  }
  for (const auto& [name, def] : c.from.ranges) {
    if (c.to.ranges.count(name) == 0) {
      drop(name, "TYPE");
    }
  }
  for (const auto& [name, labels] : c.from.enums) {
    if (c.to.enums.count(name) == 0) {
      drop(name, "TYPE");
    }
  }
}

void create_sequences(Context& c)
{
  for (const auto& [name, seq] : c.to.sequences) {
    auto old = c.from.sequences.find(name);
    if (old == c.from.sequences.end()) {
      c.add("CREATE SEQUENCE " + name + " " + seq.definition + ";");
    } else if (old->second.definition != seq.definition) {
      c.add("ALTER SEQUENCE " + name + " " + seq.definition + ";");
    }
  }
}

// A serial column's sequence is owned by it (dropped with it): the
// ownership follows the table, so the sequence can exist before it.
void own_sequences(Context& c)
{
  for (const auto& [name, seq] : c.to.sequences) {
    auto old = c.from.sequences.find(name);
    const std::string was = old == c.from.sequences.end() ? std::string() : old->second.owned_by;
    const bool table_new = !seq.owner_table.empty() && c.old_table(seq.owner_table) == nullptr;
    if (seq.owned_by != was || (table_new && !seq.owned_by.empty())) {
      c.add("ALTER SEQUENCE " + name + " OWNED BY " + (seq.owned_by.empty() ? "NONE" : seq.owned_by) + ";");
    }
  }
}

void drop_sequences(Context& c)
{
  for (const auto& [name, seq] : c.from.sequences) {
    if (c.to.sequences.count(name) != 0) {
      continue;
    }
    if (!seq.owner_table.empty() &&
        (c.table_goes(seq.owner_table) || c.new_table(seq.owner_table)->columns.count(seq.owner_column) == 0)) {
      continue;  // dropped with the table or column that owns it
    }
    c.destructive("DROP SEQUENCE " + name + ";", "drops sequence " + name);
  }
}

void drop_extensions_and_schemas(Context& c)
{
  for (const auto& e : c.from.extensions) {
    if (!contains(c.to.extensions, e)) {
      c.destructive("DROP EXTENSION " + quote_ident(e) + ";", "drops extension " + e);
    }
  }
  for (const auto& s : c.from.schemas) {
    if (!contains(c.to.schemas, s)) {
      c.destructive("DROP SCHEMA " + quote_ident(s) + ";", "drops schema " + s);
    }
  }
}

} // namespace lockstep::schema::detail

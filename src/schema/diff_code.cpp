// Functions and procedures, triggers, and row-level security policies.
#include "schema/diff_context.hpp"

namespace lockstep::schema::detail {

namespace {

bool needs_drop(const Function& was, const Function& want)
{
  return was.result != want.result || was.procedure != want.procedure;
}

std::string drop_function_sql(const std::string& name, const Function& f)
{
  return std::string(f.procedure ? "DROP PROCEDURE " : "DROP FUNCTION ") + name + ";";
}

// A trigger or policy goes when it changes or disappears, unless its table
// goes with it.
template <typename Item>
void drop_on_tables(Context& c, const std::map<std::string, Item>& from, const std::map<std::string, Item>& to,
                    const char* what)
{
  for (const auto& [key, item] : from) {
    auto it = to.find(key);
    if (c.table_goes(item.table) || c.dropped_views.count(item.table) != 0) {
      continue;
    }
    if (it == to.end() || it->second.definition != item.definition) {
      c.add("DROP " + std::string(what) + " " + key + ";");
    }
  }
}

template <typename Item>
void create_on_tables(Context& c, const std::map<std::string, Item>& from, const std::map<std::string, Item>& to)
{
  for (const auto& [key, item] : to) {
    auto it = from.find(key);
    // Its table (or view) is new or created again: it went with it.
    const bool host_new = c.to.tables.count(item.table) != 0
                            ? c.old_table(item.table) == nullptr
                            : c.from.views.count(item.table) == 0 || c.dropped_views.count(item.table) != 0;
    if (it == from.end() || it->second.definition != item.definition || host_new) {
      c.add(item.definition + ";");
    }
  }
}

} // namespace

void drop_triggers_and_policies(Context& c)
{
  drop_on_tables(c, c.from.triggers, c.to.triggers, "TRIGGER");
  drop_on_tables(c, c.from.policies, c.to.policies, "POLICY");
}

void create_triggers_and_policies(Context& c)
{
  create_on_tables(c, c.from.triggers, c.to.triggers);
  create_on_tables(c, c.from.policies, c.to.policies);
}

namespace {

FunctionPhase phase_of(const Function& f)
{
  return f.uses_tables ? FunctionPhase::after_tables
         : f.uses_types ? FunctionPhase::after_types
                        : FunctionPhase::before_types;
}

} // namespace

void drop_functions(Context& c, FunctionPhase phase)
{
  for (const auto& [name, f] : c.from.functions) {
    if (phase_of(f) != phase) {
      continue;
    }
    auto it = c.to.functions.find(name);
    if (it == c.to.functions.end()) {
      c.destructive(drop_function_sql(name, f), "drops " + std::string(f.procedure ? "procedure " : "function ") + name);
    } else if (needs_drop(f, it->second)) {
      c.add(drop_function_sql(name, f));
      c.recreated.insert(name);
    }
  }
}

// Bodies are not checked at creation (as pg_dump does): a function may
// name a table created after it.
void create_functions(Context& c, FunctionPhase phase)
{
  bool first = true;
  for (const auto& [name, f] : c.to.functions) {
    if (phase_of(f) != phase) {
      continue;
    }
    auto it = c.from.functions.find(name);
    if (it == c.from.functions.end() || it->second.definition != f.definition || c.recreated.count(name) != 0) {
      if (first) {
        c.add("SET check_function_bodies = false;");
      }
      first = false;
      std::string sql = f.definition;
      while (!sql.empty() && (sql.back() == '\n' || sql.back() == ' ')) {
        sql.pop_back();
      }
      c.add(sql + ";");
    }
  }
}

} // namespace lockstep::schema::detail

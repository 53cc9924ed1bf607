// Private to schema/diff*: the state one diff shares between the object
// families (diff_types, diff_tables, diff_code, diff_views, diff.cpp's
// comments). Each family writes its drops and its creates as separate
// functions; diff.cpp calls them in dependency order.
#pragma once

#include "schema/diff.hpp"

#include <set>
#include <string>

namespace lockstep::schema::detail {

class Context {
public:
  Context(const Model& from, const Model& to);

  const Model& from;
  const Model& to;
  Changes changes;
  // Model keys of objects this diff drops and creates again (a redefined
  // view, a partition with a new bound, a function with a new result type),
  // so what hangs on them (indexes, triggers, comments) is created again too.
  std::set<std::string> recreated;
  // Views (and materialized views) the diff drops: gone, redefined, or
  // reading a view or table column that changes.
  std::set<std::string> dropped_views;

  void add(const std::string& sql) { changes.statements.push_back(sql); }
  void destructive(const std::string& sql, const std::string& warning);
  // A change lockstep does not write SQL for: a comment in the file and a warning.
  void not_generated(const std::string& what);

  // The table as it was, or nullptr when it is new or created again.
  const Table* old_table(const std::string& name) const;
  const Table* new_table(const std::string& name) const;
  bool table_goes(const std::string& name) const;  // dropped, or dropped and created again
};

bool contains(const std::vector<std::string>& list, const std::string& item);
std::string join(const std::vector<std::string>& items, const std::string& separator);

// Functions go in three groups: those that need nothing of the user's
// (before the types, so a domain's CHECK can call them), those that need a
// user type, and those that need a table (its row type, or a SQL-standard
// body reading it).
enum class FunctionPhase { before_types, after_types, after_tables };

// Object families, in the order diff.cpp runs them.
void plan_recreated_tables(Context& c);
void drop_triggers_and_policies(Context& c);
void drop_views(Context& c);
void drop_indexes(Context& c);
void drop_constraints(Context& c, bool foreign_keys);
void drop_functions(Context& c, FunctionPhase phase);
void drop_columns_and_tables(Context& c);
void drop_sequences(Context& c);
void drop_types(Context& c);
void create_schemas_and_extensions(Context& c);
void create_types(Context& c);
void create_functions(Context& c, FunctionPhase phase);
void create_sequences(Context& c);
void create_tables_and_columns(Context& c);
void own_sequences(Context& c);
void add_constraints(Context& c, bool foreign_keys);
void create_indexes(Context& c, bool on_views);
void create_views(Context& c);
void create_triggers_and_policies(Context& c);
void privileges(Context& c);
void comments(Context& c);
void drop_extensions_and_schemas(Context& c);

} // namespace lockstep::schema::detail

#include "schema/diff.hpp"

#include "schema/diff_context.hpp"
#include "util/sql_quote.hpp"

#include <algorithm>

namespace lockstep::schema {

namespace detail {

Context::Context(const Model& from_model, const Model& to_model) : from(from_model), to(to_model) {}

void Context::destructive(const std::string& sql, const std::string& warning)
{
  add("-- lockstep: destructive: " + warning);
  add(sql);
  changes.warnings.push_back(warning);
}

void Context::not_generated(const std::string& what)
{
  add("-- lockstep: " + what + "; no SQL was generated for it: write it by hand");
  changes.warnings.push_back(what + " (not generated)");
}

const Table* Context::old_table(const std::string& name) const
{
  auto it = from.tables.find(name);
  return it == from.tables.end() || recreated.count(name) != 0 ? nullptr : &it->second;
}

const Table* Context::new_table(const std::string& name) const
{
  auto it = to.tables.find(name);
  return it == to.tables.end() ? nullptr : &it->second;
}

bool Context::table_goes(const std::string& name) const
{
  return to.tables.count(name) == 0 || recreated.count(name) != 0;
}

bool contains(const std::vector<std::string>& list, const std::string& item)
{
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string join(const std::vector<std::string>& items, const std::string& separator)
{
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : separator) + item;
  }
  return out;
}

namespace {

// Whether the part of an object a comment is on still exists in `model`.
bool part_exists(const Model& model, const Comment& comment)
{
  const std::string& part = comment.part;
  auto table = model.tables.find(comment.object);
  auto after = [&](const char* prefix) { return part.substr(std::string(prefix).size()); };
  if (part.rfind("column:", 0) == 0) {
    return table == model.tables.end() ? model.views.count(comment.object) != 0 ||
                                           model.composites.count(comment.object) != 0
                                       : table->second.columns.count(after("column:")) != 0;
  }
  if (part.rfind("constraint:", 0) == 0) {
    auto domain = model.domains.find(comment.object);
    return table != model.tables.end() ? table->second.constraints.count(after("constraint:")) != 0
           : domain != model.domains.end() ? domain->second.constraints.count(after("constraint:")) != 0
                                           : false;
  }
  if (part.rfind("trigger:", 0) == 0) {
    return model.triggers.count(after("trigger:")) != 0;
  }
  if (part.rfind("policy:", 0) == 0) {
    return model.policies.count(after("policy:")) != 0;
  }
  return model.tables.count(comment.object) != 0 || model.views.count(comment.object) != 0 ||
         model.indexes.count(comment.object) != 0 || model.sequences.count(comment.object) != 0 ||
         model.functions.count(comment.object) != 0 || model.enums.count(comment.object) != 0 ||
         model.domains.count(comment.object) != 0 || model.composites.count(comment.object) != 0 ||
         model.ranges.count(comment.object) != 0 || contains(model.schemas, comment.object);
}

} // namespace

// Comments last: everything they are on exists by now. An object created
// again lost its comments with it, so they are written again.
void comments(Context& c)
{
  for (const auto& [target, comment] : c.to.comments) {
    auto old = c.from.comments.find(target);
    const bool same = old != c.from.comments.end() && old->second.text == comment.text;
    if (!same || c.recreated.count(comment.object) != 0 || c.dropped_views.count(comment.object) != 0) {
      c.add("COMMENT ON " + target + " IS " + util::quote_literal(comment.text) + ";");
    }
  }
  for (const auto& [target, comment] : c.from.comments) {
    if (c.to.comments.count(target) == 0 && c.recreated.count(comment.object) == 0 &&
        c.dropped_views.count(comment.object) == 0 && part_exists(c.to, comment) && part_exists(c.from, comment)) {
      c.add("COMMENT ON " + target + " IS NULL;");
    }
  }
}

} // namespace detail

Changes diff(const Model& from, const Model& to)
{
  using namespace detail;
  Context c(from, to);
  plan_recreated_tables(c);
  // Drops, dependents first.
  drop_triggers_and_policies(c);
  drop_views(c);
  drop_indexes(c);
  drop_constraints(c, true);  // foreign keys first: they point at what changes next
  drop_constraints(c, false);
  drop_functions(c, FunctionPhase::after_tables);  // functions on a table's row type go before the table
  drop_columns_and_tables(c);
  drop_functions(c, FunctionPhase::after_types);   // the rest after the defaults and checks that call them
  drop_sequences(c);
  drop_types(c);
  drop_functions(c, FunctionPhase::before_types);  // after the domains whose checks call them
  // Creates, dependencies first.
  create_schemas_and_extensions(c);
  create_functions(c, FunctionPhase::before_types);
  create_types(c);
  create_functions(c, FunctionPhase::after_types);
  create_sequences(c);
  create_tables_and_columns(c);
  own_sequences(c);
  add_constraints(c, false);
  add_constraints(c, true);
  create_functions(c, FunctionPhase::after_tables);
  create_indexes(c, false);
  create_views(c);
  create_indexes(c, true);    // indexes on materialized views, after the views
  create_triggers_and_policies(c);
  privileges(c);
  comments(c);
  drop_extensions_and_schemas(c);
  return std::move(c.changes);
}

} // namespace lockstep::schema

// Views, materialized views and indexes. A view is replaced by dropping it
// and creating it again, and so is every view that reads it or reads a
// table column that changes; indexes on materialized views follow them.
#include "schema/diff_context.hpp"
#include "schema/order.hpp"

#include <set>

namespace lockstep::schema::detail {

namespace {

// Tables whose columns a view may read and that change under it.
std::set<std::string> changing_tables(const Context& c)
{
  std::set<std::string> changing;
  for (const auto& [name, table] : c.from.tables) {
    const Table* target = c.new_table(name);
    if (c.table_goes(name)) {
      changing.insert(name);
      continue;
    }
    for (const auto& [column, was] : table.columns) {
      auto it = target->columns.find(column);
      if (it == target->columns.end() || it->second.type != was.type || it->second.collation != was.collation ||
          it->second.generated != was.generated) {
        changing.insert(name);
      }
    }
  }
  return changing;
}

bool host_is_new(const Context& c, const std::string& host)
{
  return c.to.tables.count(host) != 0 ? c.old_table(host) == nullptr
                                      : c.from.views.count(host) == 0 || c.dropped_views.count(host) != 0;
}

} // namespace

void drop_views(Context& c)
{
  const std::set<std::string> tables = changing_tables(c);
  for (const auto& [name, view] : c.from.views) {
    auto it = c.to.views.find(name);
    bool drop = it == c.to.views.end() || it->second.definition != view.definition ||
                it->second.options != view.options || it->second.materialized != view.materialized;
    for (const auto& used : view.uses) {
      drop = drop || tables.count(used) != 0;
    }
    if (drop) {
      c.dropped_views.insert(name);
    }
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [name, view] : c.from.views) {
      for (const auto& used : view.uses) {
        if (c.dropped_views.count(used) != 0 && c.dropped_views.insert(name).second) {
          grew = true;
        }
      }
    }
  }
  std::vector<std::string> order = view_order(c.from.views);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (c.dropped_views.count(*it) != 0) {
      c.add(std::string(c.from.views.at(*it).materialized ? "DROP MATERIALIZED VIEW " : "DROP VIEW ") + *it + ";");
    }
  }
}

void create_views(Context& c)
{
  for (const auto& name : view_order(c.to.views)) {
    const View& view = c.to.views.at(name);
    if (c.from.views.count(name) != 0 && c.dropped_views.count(name) == 0) {
      continue;
    }
    c.add(std::string(view.materialized ? "CREATE MATERIALIZED VIEW " : "CREATE VIEW ") + name +
          (view.options.empty() ? "" : " WITH (" + view.options + ")") + " AS\n" + view.definition);
  }
}

void drop_indexes(Context& c)
{
  for (const auto& [name, index] : c.from.indexes) {
    // An index goes with its table or materialized view.
    if (c.table_goes(index.table) && c.from.tables.count(index.table) != 0) {
      continue;
    }
    if (c.dropped_views.count(index.table) != 0) {
      continue;
    }
    auto it = c.to.indexes.find(name);
    if (it == c.to.indexes.end() || it->second.definition != index.definition) {
      c.add("DROP INDEX " + name + ";");
    }
  }
}

void create_indexes(Context& c, bool on_views)
{
  for (const auto& [name, index] : c.to.indexes) {
    if ((c.to.views.count(index.table) != 0) != on_views) {
      continue;
    }
    auto old = c.from.indexes.find(name);
    if (old == c.from.indexes.end() || old->second.definition != index.definition || host_is_new(c, index.table)) {
      c.add(index.definition + ";");
    }
  }
}

} // namespace lockstep::schema::detail

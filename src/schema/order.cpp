#include "schema/order.hpp"

#include <functional>
#include <set>

namespace lockstep::schema {

std::vector<std::string> view_order(const std::map<std::string, View>& views)
{
  std::vector<std::string> order;
  std::set<std::string> placed;
  std::set<std::string> visiting;
  std::function<void(const std::string&)> place = [&](const std::string& name) {
    if (placed.count(name) != 0 || visiting.count(name) != 0) {
      return;
    }
    visiting.insert(name);
    for (const auto& used : views.at(name).uses) {
      if (views.count(used) != 0) {
        place(used);
      }
    }
    visiting.erase(name);
    placed.insert(name);
    order.push_back(name);
  };
  for (const auto& [name, view] : views) {
    place(name);
  }
  return order;
}

std::vector<std::string> table_order(const std::map<std::string, Table>& tables)
{
  auto depth = [&](const std::string& name) {
    int d = 0;
    for (auto it = tables.find(name); it != tables.end() && !it->second.parent.empty() && d < 64;
         it = tables.find(it->second.parent)) {
      ++d;
    }
    return d;
  };
  std::vector<std::string> order;
  for (int level = 0;; ++level) {
    size_t before = order.size();
    bool deeper = false;
    for (const auto& [name, table] : tables) {
      int d = depth(name);
      if (d == level) {
        order.push_back(name);
      }
      deeper = deeper || d > level;
    }
    if (!deeper && order.size() >= before) {
      break;
    }
  }
  return order;
}

} // namespace lockstep::schema

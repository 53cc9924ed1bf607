// Dependency order inside one object family, from what the catalog says an
// object uses: views after the views they read, partitions after their
// parents. Drops walk the same lists backwards.
#pragma once

#include "schema/model.hpp"

#include <string>
#include <vector>

namespace lockstep::schema {

// Every view of `views`, each after the views it reads (a cycle cannot
// happen in PostgreSQL; names stay sorted where order is free).
std::vector<std::string> view_order(const std::map<std::string, View>& views);

// Every table of `tables`, each partition after its parent.
std::vector<std::string> table_order(const std::map<std::string, Table>& tables);

} // namespace lockstep::schema

// The PostgreSQL driver's read-only queries of the caller's own SQL: a
// fleet's control database listing its targets (db/session.hpp).
#include "db/session.hpp"

#include "db/session_connection.hpp"

namespace lockstep::db {

std::vector<std::string> Session::query_column(const std::string& sql)
try {
  pqxx::read_transaction tx(m_connection->conn);
  std::vector<std::string> values;
  for (const auto& row : tx.exec(sql)) {
    if (!row[0].is_null()) {
      values.emplace_back(row[0].c_str());
    }
  }
  return values;
} catch (...) {
  fail("listing the fleet's targets");
}

} // namespace lockstep::db

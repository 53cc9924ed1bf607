// Session's connection, shared by the db/ files that run SQL on it (the
// session itself and the catalog reader). Private to src/db/: it includes
// <pqxx/pqxx>, which nothing outside db/ may see.
#pragma once

#include "db/session.hpp"

#include <pqxx/pqxx>

#include <string>

namespace lockstep::db {

struct Session::Connection {
  explicit Connection(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

} // namespace lockstep::db

// Private to src/db: the pqxx connection behind a db::Session, for the .cpp
// files that implement Session (only db/ may include pqxx).
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

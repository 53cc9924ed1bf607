// The PostgreSQL client libraries lockstep is built with, for `lockstep version`
// (only db/ may include libpq and libpqxx).
#pragma once

#include <string>

namespace lockstep::db {

// "libpq 150010, libpqxx 6.4.5"
std::string client_versions();

} // namespace lockstep::db

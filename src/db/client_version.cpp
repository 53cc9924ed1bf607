#include "db/client_version.hpp"

#include <libpq-fe.h>
#include <pqxx/version>

namespace lockstep::db {

std::string client_versions()
{
  return "libpq " + std::to_string(PQlibVersion()) + ", libpqxx " + PQXX_VERSION;
}

} // namespace lockstep::db

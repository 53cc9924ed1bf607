// Database URLs: what users write, what libpq gets, what logs may show.
//
// Accepted: postgresql:// and postgres:// URIs, SQLAlchemy-style URIs with a
// driver suffix (postgresql+asyncpg://, postgresql+psycopg2://; the suffix is
// dropped), and libpq key=value strings. The result carries two strings: the
// connection string for libpq, which may hold the password and must never be
// printed, and a redacted display form for logs and errors.
#pragma once

#include <string>

namespace lockstep::db {

struct ConnectionTarget {
  std::string conninfo;  // libpq key=value string; secret
  std::string display;   // postgresql://user@host:port/dbname; safe to print
};

struct ConnectionOptions {
  std::string application_name;  // set unless the URL sets it
  std::string password;          // overrides the URL's (from a password file); empty = keep
  int attempt_timeout_seconds = 0;  // libpq connect_timeout per attempt, unless the URL sets one
};

// Throws Error(usage) for a URL libpq cannot parse, without echoing it (it
// may hold a password).
ConnectionTarget parse_database_url(const std::string& url, const ConnectionOptions& options);

// The same server and credentials, another database (check's scratch
// databases): libpq takes the last of repeated keywords.
ConnectionTarget with_database(const ConnectionTarget& target, const std::string& dbname);

// The same connection with `schema` first on its search_path, then public
// (a fleet's tenant schema); `schema` must be a plain lower-case identifier.
ConnectionTarget with_search_path(const ConnectionTarget& target, const std::string& schema);

// Replaces every occurrence of `secret` in `text` with "***" (for server and
// libpq messages that might quote a connection string).
std::string scrub(std::string text, const std::string& secret);

} // namespace lockstep::db

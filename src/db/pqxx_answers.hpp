// Private to src/db: what the .cpp files of the PostgreSQL driver share about
// libpqxx's answers: the server's message, its SQLSTATE, a field's text.
#pragma once

#include <pqxx/pqxx>

#include <string>

namespace lockstep::db {

// pqxx's what() is libpq's whole message: "ERROR:  ...", then DETAIL, HINT,
// and LINE/caret lines that only make sense next to the query. Keeps the
// message, DETAIL and HINT on one line.
std::string server_message(const std::string& what);

// The SQLSTATE of a driver exception. libpqxx 6.4 leaves it out of some of
// the exceptions it throws (insufficient_privilege, the transaction_rollback
// family, ...), so their type says it instead; "" when neither knows.
std::string sqlstate_of(const pqxx::failure& e);

// A field as text; "" for NULL.
std::string text_of(const pqxx::field& field);

} // namespace lockstep::db

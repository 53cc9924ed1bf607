// Quoting for SQL text that lockstep generates (bookkeeping statements and
// --sql output). Values are embedded as literals so that the online and the
// offline paths run the very same text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lockstep::util {

// 'it''s'; a value with a backslash becomes E'a\\b', which reads the same
// whatever standard_conforming_strings is set to.
std::string quote_literal(std::string_view value);
// The same, appended to `out` (no temporary string).
void append_literal(std::string& out, std::string_view value);

// Double-quotes an identifier when it is not a plain lower-case name or is
// a PostgreSQL key word (as the server's quote_ident() does).
std::string quote_ident(std::string_view name);

// "schema"."table", or just the table when schema is empty.
std::string qualified_name(std::string_view schema, std::string_view table);

// ARRAY['a','b']::text[]
std::string text_array_literal(const std::vector<std::string>& values);
void append_text_array(std::string& out, const std::vector<std::string>& values);

} // namespace lockstep::util

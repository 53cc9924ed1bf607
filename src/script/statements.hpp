// Splitting a section of SQL into statements with the real PostgreSQL parser
// (libpg_query), so dollar quoting, E'' strings and comments are handled as
// the server handles them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lockstep::script {

struct Statement {
  std::string sql;  // the statement without its trailing semicolon
  int line = 0;     // 1-based line in the file where it starts
};

// `first_line` is the file line on which `sql` starts. A syntax error throws
// Error(usage) "<path>:<line>: syntax error: <parser message>".
std::vector<Statement> split_statements(std::string_view sql, const std::string& path, int first_line);

} // namespace lockstep::script

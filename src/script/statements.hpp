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

// The first position at or after `pos` (and before `end`) that is neither
// white space nor inside a `--` or `/* */` comment (block comments nest, as
// in PostgreSQL); `end` when there is none.
size_t skip_space_and_comments(std::string_view text, size_t pos, size_t end);

// Where each statement of `sql` is: [begin, end) without the white space and
// comments before it and without its trailing semicolon, and its line
// counted from 0 at the start of `sql`.
struct StatementSpan {
  size_t begin = 0;
  size_t end = 0;
  int line = 0;
};

// The spans of `sql`'s statements; on a syntax error, false with the
// parser's message and the line (from 0) it points at.
bool split_spans(std::string_view sql, std::vector<StatementSpan>& spans, std::string& error, int& error_line);

// `first_line` is the file line on which `sql` starts. A syntax error throws
// Error(usage) "<path>:<line>: syntax error: <parser message>".
std::vector<Statement> split_statements(std::string_view sql, const std::string& path, int first_line);

} // namespace lockstep::script

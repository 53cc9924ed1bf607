#include "script/statements.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <pg_query.h>

#include <algorithm>
#include <memory>

namespace lockstep::script {

namespace {

int line_at(std::string_view text, size_t offset, int first_line)
{
  offset = std::min(offset, text.size());
  return first_line + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

} // namespace

size_t skip_space_and_comments(std::string_view text, size_t pos, size_t end)
{
  while (pos < end) {
    if (util::is_space(text[pos])) {
      ++pos;
    } else if (text.compare(pos, 2, "--") == 0) {
      size_t newline = text.find('\n', pos);
      pos = newline == std::string_view::npos ? end : newline + 1;
    } else if (text.compare(pos, 2, "/*") == 0) {
      // Block comments nest in PostgreSQL.
      int depth = 0;
      do {
        if (text.compare(pos, 2, "/*") == 0) {
          ++depth;
          pos += 2;
        } else if (text.compare(pos, 2, "*/") == 0) {
          --depth;
          pos += 2;
        } else {
          ++pos;
        }
      } while (depth > 0 && pos < end);
    } else {
      break;
    }
  }
  return std::min(pos, end);
}

bool split_spans(std::string_view sql, std::vector<StatementSpan>& spans, std::string& error, int& error_line)
{
  std::string text(sql);  // libpg_query wants a NUL-terminated string
  PgQuerySplitResult result = pg_query_split_with_parser(text.c_str());
  std::unique_ptr<PgQuerySplitResult, void (*)(PgQuerySplitResult*)> guard(
    &result, [](PgQuerySplitResult* r) { pg_query_free_split_result(*r); });

  if (result.error != nullptr) {
    // cursorpos counts characters from 1, 0 when unknown.
    size_t offset = result.error->cursorpos > 0
                      ? util::utf8_byte_offset(text, static_cast<size_t>(result.error->cursorpos - 1))
                      : 0;
    error = result.error->message;
    error_line = line_at(text, offset, 0);
    return false;
  }

  spans.reserve(spans.size() + static_cast<size_t>(result.n_stmts));
  for (int i = 0; i < result.n_stmts; ++i) {
    const PgQuerySplitStmt* stmt = result.stmts[i];
    auto begin = static_cast<size_t>(stmt->stmt_location);
    size_t end = begin + static_cast<size_t>(stmt->stmt_len);
    if (stmt->stmt_len == 0) {
      end = text.size();  // the last statement without a semicolon
    }
    // The parser reports a statement from the end of the previous one, so
    // its text starts with the white space and comments in between: skip
    // them to name the line where the statement itself starts.
    begin = skip_space_and_comments(text, begin, end);
    if (begin >= end) {
      continue;
    }
    spans.push_back({begin, end, line_at(text, begin, 0)});
  }
  return true;
}

std::vector<Statement> split_statements(std::string_view sql, const std::string& path, int first_line)
{
  std::vector<StatementSpan> spans;
  std::string error;
  int error_line = 0;
  if (!split_spans(sql, spans, error, error_line)) {
    throw_usage(path + ":" + std::to_string(first_line + error_line) + ": syntax error: " + error);
  }
  std::vector<Statement> statements;
  statements.reserve(spans.size());
  for (const auto& span : spans) {
    statements.push_back({std::string(sql.substr(span.begin, span.end - span.begin)), first_line + span.line});
  }
  return statements;
}

} // namespace lockstep::script

#include "migrator/desired_state.hpp"

#include "script/statements.hpp"
#include "util/error.hpp"
#include "util/read_file.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>

namespace lockstep::migrator {

namespace {

// The statement's words, upper-cased and single-spaced, up to `limit` characters.
std::string head_of(const std::string& sql, size_t limit)
{
  std::string head;
  size_t pos = script::skip_space_and_comments(sql, 0, sql.size());
  bool space = false;
  for (; pos < sql.size() && head.size() < limit; ++pos) {
    const char ch = sql[pos];
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
      space = !head.empty();
      continue;
    }
    if (space) {
      head += ' ';
      space = false;
    }
    head += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return head;
}

bool is_privilege_statement(const std::string& sql)
{
  const std::string head = head_of(sql, 4096);
  return util::starts_with(head, "GRANT ") || util::starts_with(head, "REVOKE ") ||
         util::starts_with(head, "ALTER DEFAULT PRIVILEGES") ||
         (util::starts_with(head, "ALTER ") && head.find(" OWNER TO ") != std::string::npos);
}

// Whether `before` ends between statements: it parses as it is.
bool between_statements(std::string_view before)
{
  try {
    script::split_statements(before, "", 1);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::vector<std::string> files_of(const std::string& path)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) {
    throw_usage("the desired schema is not set: set schema (--schema, LOCKSTEP_SCHEMA) to a .sql file or folder");
  }
  if (!fs::is_directory(path, ec)) {
    return {path};
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    std::string name = entry.path().filename().string();
    if (name[0] != '.' && util::ends_with(name, ".sql")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

DesiredState load_desired_state(const std::string& path, bool ownership)
{
  DesiredState state;
  size_t privileges = 0;
  std::string first_privilege;
  for (const auto& file : files_of(path)) {
    std::string text = util::read_file(file);
    // psql meta-commands are lines that start with a backslash between
    // statements (where what comes before them parses); blank them so the
    // lines of everything else stay where they were. A backslash line inside
    // a statement (a function body) is the statement's.
    int line = 1;
    for (size_t start = 0; start < text.size(); ++line) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        end = text.size();
      }
      if (text[start] == '\\' && between_statements(std::string_view(text).substr(0, start))) {
        std::string command = text.substr(start, std::min<size_t>(end - start, text.find(' ', start) - start));
        state.notices.push_back(file + ":" + std::to_string(line) + ": skipped the psql meta-command " + command);
        std::fill(text.begin() + static_cast<long>(start), text.begin() + static_cast<long>(end), ' ');
      }
      start = end + 1;
    }
    for (auto& statement : script::split_statements(text, file, 1)) {
      if (!ownership && is_privilege_statement(statement.sql)) {
        if (privileges++ == 0) {
          first_privilege = file + ":" + std::to_string(statement.line);
        }
        continue;
      }
      state.statements.push_back(DesiredStatement{std::move(statement.sql), file, statement.line});
    }
  }
  if (privileges > 0) {
    state.notices.push_back("skipped " + std::to_string(privileges) +
                            " ownership and privilege statement(s) (OWNER TO, GRANT, REVOKE; the first at " +
                            first_privilege + "): set schema_ownership to true to manage them");
  }
  return state;
}

std::string locate(const DesiredState& state, const std::string& name)
{
  const std::string wanted = util::to_lower(name);
  std::string fallback;
  for (const auto& statement : state.statements) {
    const std::string lower = util::to_lower(statement.sql);
    size_t at = lower.find(wanted);
    bool found = false;
    for (; at != std::string::npos && !found; at = lower.find(wanted, at + 1)) {
      auto word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
      const bool starts = at == 0 || !word(lower[at - 1]);
      const bool ends = at + wanted.size() >= lower.size() || !word(lower[at + wanted.size()]);
      found = starts && ends;
    }
    if (!found) {
      continue;
    }
    if (util::starts_with(head_of(statement.sql, 16), "CREATE ")) {
      return statement.where();
    }
    if (fallback.empty()) {
      fallback = statement.where();
    }
  }
  return fallback;
}

} // namespace lockstep::migrator

#include "config/dotenv.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>

namespace lockstep::config {

namespace {

[[noreturn]] void fail(const std::string& path, size_t line, const std::string& what)
{
  throw_usage(path + ":" + std::to_string(line) + ": " + what);
}

bool valid_name(std::string_view name)
{
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

} // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text, const std::string& path)
{
  std::map<std::string, std::string> values;
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_number;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = util::trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    if (util::starts_with(line, "export ") || util::starts_with(line, "export\t")) {
      line = util::trim(line.substr(7));
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      fail(path, line_number, "expected NAME=value");
    }
    std::string name(util::trim(line.substr(0, eq)));
    if (!valid_name(name)) {
      fail(path, line_number, "'" + name + "' is not a variable name");
    }
    std::string_view rest = util::trim(line.substr(eq + 1));
    std::string value;
    if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) {
      const char quote = rest[0];
      size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < rest.size()) {
          char next = rest[++i];
          value += next == 'n' ? '\n' : next == 't' ? '\t' : next == 'r' ? '\r' : next;
          continue;
        }
        value += c;
      }
      if (!closed) {
        fail(path, line_number, "unterminated quoted value for " + name + " (values are one line)");
      }
      std::string_view after = util::trim(rest.substr(i + 1));
      if (!after.empty() && after[0] != '#') {
        fail(path, line_number, "unexpected text after the quoted value of " + name);
      }
    } else {
      size_t comment = rest.find(" #");
      value = std::string(util::trim(comment == std::string_view::npos ? rest : rest.substr(0, comment)));
    }
    values[name] = value;
  }
  return values;
}

} // namespace lockstep::config

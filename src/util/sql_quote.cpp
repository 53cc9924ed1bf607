#include "util/sql_quote.hpp"

#include <cctype>

namespace lockstep::util {

std::string quote_literal(std::string_view value)
{
  bool has_backslash = value.find('\\') != std::string_view::npos;
  std::string out;
  out.reserve(value.size() + 8);
  out += has_backslash ? "E'" : "'";
  if (!has_backslash && value.find('\'') == std::string_view::npos) {
    out.append(value);
    out += '\'';
    return out;
  }
  for (char c : value) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string quote_ident(std::string_view name)
{
  bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (!(std::islower(u) || std::isdigit(u) || c == '_')) {
      plain = false;
    }
  }
  if (plain) {
    return std::string(name);
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') {
      out += "\"\"";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string qualified_name(std::string_view schema, std::string_view table)
{
  if (schema.empty()) {
    return quote_ident(table);
  }
  return quote_ident(schema) + "." + quote_ident(table);
}

std::string text_array_literal(const std::vector<std::string>& values)
{
  std::string out = "ARRAY[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += ",";
    }
    out += quote_literal(values[i]);
  }
  out += "]::text[]";
  return out;
}

} // namespace lockstep::util

#include "util/sql_quote.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace lockstep::util {

namespace {

// PostgreSQL 15's key words other than the unreserved ones (reserved,
// type/function-name and column-name key words), sorted. The server's own
// quote_ident() quotes exactly these: unquoted, `CREATE TABLE user (...)`
// or a column named `order` is a syntax error.
constexpr std::string_view quoted_keywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
    "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character",
    "check", "coalesce", "collate", "collation", "column", "concurrently", "constraint", "create",
    "cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time",
    "current_timestamp", "current_user", "dec", "decimal", "default", "deferrable", "desc", "distinct",
    "do", "else", "end", "except", "exists", "extract", "false", "fetch", "float", "for", "foreign",
    "freeze", "from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
    "initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is", "isnull",
    "join", "lateral", "leading", "least", "left", "like", "limit", "localtime", "localtimestamp",
    "national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif", "numeric",
    "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing",
    "position", "precision", "primary", "real", "references", "returning", "right", "row", "select",
    "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric", "table",
    "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union",
    "unique", "user", "using", "values", "varchar", "variadic", "verbose", "when", "where", "window",
    "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces",
    "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable"
};

bool is_keyword(std::string_view name)
{
  return std::binary_search(std::begin(quoted_keywords), std::end(quoted_keywords), name);
}

} // namespace

void append_literal(std::string& out, std::string_view value)
{
  const bool has_backslash = value.find('\\') != std::string_view::npos;
  out += has_backslash ? "E'" : "'";
  if (!has_backslash && value.find('\'') == std::string_view::npos) {
    out.append(value);
    out += '\'';
    return;
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
}

std::string quote_literal(std::string_view value)
{
  std::string out;
  out.reserve(value.size() + 8);
  append_literal(out, value);
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
  if (plain && !is_keyword(name)) {
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
  std::string out;
  append_text_array(out, values);
  return out;
}

void append_text_array(std::string& out, const std::vector<std::string>& values)
{
  out += "ARRAY[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += ",";
    }
    append_literal(out, values[i]);
  }
  out += "]::text[]";
}

} // namespace lockstep::util

#include "db/connection_url.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <libpq-fe.h>

#include <map>
#include <memory>

namespace lockstep::db {

namespace {

// postgresql+asyncpg://... -> postgresql://...
std::string drop_driver_suffix(const std::string& url)
{
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return url;
  }
  std::string scheme = url.substr(0, scheme_end);
  size_t plus = scheme.find('+');
  if (plus == std::string::npos) {
    return url;
  }
  std::string base = scheme.substr(0, plus);
  if (base != "postgresql" && base != "postgres") {
    return url;
  }
  return base + url.substr(scheme_end);
}

std::string quote_conninfo_value(const std::string& value)
{
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '\'';
  return out;
}

} // namespace

ConnectionTarget parse_database_url(const std::string& url, const ConnectionOptions& options)
{
  if (url.empty()) {
    throw_usage("no database URL: set --database-url, LOCKSTEP_DATABASE_URL or DATABASE_URL");
  }
  std::string normalized = drop_driver_suffix(url);
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(normalized.c_str(), &error);
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> guard(parsed, PQconninfoFree);
  if (parsed == nullptr) {
    std::string reason = error != nullptr ? std::string(util::trim(error)) : "not a PostgreSQL URL";
    if (error != nullptr) {
      PQfreemem(error);
    }
    // libpq's message may quote the URL, which may hold a password.
    throw_usage("the database URL cannot be parsed: " + scrub(reason, normalized));
  }

  std::map<std::string, std::string> values;
  for (PQconninfoOption* opt = parsed; opt->keyword != nullptr; ++opt) {
    if (opt->val != nullptr && opt->val[0] != '\0') {
      values[opt->keyword] = opt->val;
    }
  }
  if (!options.password.empty()) {
    values["password"] = options.password;
  }
  // Without it, a server that accepts and never answers hangs an attempt
  // forever, and retries until connect_timeout never get their turn.
  if (values.count("connect_timeout") == 0 && options.attempt_timeout_seconds > 0) {
    values["connect_timeout"] = std::to_string(options.attempt_timeout_seconds);
  }
  if (values.count("application_name") == 0 && !options.application_name.empty()) {
    values["application_name"] = options.application_name;
  }

  ConnectionTarget target;
  for (const auto& [key, value] : values) {
    if (!target.conninfo.empty()) {
      target.conninfo += ' ';
    }
    target.conninfo += key + "=" + quote_conninfo_value(value);
  }

  std::string host = values.count("host") ? values["host"] : (values.count("hostaddr") ? values["hostaddr"] : "");
  target.display = "postgresql://";
  if (values.count("user")) {
    target.display += values["user"] + "@";
  }
  target.display += host.empty() ? "localhost" : (host.find(':') != std::string::npos && host[0] != '/' ? "[" + host + "]" : host);
  if (values.count("port")) {
    target.display += ":" + values["port"];
  }
  target.display += "/" + (values.count("dbname") ? values["dbname"] : std::string());
  return target;
}

ConnectionTarget with_search_path(const ConnectionTarget& target, const std::string& schema)
{
  ConnectionTarget out = target;
  out.conninfo += " options=" + quote_conninfo_value("-c search_path=" + schema + ",public");
  return out;
}

ConnectionTarget with_database(const ConnectionTarget& target, const std::string& dbname)
{
  ConnectionTarget out = target;
  out.conninfo += " dbname=" + quote_conninfo_value(dbname);
  out.display = out.display.substr(0, out.display.rfind('/') + 1) + dbname;
  return out;
}

std::string scrub(std::string text, const std::string& secret)
{
  if (secret.empty()) {
    return text;
  }
  size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    text.replace(pos, secret.size(), "***");
    pos += 3;
  }
  return text;
}

} // namespace lockstep::db

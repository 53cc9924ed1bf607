#include "config/config.hpp"

#include "script/revision_file.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>

namespace lockstep::config {

namespace {

// A value together with where it came from, for error messages.
struct Sourced {
  std::string value;
  std::string source;
};

std::optional<Sourced> pick(const std::optional<std::string>& flag, const std::string& flag_name,
                            const Environment& env, std::initializer_list<const char*> env_names)
{
  if (flag) {
    return Sourced{*flag, "--" + flag_name};
  }
  for (const char* name : env_names) {
    auto it = env.find(name);
    if (it != env.end() && !it->second.empty()) {
      return Sourced{it->second, std::string("environment variable ") + name};
    }
  }
  return std::nullopt;
}

std::chrono::milliseconds duration_value(const Sourced& s, const std::string& key)
{
  auto parsed = parse_duration(s.value);
  if (!parsed) {
    throw_usage("invalid " + key + " '" + s.value + "' from " + s.source +
                ": write a duration such as 500ms, 30s, 5m, 1h30m or a number of seconds");
  }
  return *parsed;
}

void check_identifier(const Sourced& s, const std::string& key)
{
  if (!script::valid_revision_id(s.value) && !s.value.empty()) {
    // Table names follow the same alphabet as ids: letters, digits, '_'.
    throw_usage("invalid " + key + " '" + s.value + "' from " + s.source + ": use letters, digits and '_'");
  }
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text)
{
  std::string t(util::trim(text));
  if (t.empty()) {
    return std::nullopt;
  }
  bool bare = true;
  for (char c : t) {
    bare = bare && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
  }
  if (bare) {
    try {
      return std::chrono::milliseconds(static_cast<long long>(std::stod(t) * 1000));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < t.size()) {
    size_t start = i;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) {
      ++i;
    }
    if (start == i) {
      return std::nullopt;
    }
    double number = 0;
    try {
      number = std::stod(t.substr(start, i - start));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    size_t unit_start = i;
    while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) {
      ++i;
    }
    std::string unit = t.substr(unit_start, i - unit_start);
    if (unit == "ms") {
      total_ms += number;
    } else if (unit == "s") {
      total_ms += number * 1000;
    } else if (unit == "m") {
      total_ms += number * 60'000;
    } else if (unit == "h") {
      total_ms += number * 3'600'000;
    } else {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

Config resolve(const Flags& flags, const Environment& env, const std::string& hostname)
{
  Config config;
  if (auto v = pick(flags.database_url, "database-url", env, {"LOCKSTEP_DATABASE_URL", "DATABASE_URL"})) {
    config.database_url = v->value;
  }
  if (auto v = pick(flags.migrations, "migrations", env, {"LOCKSTEP_MIGRATIONS"})) {
    config.migrations = v->value;
  }
  if (auto v = pick(flags.version_table, "version-table", env, {"LOCKSTEP_VERSION_TABLE"})) {
    if (v->value.empty()) {
      throw_usage("version_table from " + v->source + " is empty");
    }
    check_identifier(*v, "version_table");
    config.version_table = v->value;
  }
  if (auto v = pick(flags.version_table_schema, "version-table-schema", env, {"LOCKSTEP_VERSION_TABLE_SCHEMA"})) {
    check_identifier(*v, "version_table_schema");
    config.version_table_schema = v->value;
  }
  if (auto v = pick(flags.connect_timeout, "connect-timeout", env, {"LOCKSTEP_CONNECT_TIMEOUT"})) {
    config.connect_timeout = duration_value(*v, "connect_timeout");
  }
  if (auto v = pick(flags.lock_timeout, "lock-timeout", env, {"LOCKSTEP_LOCK_TIMEOUT"})) {
    config.lock_timeout = duration_value(*v, "lock_timeout");
  }
  auto pod = env.find("POD_NAME");
  config.run_by = pod != env.end() && !pod->second.empty() ? pod->second : hostname;
  return config;
}

Environment environment_from(char** envp)
{
  Environment env;
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

} // namespace lockstep::config

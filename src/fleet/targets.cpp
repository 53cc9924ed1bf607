#include "fleet/targets.hpp"

#include "db/server_probe.hpp"
#include "migrator/migrator.hpp"
#include "util/error.hpp"
#include "util/read_file.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <map>
#include <sys/stat.h>
#include <sstream>

namespace lockstep::fleet {

namespace {

bool plain_schema_name(const std::string& name)
{
  if (name.empty() || name.size() > 63 || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// "postgresql://user@host:5432/app" -> "host:5432/app": the id survives a
// change of user (a credential rotation) and carries no secret.
std::string id_of_display(const std::string& display)
{
  std::string rest = display.substr(display.find("://") + 3);
  size_t at = rest.find('@');
  return at == std::string::npos ? rest : rest.substr(at + 1);
}

bool looks_like_url(const std::string& text)
{
  return text.find("://") != std::string::npos || text.find('=') != std::string::npos;
}

Target url_target(const std::string& url, const std::string& id, const config::Config& base,
                  const config::Environment& env, const std::string& where)
{
  Target target;
  target.config = base;
  target.config.database_url = expand_variables(url, env, where);
  try {
    target.connection = migrator::connection_target(target.config);
  } catch (const Error& e) {
    throw_usage(where + ": " + e.what());  // parse_database_url never echoes the URL
  }
  target.display = target.connection.display;
  target.id = id.empty() ? id_of_display(target.display) : id;
  return target;
}

// The password in `dir`/<target id>, when that file exists: a mounted Secret
// with one key per tenant. Ids that cannot be a file name are left alone.
void apply_password_file(Target& target, const std::string& dir)
{
  if (target.id.find('/') != std::string::npos || target.id[0] == '.') {
    return;
  }
  const std::string path = dir + "/" + target.id;
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return;  // no file for this target: the URL's password (or database_password_file) stays
  }
  std::string password;
  try {
    password = util::read_file(path);
  } catch (const Error&) {
    throw_usage("cannot read the password file '" + path + "' of target " + target.id + " (fleet_password_dir)");
  }
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty()) {
    throw_usage("the password file '" + path + "' of target " + target.id + " (fleet_password_dir) is empty");
  }
  target.config.database_password = password;
  target.connection = migrator::connection_target(target.config);
}

void apply_password_dir(std::vector<Target>& targets, const std::string& dir)
{
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw_usage("fleet_password_dir '" + dir + "' is not a readable folder");
  }
  for (auto& target : targets) {
    apply_password_file(target, dir);
  }
}

// Every id of canary_ids names a target of the whole fleet (any shard).
void check_canary_ids(const config::Config& config, const std::vector<Target>& all)
{
  for (const auto& id : config.canary_ids) {
    if (std::none_of(all.begin(), all.end(), [&](const Target& t) { return t.id == id; })) {
      throw_usage("canary names target '" + id + "', which is not in the fleet (" + std::to_string(all.size()) +
                  " target(s))");
    }
  }
}

} // namespace

bool configured(const config::Config& config)
{
  return !config.fleet_file.empty() || !config.fleet_schemas.empty() || !config.fleet_query.empty();
}

std::string expand_variables(const std::string& text, const config::Environment& env, const std::string& where)
{
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") != 0) {
      out += text[i];
      continue;
    }
    size_t end = text.find('}', i + 2);
    if (end == std::string::npos) {
      throw_usage(where + ": '${' without its closing '}'");
    }
    std::string name = text.substr(i + 2, end - i - 2);
    auto value = env.find(name);
    if (value == env.end()) {
      throw_usage(where + ": ${" + name + "} is not set in the environment");
    }
    out += value->second;
    i = end;
  }
  return out;
}

std::vector<Target> parse_fleet_file(const std::string& text, const std::string& path, const config::Config& base,
                                     const config::Environment& env)
{
  std::vector<Target> targets;
  std::map<std::string, int> line_of_id;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = path + ":" + std::to_string(number);
    std::istringstream fields{std::string(util::trim(line))};
    std::vector<std::string> words;
    for (std::string word; fields >> word;) {
      words.push_back(word);
    }
    if (words.empty() || words[0][0] == '#') {
      continue;
    }
    if (words.size() > 2) {
      throw_usage(where + ": expected a database URL, or an id and a database URL, separated by spaces");
    }
    Target target = url_target(words.back(), words.size() == 2 ? words[0] : "", base, env, where);
    if (auto [it, fresh] = line_of_id.emplace(target.id, number); !fresh) {
      throw_usage(where + ": target " + target.id + " is already named on line " + std::to_string(it->second) +
                  " (give one of them an id: 'ID URL')");
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

std::vector<Target> schema_targets(const std::vector<std::string>& schemas, const config::Config& base)
{
  std::vector<Target> targets;
  const db::ConnectionTarget connection = migrator::connection_target(base);
  for (const auto& schema : schemas) {
    if (!plain_schema_name(schema)) {
      throw_usage("schema '" + schema + "' (from " + (base.fleet_query.empty() ? "fleet_schemas" : "fleet_query") +
                  ") is not a plain lower-case identifier (a-z, 0-9, _): rename it or narrow the selection");
    }
    Target target;
    target.id = schema;
    target.tenant_schema = true;
    target.config = base;
    target.config.version_table_schema = schema;
    target.connection = db::with_search_path(connection, schema);
    target.display = connection.display + " schema " + schema;
    targets.push_back(std::move(target));
  }
  return targets;
}

std::vector<Target> query_targets(const std::vector<std::string>& rows, const config::Config& base,
                                  const config::Environment& env)
{
  const bool urls = !rows.empty() && looks_like_url(rows.front());
  std::vector<Target> targets;
  std::map<std::string, size_t> row_of_id;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string where = "fleet_query row " + std::to_string(i + 1);
    if (looks_like_url(rows[i]) != urls) {
      throw_usage(where + ": the query returned both database URLs and schema names; return one kind");
    }
    if (!urls) {
      continue;
    }
    Target target = url_target(rows[i], "", base, env, where);
    if (auto [it, fresh] = row_of_id.emplace(target.id, i + 1); !fresh) {
      throw_usage(where + ": target " + target.id + " is already row " + std::to_string(it->second));
    }
    targets.push_back(std::move(target));
  }
  return urls ? targets : schema_targets(rows, base);
}

int shard_of(const std::string& id, int count)
{
  unsigned long long hash = std::stoull(util::sha256_hex(id).substr(0, 15), nullptr, 16);
  return static_cast<int>(hash % static_cast<unsigned long long>(count));
}

std::vector<Target> load_targets(const config::Config& config, const config::Environment& env)
{
  if (!config.fleet_file.empty() + !config.fleet_schemas.empty() + !config.fleet_query.empty() > 1) {
    throw_usage("set one of fleet_file, fleet_schemas and fleet_query: a fleet has one source of targets");
  }
  if (config.shard_index && *config.shard_index >= config.shard_count) {
    throw_usage("shard_index " + std::to_string(*config.shard_index) + " is not below shard_count " +
                std::to_string(config.shard_count) + " (in an Indexed Job, set shard_count to its completions)");
  }
  if (!config.shard_index && config.shard_count > 1) {
    throw_usage("shard_count is " + std::to_string(config.shard_count) +
                " but no shard_index (nor JOB_COMPLETION_INDEX) says which share is this run's");
  }
  std::vector<Target> all;
  if (!config.fleet_file.empty()) {
    std::string text;
    try {
      text = util::read_file(config.fleet_file);
    } catch (const Error&) {
      throw_usage("cannot read the fleet file '" + config.fleet_file + "' (fleet_file)");
    }
    all = parse_fleet_file(text, config.fleet_file, config, env);
  } else {
    std::vector<std::string> rows;
    {
      db::ServerProbe control(migrator::connection_target(config), config.connect_timeout);
      rows = config.fleet_query.empty() ? control.schemas_like(config.fleet_schemas)
                                        : control.first_column(config.fleet_query, "running fleet_query");
    }
    all = config.fleet_query.empty() ? schema_targets(rows, config) : query_targets(rows, config, env);
  }
  if (!config.fleet_password_dir.empty()) {
    if (!config.fleet_schemas.empty() || (!all.empty() && all.front().tenant_schema)) {
      throw_usage("fleet_password_dir gives each database URL of a fleet its own password; tenant schemas share "
                  "database_url's connection (use database_password_file)");
    }
    apply_password_dir(all, config.fleet_password_dir);
  }
  check_canary_ids(config, all);
  if (!config.shard_index) {
    return all;
  }
  std::vector<Target> mine;
  for (auto& target : all) {
    if (shard_of(target.id, config.shard_count) == *config.shard_index) {
      mine.push_back(std::move(target));
    }
  }
  return mine;
}

} // namespace lockstep::fleet

#include "config/config.hpp"

#include "config/dotenv.hpp"
#include "config/yaml_file.hpp"
#include "util/error.hpp"
#include "util/read_file.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace lockstep::config {

namespace {

[[noreturn]] void bad_value(const std::string& key, const std::string& value, const std::string& source,
                            const std::string& expected)
{
  throw_usage("invalid " + key + " '" + value + "' from " + source + ": " + expected);
}

Milliseconds duration_of(const std::string& key, const std::string& value, const std::string& source)
{
  auto parsed = parse_duration(value);
  if (!parsed) {
    bad_value(key, value, source, "write a duration such as 500ms, 30s, 5m, 1h30m or a number of seconds");
  }
  return *parsed;
}

bool bool_of(const std::string& key, const std::string& value, const std::string& source)
{
  std::string v = util::to_lower(value);
  if (v == "true" || v == "yes" || v == "on" || v == "1") {
    return true;
  }
  if (v == "false" || v == "no" || v == "off" || v == "0" || v.empty()) {
    return false;
  }
  bad_value(key, value, source, "use true or false");
}

std::string identifier_of(const std::string& key, const std::string& value, const std::string& source)
{
  // Table and schema names follow the revision-id alphabet: letters, digits, '_'.
  if (!value.empty() && !util::is_short_identifier(value)) {
    bad_value(key, value, source, "use up to 32 letters, digits and '_'");
  }
  return value;
}

int count_of(const std::string& key, const std::string& value, const std::string& source, int minimum)
{
  std::string t(util::trim(value));
  bool digits = !t.empty() && t.size() <= 9 &&
                std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!digits || std::stoi(t) < minimum) {
    bad_value(key, value, source, "use a whole number of at least " + std::to_string(minimum));
  }
  return std::stoi(t);
}

// "3" (the first three targets) or "tenant-a, tenant-b" (those, in order).
void canary_of(Config& c, const std::string& value, const std::string& source)
{
  c.canary = 0;
  c.canary_ids.clear();
  std::string t(util::trim(value));
  if (!t.empty() && std::all_of(t.begin(), t.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
    c.canary = count_of("canary", value, source, 0);
    return;
  }
  for (const auto& id : util::split_list(t)) {
    if (id.find_first_of(" \t") != std::string::npos) {
      bad_value("canary", value, source, "use a number of targets, or target ids separated by commas");
    }
    if (std::find(c.canary_ids.begin(), c.canary_ids.end(), id) != c.canary_ids.end()) {
      bad_value("canary", value, source, "target '" + id + "' is named twice");
    }
    c.canary_ids.push_back(id);
  }
}

// "3" (failed targets) or "5%" / "2.5%" (of the targets in this shard).
void max_failures_of(Config& c, const std::string& value, const std::string& source)
{
  c.max_failures.reset();
  c.max_failures_percent.reset();
  std::string t(util::trim(value));
  if (t.empty() || t.back() != '%') {
    c.max_failures = count_of("max_failures", value, source, 1);
    return;
  }
  std::string number(util::trim(t.substr(0, t.size() - 1)));
  bool ok = !number.empty() && number.size() <= 9 && number.find_first_not_of("0123456789.") == std::string::npos &&
            std::count(number.begin(), number.end(), '.') <= 1 && number.front() != '.' && number.back() != '.';
  double percent = ok ? std::stod(number) : 0;
  if (!ok || percent <= 0 || percent > 100) {
    bad_value("max_failures", value, source, "use a whole number of at least 1, or a percentage above 0% and up to 100%");
  }
  c.max_failures_percent = percent;
}

const std::vector<Setting> kSettings = {
  {"database_url", "PostgreSQL URL (also DATABASE_URL); postgresql+driver:// is accepted", true,
   [](Config& c, const std::string& v, const std::string&) { c.database_url = v; }},
  {"migrations", "Folder of migration files, or a bundle of one (lockstep bundle) [./migrations]", false,
   [](Config& c, const std::string& v, const std::string&) { c.migrations = v; }},
  {"version_table", "Version table; alembic_version takes over Alembic's [lockstep_version]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     if (v.empty()) {
       bad_value("version_table", v, s, "it must not be empty");
     }
     c.version_table = identifier_of("version_table", v, s);
   }},
  {"version_table_schema", "Schema of lockstep's tables [the search path]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     c.version_table_schema = identifier_of("version_table_schema", v, s);
   }},
  {"connect_timeout", "How long to wait for the database to come up [60s]", false,
   [](Config& c, const std::string& v, const std::string& s) { c.connect_timeout = duration_of("connect_timeout", v, s); }},
  {"lock_timeout", "How long to wait for the migration lock [300s]", false,
   [](Config& c, const std::string& v, const std::string& s) { c.lock_timeout = duration_of("lock_timeout", v, s); }},
  {"statement_timeout", "PostgreSQL statement_timeout for migration statements [none]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     c.statement_timeout = duration_of("statement_timeout", v, s);
   }},
  {"ddl_lock_timeout", "PostgreSQL lock_timeout for migration statements, with retries [none]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     c.ddl_lock_timeout = duration_of("ddl_lock_timeout", v, s);
   }},
  {"log_format", "text or json [text]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     if (v == "text") {
       c.log_format = LogFormat::text;
     } else if (v == "json") {
       c.log_format = LogFormat::json;
     } else {
       bad_value("log_format", v, s, "use text or json");
     }
   }},
  {"log_level", "debug, info, warn or error [info]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     std::string level = util::to_lower(v);
     if (level != "debug" && level != "info" && level != "warn" && level != "error" && level != "trace") {
       bad_value("log_level", v, s, "use debug, info, warn or error");
     }
     c.log_level = level;
   }},
  {"termination_log", "Where to write the one-line JSON outcome [/dev/termination-log if present]", false,
   [](Config& c, const std::string& v, const std::string&) { c.termination_log = v; }},
  {"kubernetes.annotate", "Annotate the pod with the outcome: off, best-effort or required [off]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     if (v == "off" || v == "false") {
       c.kubernetes_annotate = Annotate::off;
     } else if (v == "best-effort") {
       c.kubernetes_annotate = Annotate::best_effort;
     } else if (v == "required") {
       c.kubernetes_annotate = Annotate::required;
     } else {
       bad_value("kubernetes.annotate", v, s, "use off, best-effort or required");
     }
   }},
  {"kubernetes.annotation_prefix", "Prefix of the pod annotations [lockstep.dev]", false,
   [](Config& c, const std::string& v, const std::string&) { c.kubernetes_annotation_prefix = v; }},
  {"kubernetes.events", "Also post an events.k8s.io/v1 Event about the pod [false]", false,
   [](Config& c, const std::string& v, const std::string& s) { c.kubernetes_events = bool_of("kubernetes.events", v, s); }},
  {"kubernetes.report_timeout", "How long reporting to the API server may take, retries included [15s]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     c.kubernetes_report_timeout = duration_of("kubernetes.report_timeout", v, s);
   }},
  {"lock_mode", "advisory, or lease for PgBouncer in transaction pooling [advisory]", false,
   [](Config& c, const std::string& v, const std::string& s) {
     if (v == "advisory") {
       c.lock_mode = LockMode::advisory;
     } else if (v == "lease") {
       c.lock_mode = LockMode::lease;
     } else {
       bad_value("lock_mode", v, s, "use advisory or lease");
     }
   }},
  {"schema", "Desired-state SQL file or folder (autogenerate, check)", false,
   [](Config& c, const std::string& v, const std::string&) { c.schema = v; }},
  {"dev_url", "Server for scratch databases [the database URL's server]", true,
   [](Config& c, const std::string& v, const std::string&) { c.dev_url = v; }},
  {"schema_ownership", "Run OWNER TO / GRANT / REVOKE of the desired schema instead of skipping them [false]", false,
   [](Config& c, const std::string& v, const std::string& s) { c.schema_ownership = bool_of("schema_ownership", v, s); }},
  {"fleet_file", "Fleet: a file of database URLs, one per line, ${VAR} expanded from the environment", false,
   [](Config& c, const std::string& v, const std::string&) { c.fleet_file = v; }},
  {"fleet_schemas", "Fleet: every schema of the database whose name is LIKE this pattern (tenant_%)", false,
   [](Config& c, const std::string& v, const std::string&) { c.fleet_schemas = v; }},
  {"fleet_query", "Fleet: SQL run on the database returning one column: database URLs or schema names", false,
   [](Config& c, const std::string& v, const std::string&) { c.fleet_query = v; }},
  {"parallel", "Fleet: targets migrated at once (one connection each) [4]", false,
   [](Config& c, const std::string& v, const std::string& s) { c.parallel = count_of("parallel", v, s, 1); }},
  {"canary", "Fleet: the first N targets, or a comma-separated list of target ids, run first; the rest start "
             "only when all of them passed [0]", false,
   [](Config& c, const std::string& v, const std::string& s) { canary_of(c, v, s); }},
  {"max_failures", "Fleet: after N failed targets (or N% of this shard's, rounded up) no new target starts "
                   "[no limit]", false,
   [](Config& c, const std::string& v, const std::string& s) { max_failures_of(c, v, s); }},
  {"fleet_password_dir", "Fleet: a folder of password files, each named by a target id (a mounted Secret)", false,
   [](Config& c, const std::string& v, const std::string&) { c.fleet_password_dir = v; }},
  {"shard_index", "Fleet: which share of the targets to run, 0-based (also JOB_COMPLETION_INDEX)", false,
   [](Config& c, const std::string& v, const std::string& s) { c.shard_index = count_of("shard_index", v, s, 0); }},
  {"shard_count", "Fleet: how many shares the targets are split into (an Indexed Job's completions) [1]", false,
   [](Config& c, const std::string& v, const std::string& s) { c.shard_count = count_of("shard_count", v, s, 1); }},
};

// The first source that has a value for `key`.
struct Found {
  std::string value;
  std::string source;
};

class Sources {
public:
  Sources(const Inputs& inputs, std::map<std::string, std::string> dotenv, std::string dotenv_path,
          std::map<std::string, YamlValue> yaml, std::string yaml_path)
    : m_inputs(inputs), m_dotenv(std::move(dotenv)), m_dotenv_path(std::move(dotenv_path)),
      m_yaml(std::move(yaml)), m_yaml_path(std::move(yaml_path))
  {
  }

  std::optional<Found> find(const std::string& key, const std::vector<std::string>& env_names) const
  {
    if (auto it = m_inputs.flags.find(key); it != m_inputs.flags.end()) {
      return Found{it->second, flag_name(key)};
    }
    for (const auto& name : env_names) {
      // An empty variable counts as unset, as Kubernetes sets optional ones.
      if (auto it = m_inputs.env.find(name); it != m_inputs.env.end() && !it->second.empty()) {
        return Found{it->second, "environment variable " + name};
      }
    }
    for (const auto& name : env_names) {
      if (auto it = m_dotenv.find(name); it != m_dotenv.end() && !it->second.empty()) {
        return Found{it->second, name + " in " + m_dotenv_path};
      }
    }
    if (auto it = m_yaml.find(key); it != m_yaml.end()) {
      return Found{it->second.value, key + " in " + m_yaml_path + ":" + std::to_string(it->second.line)};
    }
    return std::nullopt;
  }

private:
  const Inputs& m_inputs;
  std::map<std::string, std::string> m_dotenv;
  std::string m_dotenv_path;
  std::map<std::string, YamlValue> m_yaml;
  std::string m_yaml_path;
};

std::string read_password_file(const Found& found)
{
  std::string text;
  try {
    text = util::read_file(found.value);
  } catch (const Error&) {
    throw_usage("cannot read the database password file '" + found.value + "' (from " + found.source + ")");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  if (text.empty()) {
    throw_usage("the database password file '" + found.value + "' (from " + found.source + ") is empty");
  }
  return text;
}

} // namespace

const std::vector<Setting>& settings()
{
  return kSettings;
}

std::string flag_name(const std::string& key)
{
  std::string out = "--";
  for (char c : key) {
    out += (c == '_' || c == '.') ? '-' : c;
  }
  return out;
}

std::string env_name(const std::string& key)
{
  std::string out = "LOCKSTEP_";
  for (char c : key) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Config resolve(const Inputs& inputs)
{
  namespace fs = std::filesystem;
  std::error_code ec;

  // .env first: it may name the config file too.
  std::map<std::string, std::string> dotenv;
  std::string dotenv_path = (fs::path(inputs.working_dir) / ".env").string();
  if (fs::is_regular_file(dotenv_path, ec)) {
    dotenv = parse_dotenv(util::read_file(dotenv_path), dotenv_path);
  }

  Config config;
  Sources bootstrap(inputs, dotenv, dotenv_path, {}, "");
  std::map<std::string, YamlValue> yaml;
  if (auto file = bootstrap.find("config", {"LOCKSTEP_CONFIG"})) {
    if (!fs::is_regular_file(file->value, ec)) {
      throw_usage("config file '" + file->value + "' (from " + file->source + ") does not exist");
    }
    config.config_file = file->value;
  } else if (fs::is_regular_file(inputs.default_config_file, ec)) {
    config.config_file = inputs.default_config_file;
  }
  if (!config.config_file.empty()) {
    yaml = load_yaml_file(config.config_file);
    for (const auto& [key, value] : yaml) {
      bool known = key == "database_password_file";
      for (const auto& setting : kSettings) {
        known = known || key == setting.key;
      }
      if (!known) {
        throw_usage(config.config_file + ":" + std::to_string(value.line) + ": unknown key '" + key +
                    "' (see 'lockstep --help' for the settings)");
      }
    }
  }

  Sources sources(inputs, std::move(dotenv), dotenv_path, std::move(yaml), config.config_file);
  for (const auto& setting : kSettings) {
    std::vector<std::string> names{env_name(setting.key)};
    if (std::string(setting.key) == "database_url") {
      names.emplace_back("DATABASE_URL");
    }
    if (std::string(setting.key) == "shard_index") {
      names.emplace_back("JOB_COMPLETION_INDEX");  // set by Kubernetes in an Indexed Job
    }
    if (auto found = sources.find(setting.key, names)) {
      setting.apply(config, found->value, found->source);
    }
  }
  if (auto file = sources.find("database_password_file", {"LOCKSTEP_DATABASE_PASSWORD_FILE"})) {
    config.database_password = read_password_file(*file);
  }
  auto pod = inputs.env.find("POD_NAME");
  config.run_by = pod != inputs.env.end() && !pod->second.empty() ? pod->second : inputs.hostname;
  return config;
}

std::optional<Milliseconds> parse_duration(const std::string& text)
{
  std::string t(util::trim(text));
  if (t.empty()) {
    return std::nullopt;
  }
  auto number_at = [&](size_t& i) -> std::optional<double> {
    size_t start = i;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) {
      ++i;
    }
    if (start == i) {
      return std::nullopt;
    }
    try {
      return std::stod(t.substr(start, i - start));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  size_t i = 0;
  double total_ms = 0;
  auto first = number_at(i);
  if (!first) {
    return std::nullopt;
  }
  if (i == t.size()) {
    return Milliseconds(static_cast<long long>(*first * 1000));  // a bare number of seconds
  }
  i = 0;
  while (i < t.size()) {
    auto number = number_at(i);
    if (!number) {
      return std::nullopt;
    }
    size_t unit_start = i;
    while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) {
      ++i;
    }
    std::string unit = t.substr(unit_start, i - unit_start);
    double scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000 : -1;
    if (scale < 0) {
      return std::nullopt;
    }
    total_ms += *number * scale;
  }
  return Milliseconds(static_cast<long long>(total_ms));
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

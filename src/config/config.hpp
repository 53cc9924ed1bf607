// Configuration: every setting, where it comes from, and what it means.
//
// Sources, highest first (README.md, "Configuration"):
//   1. command-line flags          --lock-timeout 5m
//   2. the environment             LOCKSTEP_LOCK_TIMEOUT=5m
//   3. .env in the working dir     LOCKSTEP_LOCK_TIMEOUT=5m
//   4. the YAML file               lock_timeout: 5m   (--config, LOCKSTEP_CONFIG,
//                                  else /etc/lockstep/config.yaml when present)
//   5. built-in defaults
// The database URL also comes from DATABASE_URL (after LOCKSTEP_DATABASE_URL),
// and its password from LOCKSTEP_DATABASE_PASSWORD_FILE (a mounted Secret).
// Every setting is listed once, in settings(); the CLI derives its flags from
// that table. A bad value, an unknown YAML key or an unreadable file is
// Error(usage) naming the key and its source. Nothing below this module
// reads the environment: main() hands it over as a map.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::config {

using Environment = std::map<std::string, std::string>;
using Flags = std::map<std::string, std::string>;  // setting key -> value given on the command line
using Milliseconds = std::chrono::milliseconds;

enum class LogFormat { text, json };
enum class LockMode { advisory, lease };
enum class Annotate { off, best_effort, required };

struct Config {
  std::string database_url;       // secret: print only the redacted form
  std::string database_password;  // secret: from the password file
  std::string migrations = "./migrations";
  std::string version_table = "lockstep_version";
  std::string version_table_schema;
  Milliseconds connect_timeout{60'000};
  Milliseconds lock_timeout{300'000};
  std::optional<Milliseconds> statement_timeout;
  std::optional<Milliseconds> ddl_lock_timeout;
  LogFormat log_format = LogFormat::text;
  std::string log_level = "info";
  std::string termination_log;  // empty: /dev/termination-log when it exists
  Annotate kubernetes_annotate = Annotate::off;
  std::string kubernetes_annotation_prefix = "lockstep.dev";
  bool kubernetes_events = false;
  Milliseconds kubernetes_report_timeout{15'000};  // all reporting to the API server, retries included
  LockMode lock_mode = LockMode::advisory;
  std::string schema;   // desired-state SQL file or folder
  std::string dev_url;  // server for scratch databases
  bool schema_ownership = false;  // OWNER TO / GRANT in the desired state: run (true) or skip with a notice
  // Fleets (README.md, "Fleets"): many targets, each migrated like one database.
  std::string fleet_file;          // a file of database URLs, one per line
  std::string fleet_schemas;       // a LIKE pattern of tenant schemas in database_url
  std::string fleet_query;         // SQL on database_url returning URLs or schema names
  int parallel = 4;                // targets migrated at once
  int canary = 0;                  // the first K targets run (and must pass) before the rest
  std::vector<std::string> canary_ids;  // or these targets, by id, in this order
  std::optional<int> max_failures; // after this many failed targets no new one starts
  std::optional<double> max_failures_percent;  // or this percentage of the shard's targets (rounded up)
  std::string fleet_password_dir;  // a folder of password files named by target id (a mounted Secret)
  std::optional<int> shard_index;  // this pod's share (also JOB_COMPLETION_INDEX)
  int shard_count = 1;             // how many shares the fleet is split into
  std::string config_file;  // the YAML file that was read, if any
  std::string run_by;       // POD_NAME, else the host name
};

// One configurable key.
struct Setting {
  const char* key;          // YAML key: "lock_timeout", "kubernetes.annotate"
  const char* help;
  bool secret_source;       // a path or URL that may carry credentials
  void (*apply)(Config& config, const std::string& value, const std::string& source);
};

const std::vector<Setting>& settings();

// "--lock-timeout" for "lock_timeout", "--kubernetes-annotate" for "kubernetes.annotate".
std::string flag_name(const std::string& key);
// "LOCKSTEP_LOCK_TIMEOUT", "LOCKSTEP_KUBERNETES_ANNOTATE".
std::string env_name(const std::string& key);

struct Inputs {
  Flags flags;               // settings given as flags, plus "config" and "database_password_file"
  Environment env;
  std::string working_dir = ".";
  std::string default_config_file = "/etc/lockstep/config.yaml";
  std::string hostname;
};

Config resolve(const Inputs& inputs);

// "500ms", "30s", "5m", "1h30m" or a bare number of seconds.
std::optional<Milliseconds> parse_duration(const std::string& text);

Environment environment_from(char** envp);

} // namespace lockstep::config

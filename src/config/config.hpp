// Configuration: where each setting comes from and what it is.
//
// Sources, highest first: command-line flags, the environment, built-in
// defaults. (The .env file and the YAML config file of DESIGN.md slot in
// between the environment and the defaults.) Nothing below this module reads
// the environment: main() hands it over as a map.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace lockstep::config {

using Environment = std::map<std::string, std::string>;

// What the command line said; unset options stay empty.
struct Flags {
  std::optional<std::string> database_url;
  std::optional<std::string> migrations;
  std::optional<std::string> version_table;
  std::optional<std::string> version_table_schema;
  std::optional<std::string> connect_timeout;
  std::optional<std::string> lock_timeout;
};

struct Config {
  std::string database_url;  // secret: print only db::parse_database_url(...).display
  std::string migrations = "./migrations";
  std::string version_table = "lockstep_version";
  std::string version_table_schema;
  std::chrono::milliseconds connect_timeout{60'000};
  std::chrono::milliseconds lock_timeout{300'000};
  std::string run_by;  // POD_NAME, else the host name: history rows and application_name
};

// Throws Error(usage) naming the key and its source for a value that does
// not parse.
Config resolve(const Flags& flags, const Environment& env, const std::string& hostname);

// "500ms", "30s", "5m", "1h30m" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

Environment environment_from(char** envp);

} // namespace lockstep::config

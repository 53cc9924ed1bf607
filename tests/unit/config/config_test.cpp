// Configuration: durations, .env syntax, YAML keys, and the precedence of
// flags > environment > .env > YAML > defaults.

#include "config/config.hpp"
#include "config/dotenv.hpp"
#include "util/error.hpp"

#include "temp_folder.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace lockstep;
using lockstep::test::TempFolder;
using Catch::Matchers::ContainsSubstring;
using std::chrono::milliseconds;

namespace {


config::Inputs inputs_in(const TempFolder& folder)
{
  config::Inputs in;
  in.working_dir = folder.path().string();
  in.default_config_file = folder.path().string() + "/absent.yaml";
  in.hostname = "host-1";
  return in;
}

std::string usage_error(const config::Inputs& in)
{
  try {
    config::resolve(in);
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    return e.what();
  }
  FAIL("expected a usage error");
  return "";
}

} // namespace

TEST_CASE("durations", "[config]")
{
  struct Row {
    const char* text;
    long long ms;  // -1: invalid
  };
  const Row rows[] = {
    {"500ms", 500}, {"30s", 30'000}, {"5m", 300'000}, {"1h30m", 5'400'000}, {"90", 90'000}, {"1.5", 1'500},
    {"2m30s", 150'000}, {"0", 0}, {"", -1}, {"5 minutes", -1}, {"10x", -1}, {"s", -1}, {"-5s", -1},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto parsed = config::parse_duration(row.text);
    if (row.ms < 0) {
      CHECK_FALSE(parsed.has_value());
    } else {
      REQUIRE(parsed.has_value());
      CHECK(parsed->count() == row.ms);
    }
  }
}

TEST_CASE("dotenv syntax: export, quotes, escapes and comments", "[config]")
{
  auto values = config::parse_dotenv("# a comment\n"
                                     "\n"
                                     "DATABASE_URL=postgresql://app@db/app\n"
                                     "export LOCKSTEP_LOCK_TIMEOUT=5m   # trailing comment\n"
                                     "QUOTED=\"a \\\"b\\\" c\\nd\" # after\n"
                                     "RAW='no $escapes \\n # here'\n"
                                     "EMPTY=\n",
                                     ".env");
  CHECK(values.at("DATABASE_URL") == "postgresql://app@db/app");
  CHECK(values.at("LOCKSTEP_LOCK_TIMEOUT") == "5m");
  CHECK(values.at("QUOTED") == "a \"b\" c\nd");
  CHECK(values.at("RAW") == "no $escapes \\n # here");
  CHECK(values.at("EMPTY").empty());

  const std::pair<const char*, const char*> bad[] = {
    {"JUST_A_NAME\n", ".env:1"},
    {"OK=1\n9BAD=2\n", ".env:2"},
    {"OK=1\n\nX=\"unterminated\n", ".env:3"},
    {"X='a' trailing\n", ".env:1"},
  };
  for (const auto& [text, where] : bad) {
    INFO(text);
    try {
      config::parse_dotenv(text, ".env");
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      CHECK_THAT(e.what(), ContainsSubstring(where));
    }
  }
}

TEST_CASE("precedence: flags, environment, .env, YAML, defaults", "[config]")
{
  TempFolder folder{"config"};
  std::string yaml = folder.write("config.yaml", "migrations: /from/yaml\n"
                                                 "lock_timeout: 1m\n"
                                                 "connect_timeout: 7s\n"
                                                 "statement_timeout: 9s\n"
                                                 "kubernetes:\n"
                                                 "  annotate: best-effort\n"
                                                 "  events: true\n");
  folder.write(".env", "LOCKSTEP_LOCK_TIMEOUT=2m\nLOCKSTEP_CONNECT_TIMEOUT=8s\nDATABASE_URL=postgresql://dotenv/db\n");
  config::Inputs in = inputs_in(folder);
  in.flags["config"] = yaml;
  in.env["LOCKSTEP_CONNECT_TIMEOUT"] = "3s";
  in.flags["migrations"] = "/from/flag";

  config::Config c = config::resolve(in);
  CHECK(c.migrations == "/from/flag");                  // flag beats YAML
  CHECK(c.connect_timeout == milliseconds(3'000));      // environment beats .env and YAML
  CHECK(c.lock_timeout == milliseconds(120'000));       // .env beats YAML
  CHECK(c.statement_timeout == milliseconds(9'000));    // YAML beats the default
  CHECK(c.database_url == "postgresql://dotenv/db");    // DATABASE_URL from .env
  CHECK(c.kubernetes_annotate == config::Annotate::best_effort);
  CHECK(c.kubernetes_events);
  CHECK(c.version_table == "lockstep_version");         // default
  CHECK(c.run_by == "host-1");
  CHECK(c.config_file == yaml);

  in.env["LOCKSTEP_DATABASE_URL"] = "postgresql://env/db";
  in.env["POD_NAME"] = "web-7d9c-0";
  c = config::resolve(in);
  CHECK(c.database_url == "postgresql://env/db");  // LOCKSTEP_DATABASE_URL beats DATABASE_URL
  CHECK(c.run_by == "web-7d9c-0");
}

TEST_CASE("the default config file is read only when present; LOCKSTEP_CONFIG must exist", "[config]")
{
  TempFolder folder{"config"};
  config::Inputs in = inputs_in(folder);
  in.default_config_file = folder.write("default.yaml", "version_table: alembic_version\n");
  CHECK(config::resolve(in).version_table == "alembic_version");
  in.env["LOCKSTEP_CONFIG"] = folder.path().string() + "/missing.yaml";
  CHECK_THAT(usage_error(in), ContainsSubstring("missing.yaml") && ContainsSubstring("LOCKSTEP_CONFIG"));
}

TEST_CASE("bad values name the key and where they came from", "[config]")
{
  TempFolder folder{"config"};
  struct Row {
    std::map<std::string, std::string> env;
    std::string yaml;
    std::vector<const char*> expected;
  };
  const Row rows[] = {
    {{{"LOCKSTEP_LOCK_TIMEOUT", "soon"}}, "", {"lock_timeout", "LOCKSTEP_LOCK_TIMEOUT", "soon"}},
    {{{"LOCKSTEP_LOG_FORMAT", "xml"}}, "", {"log_format", "LOCKSTEP_LOG_FORMAT"}},
    {{{"LOCKSTEP_LOCK_MODE", "mutex"}}, "", {"lock_mode"}},
    {{{"LOCKSTEP_KUBERNETES_ANNOTATE", "always"}}, "", {"kubernetes.annotate", "LOCKSTEP_KUBERNETES_ANNOTATE"}},
    {{{"LOCKSTEP_VERSION_TABLE", "drop table x"}}, "", {"version_table"}},
    {{}, "connect_timeout: forever\n", {"connect_timeout", "config.yaml:1"}},
    {{}, "log_level: info\nlock_timout: 5m\n", {"config.yaml:2", "unknown key 'lock_timout'"}},
    {{}, "kubernetes:\n  anotate: required\n", {"kubernetes.anotate"}},
    {{}, "migrations: [a, b]\n", {"migrations", "list"}},
    {{}, "key: [unclosed\n", {"config.yaml", "invalid YAML"}},
    {{{"LOCKSTEP_DATABASE_PASSWORD_FILE", "/nonexistent/pw"}}, "", {"password file", "/nonexistent/pw"}},
  };
  for (const auto& row : rows) {
    config::Inputs in = inputs_in(folder);
    in.env = row.env;
    if (!row.yaml.empty()) {
      in.flags["config"] = folder.write("config.yaml", row.yaml);
    }
    std::string message = usage_error(in);
    INFO(message);
    for (const char* part : row.expected) {
      CHECK_THAT(message, ContainsSubstring(part));
    }
  }
}

TEST_CASE("the password file is read and trimmed; an empty environment variable counts as unset", "[config]")
{
  TempFolder folder{"config"};
  config::Inputs in = inputs_in(folder);
  in.env["LOCKSTEP_DATABASE_PASSWORD_FILE"] = folder.write("pw", "s3cret\n");
  in.env["LOCKSTEP_LOCK_TIMEOUT"] = "";
  config::Config c = config::resolve(in);
  CHECK(c.database_password == "s3cret");
  CHECK(c.lock_timeout == milliseconds(300'000));
}

TEST_CASE("flag and environment names derive from the keys", "[config]")
{
  CHECK(config::flag_name("lock_timeout") == "--lock-timeout");
  CHECK(config::flag_name("kubernetes.annotation_prefix") == "--kubernetes-annotation-prefix");
  CHECK(config::env_name("kubernetes.annotate") == "LOCKSTEP_KUBERNETES_ANNOTATE");
  CHECK(config::env_name("version_table_schema") == "LOCKSTEP_VERSION_TABLE_SCHEMA");
}

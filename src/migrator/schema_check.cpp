#include "migrator/schema_check.hpp"

#include "db/connection_url.hpp"
#include "db/session.hpp"
#include "migrator/migrator.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>

namespace lockstep::migrator {

namespace {

// The scratch databases, dropped however the check ends (errors and
// signals unwind through the destructor).
class ScratchDatabases {
public:
  ScratchDatabases(db::Session& admin, std::vector<std::string> names) : m_admin(admin), m_names(std::move(names))
  {
    for (const auto& name : m_names) {
      m_admin.execute("CREATE DATABASE " + name);
      m_created.push_back(name);
    }
  }
  ~ScratchDatabases()
  {
    for (const auto& name : m_created) {
      try {
        m_admin.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (const std::exception& e) {
        log::event(log::Level::warn, "could not drop scratch database " + name + ": " + e.what());
      }
    }
  }
  ScratchDatabases(const ScratchDatabases&) = delete;
  ScratchDatabases& operator=(const ScratchDatabases&) = delete;

private:
  db::Session& m_admin;
  std::vector<std::string> m_names;
  std::vector<std::string> m_created;
};

} // namespace

std::string read_desired_schema(const std::string& path)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) {
    throw_usage("check needs the desired schema: set schema (--schema, LOCKSTEP_SCHEMA) to a .sql file or folder");
  }
  if (!fs::is_directory(path, ec)) {
    return util::read_file(path);
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    std::string name = entry.path().filename().string();
    if (name[0] != '.' && util::ends_with(name, ".sql")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::string sql;
  for (const auto& file : files) {
    sql += util::read_file(file) + "\n;\n";
  }
  return sql;
}

ReplayedAndDesired replay_and_load(const config::Config& config, std::vector<script::Revision> files)
{
  const std::string desired = read_desired_schema(config.schema);
  const std::string server_url = config.dev_url.empty() ? config.database_url : config.dev_url;
  db::ConnectionOptions options;
  options.application_name = "lockstep/" + config.run_by + "/check";
  options.password = config.dev_url.empty() ? config.database_password : std::string();
  db::ConnectionTarget server = db::parse_database_url(server_url, options);
  db::Session admin(server, db::TableNames{}, config.connect_timeout);

  const std::string suffix = util::random_hex(6);
  const std::string replayed = "lockstep_dev_" + suffix + "_m";
  const std::string wanted = "lockstep_dev_" + suffix + "_s";
  ScratchDatabases scratch(admin, {replayed, wanted});
  // Later keywords win in a libpq connection string: the same server, another database.
  auto on = [&](const std::string& dbname) { return server.conninfo + " dbname='" + dbname + "'"; };

  config::Config replay = config;
  replay.database_url = on(replayed);
  replay.database_password.clear();
  replay.version_table_schema.clear();
  Migrator(replay, std::move(files)).upgrade("heads");

  db::Session schema_db(db::parse_database_url(on(wanted), {}), db::TableNames{}, config.connect_timeout);
  try {
    schema_db.execute(desired);
  } catch (const std::exception& e) {
    throw_usage("the desired schema " + config.schema + " does not apply to an empty database: " + e.what());
  }

  db::Session migrated_db(db::parse_database_url(on(replayed), {}), db::TableNames{}, config.connect_timeout);
  return ReplayedAndDesired{migrated_db.describe_schema(), schema_db.describe_schema(), migrated_db.read_model(),
                            schema_db.read_model()};
}

SchemaDifference check_schema(const config::Config& config, std::vector<script::Revision> files)
{
  ReplayedAndDesired both = replay_and_load(config, std::move(files));
  const std::vector<std::string>& from_migrations = both.replayed_lines;
  const std::vector<std::string>& from_schema = both.desired_lines;
  SchemaDifference diff;
  std::set_difference(from_migrations.begin(), from_migrations.end(), from_schema.begin(), from_schema.end(),
                      std::back_inserter(diff.only_in_migrations));
  std::set_difference(from_schema.begin(), from_schema.end(), from_migrations.begin(), from_migrations.end(),
                      std::back_inserter(diff.only_in_schema));
  return diff;
}

} // namespace lockstep::migrator

#include "migrator/schema_check.hpp"

#include "db/driver.hpp"
#include "migrator/desired_state.hpp"
#include "migrator/migrator.hpp"
#include "schema/describe.hpp"
#include "schema/diff.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/random_hex.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <memory>

namespace lockstep::migrator {

namespace {

// The scratch databases, dropped however the check ends (errors and
// signals unwind through the destructor).
class ScratchDatabases {
public:
  ScratchDatabases(db::Driver& admin, std::vector<std::string> names) : m_admin(admin), m_names(std::move(names))
  {
    for (const auto& name : m_names) {
      m_admin.create_database(name);
      m_created.push_back(name);
    }
  }
  ~ScratchDatabases()
  {
    for (const auto& name : m_created) {
      try {
        m_admin.drop_database(name);
      } catch (const std::exception& e) {
        log::event(log::Level::warn, "could not drop scratch database " + name + ": " + e.what());
      }
    }
  }
  ScratchDatabases(const ScratchDatabases&) = delete;
  ScratchDatabases& operator=(const ScratchDatabases&) = delete;

private:
  db::Driver& m_admin;
  std::vector<std::string> m_names;
  std::vector<std::string> m_created;
};

// Objects lockstep does not model stop check and autogenerate: leaving them
// out would drop them silently.
void refuse_unsupported(const schema::Model& model, const DesiredState* desired)
{
  if (model.unsupported.empty()) {
    return;
  }
  std::vector<std::string> lines;
  for (const auto& object : model.unsupported) {
    std::string where = desired != nullptr ? locate(*desired, object.name) : std::string();
    lines.push_back((where.empty() ? std::string() : where + ": ") + object.description);
  }
  throw_usage(std::string(desired != nullptr ? "the desired schema" : "the migrations") +
              " create(s) objects of a kind lockstep does not manage (README: check and autogenerate), so "
              "check and autogenerate cannot compare them:\n  " + util::join(lines, "\n  "));
}

} // namespace

ReplayedAndDesired replay_and_load(const config::Config& config, std::vector<script::Revision> files)
{
  const DesiredState desired = load_desired_state(config.schema, config.schema_ownership);
  for (const auto& notice : desired.notices) {
    log::event(log::Level::info, "desired schema: " + notice);
  }
  // The dev server, reached as the database is (its password only when it
  // is the database's server), under an application_name of its own.
  config::Config dev = config;
  dev.database_url = config.dev_url.empty() ? config.database_url : config.dev_url;
  if (!config.dev_url.empty()) {
    dev.database_password.clear();
  }
  dev.run_by = config.run_by + "/check";
  std::unique_ptr<db::Driver> server = db::connect_postgres(connection_target(dev), db::TableNames{}, config.connect_timeout);
  return replay_and_load(config, std::move(files), desired, *server);
}

ReplayedAndDesired replay_and_load(const config::Config& config, std::vector<script::Revision> files,
                                   const DesiredState& desired, db::Driver& server)
{
  const std::string suffix = util::random_hex(6);
  const std::string replayed = "lockstep_dev_" + suffix + "_m";
  const std::string wanted = "lockstep_dev_" + suffix + "_s";
  log::event(log::Level::debug, "scratch databases " + replayed + " (migrations) and " + wanted + " (desired schema)");
  ScratchDatabases scratch(server, {replayed, wanted});

  // lockstep's tables in the scratch database: the configured version
  // table, on the search path (the scratch database has only public).
  config::Config replay = config;
  replay.database_password.clear();
  replay.version_table_schema.clear();
  const db::TableNames own = table_names_of(replay);
  Migrator(replay, std::move(files), server.connect_to(replayed, own)).upgrade("heads");

  std::unique_ptr<db::Driver> schema_db = server.connect_to(wanted, db::TableNames{});
  for (const auto& statement : desired.statements) {
    try {
      schema_db->execute(statement.sql);
    } catch (const Error& e) {
      if (e.code() != ExitCode::usage) {
        throw;  // unreachable, a signal: as they are
      }
      throw_usage(statement.where() + ": the desired schema does not apply to an empty database: " + e.what());
    }
  }

  std::unique_ptr<db::Driver> migrated_db = server.connect_to(replayed, own);
  ReplayedAndDesired both{migrated_db->read_model(config.schema_ownership),
                          schema_db->read_model(config.schema_ownership)};
  refuse_unsupported(both.desired, &desired);
  refuse_unsupported(both.replayed, nullptr);
  return both;
}

SchemaDifference check_schema(const config::Config& config, std::vector<script::Revision> files)
{
  ReplayedAndDesired both = replay_and_load(config, std::move(files));
  SchemaDifference difference;
  const schema::Changes changes = schema::diff(both.replayed, both.desired);
  if (changes.empty()) {
    return difference;
  }
  // The diff decides; the described lines say which objects differ.
  const std::vector<std::string> from_migrations = schema::describe(both.replayed);
  const std::vector<std::string> from_schema = schema::describe(both.desired);
  std::set_difference(from_migrations.begin(), from_migrations.end(), from_schema.begin(), from_schema.end(),
                      std::back_inserter(difference.only_in_migrations));
  std::set_difference(from_schema.begin(), from_schema.end(), from_migrations.begin(), from_migrations.end(),
                      std::back_inserter(difference.only_in_schema));
  if (difference.empty()) {
    for (const auto& statement : changes.statements) {
      difference.only_in_schema.push_back("needs: " + statement);
    }
  }
  return difference;
}

} // namespace lockstep::migrator

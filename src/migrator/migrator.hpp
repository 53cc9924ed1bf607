// The orchestrator: lock -> read state -> plan -> run steps -> record.
//
// It owns no I/O of its own: files arrive already loaded, the database is
// reached through a db::Driver (db/driver.hpp), plans come from graph/. The lock is released
// on every path (MigrationLock), and nothing runs before the whole plan has
// been checked: every statement parses, no transactional revision holds a
// statement that cannot run in a transaction, downgrades are reversible,
// applied files are unedited (checksums) and the database is not dirty.
#pragma once

#include "config/config.hpp"
#include "db/connection_url.hpp"
#include "db/driver.hpp"
#include "graph/planner.hpp"
#include "graph/revision_graph.hpp"
#include "migrator/catalog.hpp"
#include "script/revision_file.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::migrator {

// How the configuration's database is reached (application_name, password
// file, per-attempt timeout); Error(usage) for a URL that does not parse.
db::ConnectionTarget connection_target(const config::Config& config);

// lockstep's tables as the configuration names them.
db::TableNames table_names_of(const config::Config& config);

// The database as lockstep sees it.
struct Snapshot {
  Catalog catalog;                      // files plus revisions only the database knows
  graph::NodeSet applied;
  std::vector<std::string> rows;        // the version table, as stored
  std::optional<db::DirtyState> dirty;
  std::vector<std::string> edited;      // "id (path): ..." for applied files whose upgrade changed
  std::vector<std::string> ahead;       // applied revisions this folder does not have
};

// What is pending: the steps from the snapshot's state to `target`, going
// `direction`. The one place a plan is made from a database's state (upgrade,
// downgrade, status, wait).
std::vector<graph::Step> plan_to(const Snapshot& snap, graph::Direction direction, const std::string& target);

// Throws Error(validation) when the database is dirty, or (unless
// `ignore_checksums`) applied revisions' files were edited: what upgrade and
// downgrade refuse, and what validate reports, for one database.
void check_state(const Snapshot& snap, bool ignore_checksums);

struct Outcome {
  std::vector<std::string> from;  // version rows before
  std::vector<std::string> to;    // and after
  std::vector<std::string> ran;   // revisions run (or stamped), in order
  bool nothing_to_do = false;
};

struct RunOptions {
  bool ignore_checksums = false;
};

// A connection being opened on another thread while the files load: on
// every pod start the TCP and authentication round trips then overlap the
// file reads instead of following them.
using PendingDriver = std::future<std::unique_ptr<db::Driver>>;

class Migrator {
public:
  Migrator(config::Config config, std::vector<script::Revision> files, PendingDriver pending = {});
  // With a driver of the caller's (the unit tests' fake): nothing connects.
  Migrator(config::Config config, std::vector<script::Revision> files, std::unique_ptr<db::Driver> driver);

  // Starts connecting now (the URL is checked here: Error(usage) at once).
  static PendingDriver connect_in_background(const config::Config& config);
  ~Migrator();

  Outcome upgrade(const std::string& target, const RunOptions& options = {});
  Outcome downgrade(const std::string& target, const RunOptions& options = {});
  Outcome stamp(const std::string& target, bool purge);

  // Clears the dirty flag; returns a description of what it cleared, or
  // nullopt when nothing was dirty.
  std::optional<std::string> repair();

  // Reads the database without locking (current, status, history, validate).
  Snapshot snapshot();

  // Polls, read-only and lock-free, until the database is at or ahead of
  // every head. False on timeout.
  bool wait_for_heads(std::chrono::milliseconds timeout);

  const Catalog& files() const { return m_files; }
  db::TableNames table_names() const;

  // How far the last upgrade or downgrade got: after a failure, where the
  // database stayed and what ran before it.
  const Outcome& progress() const { return m_progress; }

private:
  enum class Kind { upgrade, downgrade };
  Outcome migrate(Kind kind, const std::string& target, const RunOptions& options);
  db::Driver& driver();
  const db::ConnectionTarget& target();
  Snapshot read();

  config::Config m_config;
  Catalog m_files;
  std::optional<db::ConnectionTarget> m_target;
  std::unique_ptr<db::Driver> m_driver;
  PendingDriver m_pending;
  Outcome m_progress;
};

} // namespace lockstep::migrator

// The orchestrator: lock -> read state -> plan -> run steps -> record.
//
// It owns no I/O of its own: files arrive already loaded, the database is
// reached through db::Session, and plans come from graph/. Every path that
// takes the lock releases it (LockGuard), and nothing runs before the whole
// plan has been checked (syntax of every step, reversibility going down).
#pragma once

#include "config/config.hpp"
#include "db/session.hpp"
#include "graph/revision_graph.hpp"
#include "migrator/catalog.hpp"
#include "script/revision_file.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lockstep::migrator {

// The database as lockstep sees it: the catalog (files plus revisions only
// the database knows) and what is applied.
struct Snapshot {
  Catalog catalog;
  graph::NodeSet applied;
  std::vector<std::string> rows;  // the version table, as stored
  bool initialized = false;       // lockstep's tables exist
};

struct Outcome {
  std::vector<std::string> from;  // version rows before
  std::vector<std::string> to;    // and after
  std::vector<std::string> ran;   // revisions run (or stamped), in order
  bool nothing_to_do = false;
};

class Migrator {
public:
  Migrator(config::Config config, std::vector<script::Revision> files);
  ~Migrator();

  Outcome upgrade(const std::string& target);
  Outcome downgrade(const std::string& target);
  Outcome stamp(const std::string& target, bool purge);

  // Reads the database without locking (current, status, history).
  Snapshot snapshot();

  const Catalog& files() const { return m_files; }
  db::TableNames table_names() const;

private:
  enum class Kind { upgrade, downgrade };
  Outcome migrate(Kind kind, const std::string& target);
  db::Session& session();
  Snapshot read(bool tolerate_unknown);
  void acquire_lock();

  config::Config m_config;
  Catalog m_files;
  std::unique_ptr<db::Session> m_session;
};

} // namespace lockstep::migrator

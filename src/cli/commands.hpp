// One function per command. Each takes the resolved configuration and its
// own options, writes its result to `out`, logs through spdlog, fills in
// what it did for the run's report, and returns the exit code (failures
// throw lockstep::Error instead).
#pragma once

#include "config/config.hpp"
#include "report/summary.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace lockstep::cli {

struct Options {
  std::string target;
  std::string range;
  std::string message;
  std::string head;
  std::string rev_id;
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;
  std::vector<std::string> revisions;
  bool sql = false;
  bool verbose = false;
  bool purge = false;
  bool ignore_checksums = false;
  bool single_head = false;
  bool autogenerate = false;
  std::string timeout;
  std::string format = "text";
  std::string output;
};

int cmd_upgrade(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_downgrade(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_current(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_history(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_heads(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_branches(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_show(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_stamp(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_status(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_revision(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_merge(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_validate(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_repair(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_wait(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_check(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_lint(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_bundle(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);
int cmd_version(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary);

} // namespace lockstep::cli

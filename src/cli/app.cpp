#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "fleet/runner.hpp"
#include "fleet/targets.hpp"
#include "report/reporter.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

namespace lockstep::cli {

namespace {

using Handler = int (*)(const config::Config&, const Options&, std::ostream&, report::RunSummary&);

struct Command {
  const char* name;
  const char* description;
  Handler handler;
  void (*add_options)(CLI::App& sub, Options& options);
  bool changes_database = false;  // annotate the pod "running" first, report the outcome
};

void no_options(CLI::App&, Options&) {}

const Command kCommands[] = {
  {"upgrade", "Apply pending revisions up to TARGET (default: heads)", cmd_upgrade,
   [](CLI::App& sub, Options& o) {
     sub.add_option("target", o.target, "head, heads, a revision, +N, label@head; with --sql also FROM:TO");
     sub.add_flag("--sql", o.sql, "Print the SQL instead of running it (no database connection)");
     sub.add_flag("--ignore-checksums", o.ignore_checksums, "Run even if applied revisions were edited");
   },
   true},
  {"downgrade", "Revert down to TARGET (-1, a revision, base)", cmd_downgrade,
   [](CLI::App& sub, Options& o) {
     sub.add_option("target", o.target, "-N, a revision, base; with --sql FROM:TO")->required();
     sub.add_flag("--sql", o.sql, "Print the SQL instead of running it (no database connection)");
     sub.add_flag("--ignore-checksums", o.ignore_checksums, "Run even if applied revisions were edited");
   },
   true},
  {"current", "Show the revision(s) the database is at", cmd_current,
   [](CLI::App& sub, Options& o) { sub.add_flag("-v,--verbose", o.verbose, "Show details"); }},
  {"history", "List revisions, newest first, marking the current ones", cmd_history,
   [](CLI::App& sub, Options& o) {
     sub.add_option("-r,--rev-range", o.range, "Only revisions in the range A:B");
     sub.add_flag("-v,--verbose", o.verbose, "Show details");
   }},
  {"heads", "Show the heads of the revision graph", cmd_heads,
   [](CLI::App& sub, Options& o) { sub.add_flag("-v,--verbose", o.verbose, "Show details"); }},
  {"branches", "Show branch points", cmd_branches,
   [](CLI::App& sub, Options& o) { sub.add_flag("-v,--verbose", o.verbose, "Show details"); }},
  {"show", "Show one revision", cmd_show,
   [](CLI::App& sub, Options& o) { sub.add_option("revision", o.target, "A revision or target")->required(); }},
  {"stamp", "Set the version table to REV without running any SQL", cmd_stamp,
   [](CLI::App& sub, Options& o) {
     sub.add_option("revision", o.target, "A revision, heads or base")->required();
     sub.add_flag("--purge", o.purge, "Empty the version table first (also when it holds unknown revisions)");
   },
   true},
  {"status", "List pending revisions; exit 7 when the database is not at head", cmd_status, no_options},
  {"revision", "Write a new revision file on the current head", cmd_revision,
   [](CLI::App& sub, Options& o) {
     sub.add_option("-m,--message", o.message, "What the revision does")->required();
     sub.add_option("--head", o.head, "The revision to build on (default: the single head; base for a new root)");
     sub.add_option("--rev-id", o.rev_id, "Use this revision id instead of a random one");
     sub.add_option("--branch-label", o.branch_labels, "Give the new revision a branch label");
     sub.add_option("--depends-on", o.depends_on, "A revision that must be applied first (not a parent)");
     sub.add_flag("--autogenerate", o.autogenerate,
                  "Write the SQL that turns the migrations' schema into the desired one (the schema setting)");
   }},
  {"merge", "Write a merge revision whose parents are the given revisions", cmd_merge,
   [](CLI::App& sub, Options& o) {
     sub.add_option("-m,--message", o.message, "What the merge is for")->required();
     sub.add_option("revisions", o.revisions, "Two or more revisions, or 'heads'")->required();
     sub.add_option("--rev-id", o.rev_id, "Use this revision id instead of a random one");
     sub.add_option("--branch-label", o.branch_labels, "Give the merge revision a branch label");
   }},
  {"wait", "Block until the database is at head; never migrates (for app init containers)", cmd_wait,
   [](CLI::App& sub, Options& o) {
     sub.add_option("--timeout", o.timeout, "How long to wait; exit 7 after it [lock_timeout]");
   }},
  {"validate", "Check files, graph, applied checksums and the dirty flag; exit 6 on a problem", cmd_validate,
   [](CLI::App& sub, Options& o) {
     sub.add_flag("--single-head", o.single_head, "Also fail (exit 2) when the graph has several heads");
   }},
  {"check", "Exit 7 when the migrations do not build the desired schema (the schema setting)", cmd_check,
   no_options},
  {"lint", "Parse every upgrade statement; flag risky DDL; exit 7 on an error-severity finding", cmd_lint,
   [](CLI::App& sub, Options& o) { sub.add_option("--format", o.format, "text or json [text]"); }},
  {"repair", "Clear the dirty flag after a human fixed a failed non-transactional revision", cmd_repair,
   no_options, true},
  {"bundle", "Write the migrations as one compressed file that --migrations can name instead of the folder",
   cmd_bundle, [](CLI::App& sub, Options& o) { sub.add_option("output", o.output, "The bundle file to write")->required(); }},
  {"version", "Print version and build information", cmd_version, no_options},
};

report::Settings report_settings(const config::Config& config)
{
  report::Settings settings;
  settings.termination_log = config.termination_log;
  settings.annotate = config.kubernetes_annotate == config::Annotate::required      ? report::Mode::required
                      : config.kubernetes_annotate == config::Annotate::best_effort ? report::Mode::best_effort
                                                                                    : report::Mode::off;
  settings.annotation_prefix = config.kubernetes_annotation_prefix;
  settings.events = config.kubernetes_events;
  settings.budget = config.kubernetes_report_timeout;
  return settings;
}

std::string host_name()
{
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) {
    return "unknown";
  }
  return buffer;
}

} // namespace

int run(int argc, char** argv, const config::Environment& env)
{
  log::setup(false, "info", "");  // until the configuration says otherwise
  interrupt::install();
  CLI::App app{"lockstep: PostgreSQL schema migrations, Alembic-style, built for Kubernetes.\n"
               "Exit codes: 0 ok, 1 internal error, 2 usage/config/bad file, 3 database unreachable,\n"
               "4 lock timeout, 5 migration failed (rolled back), 6 validation failed, 7 not at head,\n"
               "128+N stopped by signal N.",
               "lockstep"};
  app.require_subcommand(1);
  app.fallthrough();
  // One flag per setting, from the config module's table, so flags, the
  // environment and the YAML file always offer the same keys.
  config::Inputs inputs;
  inputs.env = env;
  inputs.hostname = host_name();
  auto add_flag = [&](const std::string& key, const std::string& help) {
    app.add_option_function<std::string>(
      config::flag_name(key), [&inputs, key](const std::string& v) { inputs.flags[key] = v; },
      help + " (env " + config::env_name(key) + ")");
  };
  add_flag("config", "YAML config file [/etc/lockstep/config.yaml if present]");
  for (const auto& setting : config::settings()) {
    add_flag(setting.key, setting.help);
  }
  add_flag("database_password_file", "Read the database password from this file (a mounted Secret)");

  Options options;
  const Command* chosen = nullptr;
  for (const auto& command : kCommands) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    command.add_options(*sub, options);
    sub->callback([&chosen, &command] { chosen = &command; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }

  const auto started = std::chrono::steady_clock::now();
  report::RunSummary summary;
  summary.command = chosen->name;
  if (!options.target.empty() || std::string(chosen->name) == "upgrade") {
    summary.command += " " + (options.target.empty() ? std::string("heads") : options.target);
  }
  // Until the configuration is known, report with the defaults: the
  // termination message still says what went wrong.
  std::unique_ptr<report::Reporter> reporter;
  int code = 0;
  try {
    config::Config config = config::resolve(inputs);
    log::setup(config.log_format == config::LogFormat::json, config.log_level, config.run_by);
    reporter = std::make_unique<report::Reporter>(report_settings(config), env);
    if (chosen->changes_database && !options.sql) {
      reporter->started(summary.command);
    }
    code = fleet::configured(config) && fleet::applies_to(chosen->name)  // README.md, "Fleets"
             ? fleet::run(config, env,
                          {chosen->name, options.target, options.ignore_checksums, options.purge, options.single_head,
                           options.sql},
                          std::cout, summary)
             : chosen->handler(config, options, std::cout, summary);
  } catch (const Error& e) {
    log::event(log::Level::error, e.what());
    code = static_cast<int>(e.code());
    summary.error = e.what();
    summary.failed_revision = e.detail().revision;
    summary.sqlstate = e.detail().sqlstate;
  } catch (const std::exception& e) {
    log::event(log::Level::error, std::string("internal error: ") + e.what());
    code = static_cast<int>(ExitCode::internal);
    summary.error = std::string("internal error: ") + e.what();
  }
  std::cout.flush();
  summary.exit_code = code;
  summary.status = code == 0 ? "succeeded" : "failed";
  summary.duration_ms =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (!reporter) {
    reporter = std::make_unique<report::Reporter>(report::Settings{}, config::Environment{});
  }
  return reporter->finished(summary);
}

} // namespace lockstep::cli

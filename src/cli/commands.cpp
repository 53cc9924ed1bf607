#include "cli/commands.hpp"

#include "authoring/new_revision.hpp"
#include "cli/format.hpp"
#include "db/client_version.hpp"
#include "lint/lint.hpp"
#include "migrator/listing.hpp"
#include "migrator/migrator.hpp"
#include "migrator/offline.hpp"
#include "migrator/schema_check.hpp"
#include "migrator/validate.hpp"
#include "script/bundle.hpp"
#include "script/directory.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

namespace lockstep::cli {

namespace {

// For commands that read or change the database: connecting starts before
// the files load, so the two overlap.
migrator::Migrator open_migrator(const config::Config& config)
{
  migrator::PendingDriver pending = migrator::Migrator::connect_in_background(config);
  return migrator::Migrator(config, script::load_directory(config.migrations), std::move(pending));
}

migrator::Migrator open_files_only(const config::Config& config)
{
  return migrator::Migrator(config, script::load_directory(config.migrations));
}

// Deliberately never freed: every command ends the process right after its
// output (main's _Exit), and freeing 10,000 revisions and their graph costs
// a fifth of what `heads` does from a bundle.
const migrator::Catalog& load_catalog(const config::Config& config)
{
  return *new migrator::Catalog(script::load_directory(config.migrations));
}

std::string rows_text(const std::vector<std::string>& rows)
{
  return rows.empty() ? "base" : util::join(rows, ", ");
}

void describe(const migrator::Outcome& outcome, report::RunSummary& summary)
{
  summary.from = outcome.from;
  summary.to = outcome.to;
  summary.applied = outcome.ran;
  summary.nothing_to_do = outcome.nothing_to_do;
}

void report(const migrator::Outcome& outcome, const char* verb, std::ostream& out, report::RunSummary& summary)
{
  describe(outcome, summary);
  if (outcome.nothing_to_do) {
    out << "Nothing to do: the database is at " << rows_text(outcome.to) << ".\n";
    return;
  }
  out << verb << " " << outcome.ran.size() << " revision(s): " << rows_text(outcome.from) << " -> "
      << rows_text(outcome.to) << "\n";
}

} // namespace

int cmd_upgrade(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary)
{
  std::string target = options.target.empty() ? "heads" : options.target;
  if (options.sql) {
    migrator::offline_upgrade_sql(load_catalog(config), target, migrator::table_names_of(config), config.run_by, out);
    return 0;
  }
  if (target.find(':') != std::string::npos) {
    throw_usage("a 'from:to' range is only valid with --sql");
  }
  migrator::RunOptions run;
  run.ignore_checksums = options.ignore_checksums;
  migrator::Migrator m = open_migrator(config);
  try {
    report(m.upgrade(target, run), "Upgraded", out, summary);
  } catch (const Error&) {
    describe(m.progress(), summary);  // where the database stayed
    throw;
  }
  return 0;
}

int cmd_downgrade(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary)
{
  if (options.sql) {
    migrator::offline_downgrade_sql(load_catalog(config), options.target, migrator::table_names_of(config), config.run_by, out);
    return 0;
  }
  if (options.target.find(':') != std::string::npos) {
    throw_usage("a 'from:to' range is only valid with --sql");
  }
  migrator::RunOptions run;
  run.ignore_checksums = options.ignore_checksums;
  migrator::Migrator m = open_migrator(config);
  try {
    report(m.downgrade(options.target, run), "Downgraded", out, summary);
  } catch (const Error&) {
    describe(m.progress(), summary);
    throw;
  }
  return 0;
}

int cmd_current(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary)
{
  migrator::Migrator m = open_migrator(config);
  const migrator::Listing listing = migrator::current(m);
  summary.from = summary.to = listing.rows();
  for (int node : listing.nodes()) {
    out << (options.verbose ? verbose_block(listing.catalog(), node, listing.current_rows()) + "\n"
                            : short_line(listing.catalog(), node) + "\n");
  }
  if (listing.rows().empty()) {
    spdlog::info("the database is at base: nothing is applied");
  }
  return 0;
}

int cmd_history(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const bool online = !config.database_url.empty();
  // Without a database, never freed (see load_catalog); with one, closed on the way out.
  std::unique_ptr<migrator::Migrator> connected(online ? new migrator::Migrator(open_migrator(config)) : nullptr);
  migrator::Migrator& m = online ? *connected : *new migrator::Migrator(open_files_only(config));
  const migrator::Listing listing = migrator::history(m, options.range, online);
  for (int node : listing.nodes()) {
    out << (options.verbose ? verbose_block(listing.catalog(), node, listing.current_rows()) + "\n"
                            : history_line(listing.catalog(), node, listing.current_rows()) + "\n");
  }
  return 0;
}

int cmd_heads(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  // From a bundle, the heads its graph stores: only their entries are read.
  if (!options.verbose) {
    if (auto heads = script::read_bundle_heads(config.migrations)) {
      for (const auto& head : *heads) {
        out << head_line(head) << "\n";
      }
      return 0;
    }
  }
  const migrator::Catalog& catalog = load_catalog(config);
  for (int node : catalog.graph().heads()) {
    out << (options.verbose ? verbose_block(catalog, node, nullptr) + "\n" : short_line(catalog, node) + "\n");
  }
  return 0;
}

int cmd_branches(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const migrator::Catalog& catalog = load_catalog(config);
  for (const migrator::Branchpoint& point : migrator::branchpoints(catalog)) {
    out << (options.verbose ? verbose_block(catalog, point.node, nullptr) : short_line(catalog, point.node) + "\n");
    for (int child : point.children) {
      out << "    -> " << short_line(catalog, child);
      if (!catalog.revision(child).message.empty()) {
        out << ", " << catalog.revision(child).message;
      }
      out << "\n";
    }
  }
  return 0;
}

int cmd_show(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const migrator::Catalog& catalog = load_catalog(config);
  for (int node : migrator::shown(catalog, options.target)) {
    out << verbose_block(catalog, node, nullptr);
  }
  return 0;
}

int cmd_stamp(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary& summary)
{
  migrator::Outcome outcome = open_migrator(config).stamp(options.target, options.purge);
  summary.from = outcome.from;
  summary.to = outcome.to;
  summary.applied = outcome.ran;
  out << "Stamped: " << rows_text(outcome.from) << " -> " << rows_text(outcome.to) << "\n";
  return 0;
}

int cmd_status(const config::Config& config, const Options&, std::ostream& out, report::RunSummary& summary)
{
  migrator::Migrator m = open_migrator(config);
  const migrator::Status status = migrator::status(m);
  summary.from = summary.to = status.pending.rows();
  out << "Current: " << rows_text(status.pending.rows()) << "\n";
  out << "Heads:   " << rows_text(status.heads) << "\n";
  if (status.pending.nodes().empty()) {
    out << "Up to date.\n";
    return 0;
  }
  out << status.pending.nodes().size() << " pending revision(s):\n";
  for (int node : status.pending.nodes()) {
    out << "  " << history_line(status.pending.catalog(), node, nullptr) << "\n";
  }
  return static_cast<int>(ExitCode::not_at_head);
}

int cmd_revision(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  authoring::RevisionRequest request;
  request.message = options.message;
  request.rev_id = options.rev_id;
  request.head = options.head;
  request.branch_labels = options.branch_labels;
  request.depends_on = options.depends_on;
  request.autogenerate = options.autogenerate;
  authoring::Authored authored = authoring::new_revision(config, request);
  if (authored.path.empty()) {
    out << "No changes: the migrations already build the desired schema (" << config.schema
        << "); no file written.\n";
    return 0;
  }
  out << "Generated " << authored.path << "\n";
  return 0;
}

int cmd_merge(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  authoring::MergeRequest request;
  request.message = options.message;
  request.rev_id = options.rev_id;
  request.revisions = options.revisions;
  request.branch_labels = options.branch_labels;
  out << "Generated " << authoring::new_merge(config, request).path << "\n";
  return 0;
}

int cmd_validate(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const bool with_database = !config.database_url.empty();
  migrator::Migrator m = with_database ? open_migrator(config) : open_files_only(config);
  migrator::Validation v = migrator::validate(m, options.single_head, with_database);
  out << v.revisions << " revision(s), " << v.statements << " statement(s) parse; " << v.heads.size()
      << " head(s): " << rows_text(v.heads) << "\n";
  if (!v.heads_problem.empty()) {
    throw_usage(v.heads_problem);
  }
  if (!v.database_read) {
    out << "No database configured: checked the files only.\n";
    return 0;
  }
  if (!v.problems.empty()) {
    throw_validation("validation failed:\n  " + util::join(v.problems, "\n  "));
  }
  out << "Database at " << rows_text(v.rows) << ": checksums of applied revisions match, not dirty.\n";
  return 0;
}

int cmd_repair(const config::Config& config, const Options&, std::ostream& out, report::RunSummary&)
{
  std::optional<std::string> cleared = open_migrator(config).repair();
  out << (cleared ? "Repaired: " + *cleared : std::string("Nothing to repair: the database is not dirty.")) << "\n";
  return 0;
}

int cmd_wait(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  std::chrono::milliseconds timeout = config.lock_timeout;
  if (!options.timeout.empty()) {
    auto parsed = config::parse_duration(options.timeout);
    if (!parsed) {
      throw_usage("invalid --timeout '" + options.timeout + "': write a duration such as 30s or 5m");
    }
    timeout = *parsed;
  }
  if (open_migrator(config).wait_for_heads(timeout)) {
    out << "The database is at head.\n";
    return 0;
  }
  out << "Timed out after " << timeout.count() / 1000 << "s: the database is not at head.\n";
  return static_cast<int>(ExitCode::not_at_head);
}

int cmd_check(const config::Config& config, const Options&, std::ostream& out, report::RunSummary&)
{
  migrator::SchemaDifference diff = migrator::check_schema(config, script::load_directory(config.migrations));
  if (diff.empty()) {
    out << "The migrations build the desired schema (" << config.schema << ").\n";
    return 0;
  }
  out << "The migrations and the desired schema (" << config.schema << ") differ:\n";
  for (const auto& line : diff.only_in_schema) {
    out << "  + " << line << "    (in the schema, not built by the migrations)\n";
  }
  for (const auto& line : diff.only_in_migrations) {
    out << "  - " << line << "    (built by the migrations, not in the schema)\n";
  }
  return static_cast<int>(ExitCode::not_at_head);
}

int cmd_lint(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  if (options.format != "text" && options.format != "json") {
    throw_usage("--format must be text or json, not '" + options.format + "'");
  }
  std::vector<lint::Finding> findings = lint::lint(load_catalog(config));  // a syntax error is exit 2
  out << (options.format == "json" ? lint::format_json(findings) : lint::format_text(findings));
  size_t errors = 0;
  for (const auto& f : findings) {
    errors += f.rule->severity == lint::Severity::error ? 1 : 0;
  }
  if (options.format == "text") {
    out << findings.size() << " finding(s), " << errors << " error(s)\n";
  }
  return errors > 0 ? static_cast<int>(ExitCode::not_at_head) : 0;
}

int cmd_version(const config::Config&, const Options&, std::ostream& out, report::RunSummary&)
{
  out << "lockstep " << LOCKSTEP_VERSION << "\n";
  out << "built with " << __VERSION__ << ", " << db::client_versions() << "\n";
  return 0;
}

int cmd_bundle(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  script::BundleWritten w = script::write_bundle(config.migrations, options.output);
  out << "Wrote " << options.output << ": " << w.revisions << " revision(s), " << w.bytes << " bytes (" << w.uncompressed
      << " uncompressed)\n";
  return 0;
}

} // namespace lockstep::cli

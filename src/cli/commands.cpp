#include "cli/commands.hpp"

#include "cli/format.hpp"
#include "db/client_version.hpp"
#include "graph/planner.hpp"
#include "graph/targets.hpp"
#include "lint/lint.hpp"
#include "migrator/migrator.hpp"
#include "migrator/offline.hpp"
#include "migrator/autogenerate.hpp"
#include "migrator/plan_check.hpp"
#include "migrator/schema_check.hpp"
#include "util/log.hpp"
#include "migrator/step_script.hpp"
#include "script/bundle.hpp"
#include "script/directory.hpp"
#include "script/statements.hpp"
#include "script/writer.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
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

graph::NodeSet row_set(const migrator::Snapshot& snap)
{
  graph::NodeSet rows = snap.catalog.graph().empty_set();
  for (int n : snap.catalog.graph().tips(snap.applied)) {
    rows[n] = 1;
  }
  return rows;
}

std::string utc_now_iso()
{
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// The common tail of `revision` and `merge`: message, labels, date, empty
// sections, and the new file.
int write_revision(const config::Config& config, const Options& options, const graph::RevisionGraph& graph,
                   script::Revision& rev, std::ostream& out)
{
  rev.message = options.message;
  for (const auto& label : options.branch_labels) {
    if (std::string problem = script::branch_label_problem(label); !problem.empty()) {
      throw_usage("--branch-label '" + label + "' is not a valid label: " + problem);
    }
    if (auto taken = graph.find_label(label) ? graph.find_label(label) : graph.find(label)) {
      throw_usage("--branch-label '" + label + "' is already taken by revision " + graph.id(*taken));
    }
  }
  rev.branch_labels = options.branch_labels;
  rev.create_date = utc_now_iso();
  if (rev.upgrade_sql.empty()) {
    rev.upgrade_sql = "\n";
    rev.downgrade_sql = "\n";
  }
  out << "Generated " << script::write_new_revision(config.migrations, rev) << "\n";
  return 0;
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
  migrator::Snapshot snap = m.snapshot();
  summary.from = summary.to = snap.rows;
  graph::NodeSet rows = row_set(snap);
  // Like Alembic's `current`: the version rows and the revisions current
  // through a dependency (applied, and nothing applied revises them).
  for (int node : snap.catalog.graph().branch_heads(snap.applied)) {
    out << (options.verbose ? verbose_block(snap.catalog, node, &rows) + "\n" : short_line(snap.catalog, node) + "\n");
  }
  if (snap.rows.empty()) {
    spdlog::info("the database is at base: nothing is applied");
  }
  return 0;
}

int cmd_history(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  std::optional<migrator::Snapshot> snap;
  // Without a database, never freed (see load_catalog); with one, closed on the way out.
  std::unique_ptr<migrator::Migrator> online(config.database_url.empty() ? nullptr
                                                                         : new migrator::Migrator(open_migrator(config)));
  migrator::Migrator& m = online ? *online : *new migrator::Migrator(open_files_only(config));
  if (!config.database_url.empty()) {
    snap = m.snapshot();
  }
  const migrator::Catalog& catalog = snap ? snap->catalog : m.files();
  const graph::RevisionGraph& graph = catalog.graph();
  graph::NodeSet applied = snap ? snap->applied : graph.empty_set();
  graph::NodeSet rows = snap ? row_set(*snap) : graph.empty_set();
  graph::TargetResolver resolver(graph, applied);
  graph::NodeSet selected = options.range.empty() ? graph::NodeSet(graph.size(), 1) : resolver.range(options.range);

  const auto& order = graph.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!selected[*it]) {
      continue;
    }
    out << (options.verbose ? verbose_block(catalog, *it, snap ? &rows : nullptr) + "\n"
                            : history_line(catalog, *it, snap ? &rows : nullptr) + "\n");
  }
  return 0;
}

int cmd_heads(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const migrator::Catalog& catalog = load_catalog(config);
  for (int node : catalog.graph().heads()) {
    out << (options.verbose ? verbose_block(catalog, node, nullptr) + "\n" : short_line(catalog, node) + "\n");
  }
  return 0;
}

int cmd_branches(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const migrator::Catalog& catalog = load_catalog(config);
  const graph::RevisionGraph& graph = catalog.graph();
  for (int node : graph.topological_order()) {
    if (graph.children(node).size() < 2) {
      continue;
    }
    out << (options.verbose ? verbose_block(catalog, node, nullptr) : short_line(catalog, node) + "\n");
    for (int child : graph.children(node)) {
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
  graph::NodeSet none = catalog.graph().empty_set();
  graph::TargetResolver resolver(catalog.graph(), none);
  for (int node : resolver.nodes(options.target)) {
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
  migrator::Snapshot snap = m.snapshot();
  const graph::RevisionGraph& graph = snap.catalog.graph();
  std::vector<graph::Step> pending = migrator::plan_to(snap, graph::Direction::up, "heads");
  summary.from = summary.to = snap.rows;
  out << "Current: " << rows_text(snap.rows) << "\n";
  out << "Heads:   " << rows_text(migrator::ids_of(graph, graph.heads())) << "\n";
  if (pending.empty()) {
    out << "Up to date.\n";
    return 0;
  }
  out << pending.size() << " pending revision(s):\n";
  for (const auto& step : pending) {
    out << "  " << history_line(snap.catalog, step.node, nullptr) << "\n";
  }
  return static_cast<int>(ExitCode::not_at_head);
}

int cmd_revision(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const migrator::Catalog& catalog = load_catalog(config);
  const graph::RevisionGraph& graph = catalog.graph();
  script::Revision rev;
  rev.id = options.rev_id.empty() ? util::random_hex(6) : options.rev_id;
  if (!script::valid_revision_id(rev.id)) {
    throw_usage("--rev-id '" + rev.id + "' is not valid: use 1 to 32 of [A-Za-z0-9_]");
  }
  if (graph.find(rev.id)) {
    throw_usage("revision " + rev.id + " already exists (" + catalog.location(*graph.find(rev.id)) + ")");
  }
  graph::NodeSet none = graph.empty_set();
  graph::TargetResolver resolver(graph, none);
  std::string head = options.head.empty() ? "head" : options.head;
  if (head != "base") {
    if (options.head.empty() && graph.heads().size() > 1) {
      throw_usage("there are " + std::to_string(graph.heads().size()) + " heads (" +
                  util::join(migrator::ids_of(graph, graph.heads()), ", ") +
                  "): pass --head <revision> to choose one, or merge them first with "
                  "'lockstep merge -m \"merge heads\" heads'");
    }
    for (int node : resolver.nodes(head)) {
      rev.parents.push_back(graph.id(node));
    }
  }
  for (const auto& dep : options.depends_on) {
    rev.depends_on.push_back(graph.id(resolver.revision(dep)));
  }
  if (options.autogenerate) {
    migrator::Autogenerated generated = migrator::autogenerate(config, script::load_directory(config.migrations));
    if (generated.empty()) {
      out << "No changes: the migrations already build the desired schema (" << config.schema
          << "); no file written.\n";
      return 0;
    }
    rev.upgrade_sql = generated.upgrade_sql;
    rev.downgrade_sql = generated.downgrade_sql;
  }
  return write_revision(config, options, graph, rev, out);
}

int cmd_merge(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  const migrator::Catalog& catalog = load_catalog(config);
  const graph::RevisionGraph& graph = catalog.graph();
  graph::NodeSet none = graph.empty_set();
  graph::TargetResolver resolver(graph, none);
  script::Revision rev;
  for (const auto& name : options.revisions) {
    for (int node : resolver.nodes(name)) {
      if (std::find(rev.parents.begin(), rev.parents.end(), graph.id(node)) == rev.parents.end()) {
        rev.parents.push_back(graph.id(node));
      }
    }
  }
  if (rev.parents.size() < 2) {
    throw_usage("a merge needs at least two distinct revisions; got " +
                (rev.parents.empty() ? std::string("none") : util::join(rev.parents, ", ")));
  }
  rev.id = options.rev_id.empty() ? util::random_hex(6) : options.rev_id;
  if (!script::valid_revision_id(rev.id) || graph.find(rev.id)) {
    throw_usage("--rev-id '" + rev.id + "' is not a new, valid revision id");
  }
  return write_revision(config, options, graph, rev, out);
}

int cmd_validate(const config::Config& config, const Options& options, std::ostream& out, report::RunSummary&)
{
  // Files parse and the graph is sound, or exit 2.
  migrator::Migrator m = config.database_url.empty() ? open_files_only(config) : open_migrator(config);
  const graph::RevisionGraph& graph = m.files().graph();
  // Every revision's steps by the rules upgrade and --sql apply (migrator/plan_check).
  const size_t statements = migrator::check_all_steps(m.files(), m.table_names());
  std::vector<int> heads = graph.heads();
  out << graph.size() << " revision(s), " << statements << " statement(s) parse; " << heads.size() << " head(s): "
      << rows_text(migrator::ids_of(graph, heads)) << "\n";
  if (options.single_head && heads.size() > 1) {
    throw_usage("the graph has " + std::to_string(heads.size()) + " heads (" +
                util::join(migrator::ids_of(graph, heads), ", ") + "); merge them with: lockstep merge -m \"merge heads\" " +
                util::join(migrator::ids_of(graph, heads), " "));
  }
  if (config.database_url.empty()) {
    out << "No database configured: checked the files only.\n";
    return 0;
  }
  migrator::Snapshot snap = m.snapshot();  // an unknown revision in the database is exit 6
  std::vector<std::string> problems = snap.edited;
  if (snap.dirty) {
    problems.push_back("dirty: revision " + snap.dirty->revision + " failed going " + snap.dirty->direction + " at " +
                       snap.dirty->location + ": " + snap.dirty->error + " (run 'lockstep repair' once fixed)");
  }
  if (!problems.empty()) {
    throw_validation("validation failed:\n  " + util::join(problems, "\n  "));
  }
  out << "Database at " << rows_text(snap.rows) << ": checksums of applied revisions match, not dirty.\n";
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

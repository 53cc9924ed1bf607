// Authoring: the new revision files `lockstep revision` and `lockstep merge`
// write, as `alembic revision [--autogenerate]` and `alembic merge` do.
//
// A request is resolved against the revision graph before anything else
// happens: the id (given, or 12 random hex digits) is valid and new, the
// parents are the graph's one head, --head's revisions or the merged ones,
// dependencies and branch labels resolve and are free. Any problem is
// Error(usage) naming the option, and no file is written. Only then does
// autogenerate (if asked) reach the dev server, and the file is written
// without overwriting anything (script::write_new_revision).
#pragma once

#include "config/config.hpp"
#include "migrator/catalog.hpp"
#include "script/revision_file.hpp"

#include <string>
#include <vector>

namespace lockstep::authoring {

struct RevisionRequest {
  std::string message;
  std::string rev_id;                       // empty: random
  std::string head;                         // empty: the one head; "base": no parent; else a target
  std::vector<std::string> branch_labels;
  std::vector<std::string> depends_on;      // targets, each one revision
  bool autogenerate = false;                // sections from the desired schema (authoring/autogenerate)
};

struct MergeRequest {
  std::string message;
  std::string rev_id;                       // empty: random
  std::vector<std::string> revisions;       // targets; two or more distinct revisions between them
  std::vector<std::string> branch_labels;
};

// The new revision's header as the request resolves against `catalog`
// (sections empty, no create date); Error(usage) when it does not.
script::Revision plan_revision(const migrator::Catalog& catalog, const RevisionRequest& request);
script::Revision plan_merge(const migrator::Catalog& catalog, const MergeRequest& request);

struct Authored {
  std::string path;            // the file written; empty when autogenerate found nothing to write
  script::Revision revision;   // as written (create date and sections filled in)
};

// Loads config.migrations, plans, fills the sections (autogenerate's, or
// empty ones to edit) and writes the file into config.migrations.
Authored new_revision(const config::Config& config, const RevisionRequest& request);
Authored new_merge(const config::Config& config, const MergeRequest& request);

} // namespace lockstep::authoring

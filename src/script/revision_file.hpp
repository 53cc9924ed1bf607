// One migration file: its header and its two SQL sections.
//
// Format (README.md, "Migration files"):
//
//   -- Revision ID: 3f2a9c1e7b4d
//   -- Revises: 1c0d3e5f7a9b
//   -- Message: add edited_at to messages
//
//   -- +upgrade
//   ALTER TABLE messages ADD COLUMN edited_at timestamptz;
//
//   -- +downgrade
//   ALTER TABLE messages DROP COLUMN edited_at;
//
// parse_revision() is pure: it takes the text and the path to name in errors,
// so tests can parse from strings. Every error is Error(ExitCode::usage) with
// a message of the form "<path>:<line>: <what is wrong>".
#pragma once

#include "script/lazy_text.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::script {

struct Revision {
  std::string id;
  std::vector<std::string> parents;       // "Revises": empty for a root, several for a merge
  std::vector<std::string> depends_on;    // must be applied first, but not parents
  std::vector<std::string> branch_labels;
  std::vector<std::string> lint_ignore;
  std::string message;
  std::string create_date;
  bool transactional = true;
  // The size of both sections' statement facts (script/statement_facts),
  // when a bundle stores them right after the downgrade section; else 0.
  // (Here, in the padding after `transactional`, a revision grows by nothing.)
  uint32_t facts_size = 0;

  LazyText upgrade_sql;       // the section's text, verbatim (a bundle's is inflated on first read)
  LazyText downgrade_sql;
  int upgrade_line = 0;       // 1-based line in the file where each section's text starts
  int downgrade_line = 0;
  std::string path;           // where it was read from; empty for revisions known only to the database
  LazyText checksum;          // upgrade_checksum(upgrade_sql) when the loader has it (a bundle does); else empty

  // An empty downgrade (nothing but blanks and comments) makes a revision
  // irreversible, unless its upgrade is empty too (a merge, say).
  bool reversible() const;
};

// SHA-256 of the upgrade section: trailing white space of every line and
// leading/trailing blank lines are dropped first, so an editor's whitespace
// fixes do not count as an edit.
std::string upgrade_checksum(std::string_view upgrade_sql);

// rev.checksum, or upgrade_checksum(rev.upgrade_sql) when it is empty.
std::string checksum_of(const Revision& rev);

Revision parse_revision(std::string_view text, std::string path);

// Where a file's bytes lie in a TextSource (script/lazy_text) that keeps
// them: `offset` is the first byte's offset in chunk `chunk`.
struct TextPlace {
  const TextSource* source = nullptr;
  uint32_t chunk = 0;
  uint32_t offset = 0;
};

// parse_revision() for a loader that keeps each file's bytes (a folder's,
// script/directory): `text` is the file at `place`, and the sections become
// LazyTexts of that source instead of copies. `rev` is default-constructed;
// the same errors, with the same messages, as parse_revision().
void parse_revision_into(Revision& rev, std::string_view text, std::string path, const TextPlace& place);

// Why `label` cannot be a branch label (empty when it can): 1 to 64 of
// [A-Za-z0-9_.-], starting with a letter, digit or '_', not a target
// keyword (head, heads, base, current) and not ending in -<number>, so that
// every label reads back unambiguously in targets like `<label>@head`.
std::string branch_label_problem(std::string_view label);

// True when `id` is a valid revision id: [A-Za-z0-9_]{1,32}.
bool valid_revision_id(std::string_view id);

// True when the SQL holds anything but white space and comments (`--` and
// `/* */`).
bool has_sql(std::string_view sql);

} // namespace lockstep::script

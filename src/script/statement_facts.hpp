// What the plan check needs to know about a section of SQL, derived with
// PostgreSQL's parser (libpg_query): where each statement starts and ends,
// the line it starts on, and whether a transaction block refuses it or it
// ends one (script/statement_rules); or, for a section that does not parse,
// the parser's message and line.
//
// SectionFacts promises: the same facts whichever way they were obtained.
// A folder's revisions derive them when a plan is checked (facts_of parses);
// a bundle stores them, derived by the same analyze_section when it was
// written (script/bundle), so planning from a bundle never parses SQL. Lines
// are relative to the section's first line (0 = that line), so they hold
// wherever the section sits in its file. Stored facts carry the rules'
// version (kStatementRulesVersion); a bundle written under other rules has
// its facts derived again, as a folder's are.
#pragma once

#include "script/revision_file.hpp"
#include "script/statement_rules.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::script {

struct StatementFact {
  uint32_t begin = 0;   // offset in the section: the statement's first character
  uint32_t length = 0;  // without its trailing semicolon
  uint32_t line = 0;    // lines after the section's first
  TransactionUse use = TransactionUse::fine;
};

struct SectionFacts {
  bool parses = true;
  std::string syntax_error;  // when it does not: the parser's message
  uint32_t error_line = 0;   // and the line it points at, after the section's first
  std::vector<StatementFact> statements;
};

// Parses `sql` (one section) and classifies each statement.
SectionFacts analyze_section(std::string_view sql);

// The facts of a revision's upgrade (or downgrade) section: decoded from
// what its bundle stores, else analyze_section. A stored record that does
// not decode or does not fit the section (a crafted bundle whose CRC still
// matches) is Error(usage) naming the revision's path.
SectionFacts facts_of(const Revision& rev, bool upgrade);

// Error(usage) "<location>:<line>: syntax error: <parser message>" when the
// section did not parse (`first_line`: the file line the section starts on),
// as split_statements says it.
void require_parses(const SectionFacts& facts, const std::string& location, int first_line);

// Both sections' facts as bytes, for a bundle: upgrade, then downgrade.
std::string encode_facts(const SectionFacts& upgrade, const SectionFacts& downgrade);

} // namespace lockstep::script

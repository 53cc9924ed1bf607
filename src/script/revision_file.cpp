#include "script/revision_file.hpp"

#include "script/statements.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <iterator>

namespace lockstep::script {

namespace {

enum class Section { header, upgrade, downgrade };

struct Line {
  std::string_view text;  // without the line break and a trailing '\r'
  size_t begin = 0;       // offset of the line in the file
  size_t end = 0;         // offset just past its line break
};

// Lines of a text one at a time, without collecting them: parsing runs on
// every file of every start.
class LineReader {
public:
  explicit LineReader(std::string_view text) : m_text(text) {}

  bool next(Line& line)
  {
    if (m_start >= m_text.size()) {
      return false;
    }
    size_t newline = m_text.find('\n', m_start);
    size_t stop = newline == std::string_view::npos ? m_text.size() : newline;
    std::string_view body = m_text.substr(m_start, stop - m_start);
    if (!body.empty() && body.back() == '\r') {
      body.remove_suffix(1);
    }
    line = {body, m_start, newline == std::string_view::npos ? m_text.size() : newline + 1};
    m_start = line.end;
    return true;
  }

private:
  std::string_view m_text;
  size_t m_start = 0;
};

bool equals_ignoring_case(std::string_view text, std::string_view lower)
{
  if (text.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (util::ascii_lower(text[i]) != lower[i]) {
      return false;
    }
  }
  return true;
}

// "-- +upgrade" / "-- +downgrade" (any case, any spacing after "--"). Runs
// on every line of every file, so it allocates nothing and gives up at the
// first character that cannot start a marker (most SQL lines).
bool parse_marker(std::string_view line, Section& section)
{
  size_t i = 0;
  while (i < line.size() && util::is_space(line[i])) {
    ++i;
  }
  if (line.size() - i < 10 || line[i] != '-' || line[i + 1] != '-') {
    return false;
  }
  std::string_view word = util::trim(line.substr(i + 2));
  if (word.empty() || word[0] != '+') {
    return false;
  }
  if (equals_ignoring_case(word, "+upgrade")) {
    section = Section::upgrade;
    return true;
  }
  if (equals_ignoring_case(word, "+downgrade")) {
    section = Section::downgrade;
    return true;
  }
  return false;
}

// The header keys, lower case with single spaces.
enum HeaderKey : unsigned {
  revision_id,
  revises,
  message,
  create_date,
  branch_labels,
  depends_on,
  transactional,
  lint_ignore,
  unknown_key,  // a key of the right shape that is none of the above
};
constexpr std::string_view kHeaderKeys[] = {"revision id",   "revises",     "message",       "create date",
                                            "branch labels", "depends on",  "transactional", "lint ignore"};

// A header line "-- Key: value", read without copying: the raw key (as
// written, for messages), which key it is, and the value (trimmed).
struct HeaderLine {
  std::string_view raw_key;
  HeaderKey key = unknown_key;
  std::string_view value;
};

// False for a comment without "Word words:" at its start (free text). The
// key is matched case-insensitively with runs of white space read as one
// space, letter by letter against the known keys, so nothing is built.
bool parse_header_line(std::string_view t, HeaderLine& out)
{
  // `t` is the trimmed line and starts with "--".
  t = util::trim(t.substr(2));
  const size_t colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  const std::string_view raw_key = util::trim(t.substr(0, colon));
  char normal[16];  // longer than any known key: unknown, but still checked for shape
  size_t length = 0;
  bool after_space = false;
  for (char c : raw_key) {
    char n;
    if (util::is_space(c)) {
      if (after_space) {
        continue;
      }
      after_space = true;
      n = ' ';
    } else if (util::is_alpha(c) || c == '_' || c == '-') {
      after_space = false;
      n = util::ascii_lower(c);
    } else {
      return false;
    }
    if (length < sizeof normal) {
      normal[length] = n;
    }
    ++length;
  }
  out.raw_key = raw_key;
  out.key = unknown_key;
  if (length <= sizeof normal) {
    const std::string_view key(normal, length);
    for (unsigned i = 0; i < std::size(kHeaderKeys); ++i) {
      if (kHeaderKeys[i] == key) {
        out.key = static_cast<HeaderKey>(i);
        break;
      }
    }
  }
  out.value = util::trim(t.substr(colon + 1));
  return true;
}

[[noreturn]] void fail(const std::string& path, size_t line, const std::string& what)
{
  throw_usage(path + ":" + std::to_string(line) + ": " + what);
}

void check_ids(const std::vector<std::string>& ids, const char* key, const std::string& path, size_t line)
{
  for (const auto& id : ids) {
    if (!valid_revision_id(id)) {
      fail(path, line, std::string(key) + ": '" + id + "' is not a revision id ([A-Za-z0-9_], at most 32 characters)");
    }
  }
}

} // namespace

std::string branch_label_problem(std::string_view label)
{
  if (label.empty() || label.size() > 64) {
    return "use 1 to 64 characters";
  }
  for (char c : label) {
    if (!(util::is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
      return std::string("'") + c + "' is not allowed (use [A-Za-z0-9_.-]; '@', ':', '+' and ',' have meanings in targets and headers)";
    }
  }
  if (label[0] == '-' || label[0] == '.') {
    return "it must start with a letter, a digit or '_'";
  }
  for (std::string_view word : {"head", "heads", "base", "current"}) {
    if (label == word) {
      return "'" + std::string(word) + "' is a target keyword";
    }
  }
  const size_t dash = label.rfind('-');
  if (dash != std::string_view::npos && dash + 1 < label.size() &&
      label.find_first_not_of("0123456789", dash + 1) == std::string_view::npos) {
    return "it ends in '-<number>', which a target reads as steps back";
  }
  return {};
}

bool valid_revision_id(std::string_view id)
{
  return util::is_short_identifier(id);
}

bool has_sql(std::string_view sql)
{
  return skip_space_and_comments(sql, 0, sql.size()) < sql.size();
}

bool Revision::reversible() const
{
  // A revision that does nothing going up (a merge, typically) undoes
  // nothing going down.
  return has_sql(downgrade_sql) || !has_sql(upgrade_sql);
}

std::string upgrade_checksum(std::string_view upgrade_sql)
{
  std::vector<std::string_view> kept;
  LineReader reader(upgrade_sql);
  for (Line line; reader.next(line);) {
    std::string_view t = line.text;
    while (!t.empty() && util::is_space(t.back())) {
      t.remove_suffix(1);
    }
    kept.push_back(t);
  }
  size_t first = 0;
  while (first < kept.size() && kept[first].empty()) {
    ++first;
  }
  size_t last = kept.size();
  while (last > first && kept[last - 1].empty()) {
    --last;
  }
  std::string normalized;
  for (size_t i = first; i < last; ++i) {
    normalized.append(kept[i]);
    normalized += '\n';
  }
  return util::sha256_hex(normalized);
}

std::string checksum_of(const Revision& rev)
{
  return rev.checksum.empty() ? upgrade_checksum(rev.upgrade_sql) : rev.checksum.str();
}

namespace {

// Parses `text` into `rev` (fresh, its path set). With `place`, the sections
// are LazyTexts of the source `text` lies in; without, copies.
void parse_into(Revision& rev, std::string_view text, const TextPlace* place)
{
  const char* const start = text.data();
  // A byte-order mark, as some Windows editors write.
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    text.remove_prefix(3);
  }
  const std::string& path = rev.path;
  LineReader reader(text);

  bool seen_id = false;
  bool seen_revises = false;
  size_t revises_line = 0;
  HeaderLine header;
  unsigned seen_keys = 0;  // bit i: kHeaderKeys[i] was seen
  Section section = Section::header;
  size_t section_begin = 0;
  size_t upgrade_marker_line = 0;
  size_t downgrade_marker_line = 0;

  auto close_section = [&](size_t end_offset) {
    if (section == Section::header || end_offset == section_begin) {
      return;
    }
    LazyText& into = section == Section::upgrade ? rev.upgrade_sql : rev.downgrade_sql;
    const std::string_view body = text.substr(section_begin, end_offset - section_begin);
    into = place != nullptr ? LazyText(place->source, place->chunk,
                                       place->offset + static_cast<uint32_t>(body.data() - start),
                                       static_cast<uint32_t>(body.size()))
                            : LazyText(body);
  };

  size_t number = 0;
  for (Line line; reader.next(line);) {
    ++number;
    Section marker;
    if (parse_marker(line.text, marker)) {
      close_section(line.begin);
      size_t& marker_line = marker == Section::upgrade ? upgrade_marker_line : downgrade_marker_line;
      if (marker_line != 0) {
        fail(path, number, "second '-- +" + std::string(marker == Section::upgrade ? "upgrade" : "downgrade") +
                             "' marker (the first is on line " + std::to_string(marker_line) + ")");
      }
      marker_line = number;
      section = marker;
      section_begin = line.end;
      (marker == Section::upgrade ? rev.upgrade_line : rev.downgrade_line) = static_cast<int>(number + 1);
      continue;
    }
    if (section != Section::header) {
      continue;
    }
    const std::string_view t = util::trim(line.text);
    if (t.empty()) {
      continue;
    }
    if (t.size() < 2 || t[0] != '-' || t[1] != '-') {
      fail(path, number, "SQL before the '-- +upgrade' marker");
    }
    if (!parse_header_line(t, header)) {
      continue;  // a free-text comment in the header
    }
    const unsigned bit = 1u << header.key;
    if ((seen_keys & bit) != 0) {
      fail(path, number, "header key '" + std::string(kHeaderKeys[header.key]) + "' appears twice");
    }
    seen_keys |= bit;
    const std::string_view value = header.value;
    switch (header.key) {
    case revision_id:
      if (!valid_revision_id(value)) {
        fail(path, number, "Revision ID '" + std::string(value) + "' is not valid: use 1 to 32 of [A-Za-z0-9_]");
      }
      rev.id.assign(value);
      seen_id = true;
      break;
    case revises:
      util::split_list_into(value, rev.parents);
      check_ids(rev.parents, "Revises", path, number);
      seen_revises = true;
      revises_line = number;
      break;
    case message:
      rev.message.assign(value);
      break;
    case create_date:
      rev.create_date.assign(value);
      break;
    case branch_labels:
      util::split_list_into(value, rev.branch_labels);
      for (const auto& label : rev.branch_labels) {
        if (std::string problem = branch_label_problem(label); !problem.empty()) {
          fail(path, number, "Branch Labels: '" + label + "' is not a valid label: " + problem);
        }
      }
      break;
    case depends_on:
      util::split_list_into(value, rev.depends_on);
      check_ids(rev.depends_on, "Depends On", path, number);
      break;
    case transactional:
      if (equals_ignoring_case(value, "true")) {
        rev.transactional = true;
      } else if (equals_ignoring_case(value, "false")) {
        rev.transactional = false;
      } else {
        fail(path, number, "Transactional must be 'true' or 'false', not '" + std::string(value) + "'");
      }
      break;
    case lint_ignore:
      util::split_list_into(value, rev.lint_ignore);
      break;
    case unknown_key:
      fail(path, number,
           "unknown header key '" + std::string(header.raw_key) +
             "' (known: Revision ID, Revises, Message, Create Date, Branch Labels, Depends On, Transactional, Lint Ignore)");
    }
  }
  close_section(text.size());

  if (!seen_id) {
    fail(path, 1, "missing required header '-- Revision ID: <id>'");
  }
  if (!seen_revises) {
    fail(path, 1, "missing required header '-- Revises: <parent ids>' (leave it empty for a first revision)");
  }
  if (upgrade_marker_line == 0) {
    fail(path, number + 1, "missing '-- +upgrade' section");
  }
  for (const auto& parent : rev.parents) {
    if (parent == rev.id) {
      fail(path, revises_line, "revision " + rev.id + " revises itself");
    }
  }
}

} // namespace

Revision parse_revision(std::string_view text, std::string path)
{
  Revision rev;
  rev.path = std::move(path);
  parse_into(rev, text, nullptr);
  return rev;
}

void parse_revision_into(Revision& rev, std::string_view text, std::string path, const TextPlace& place)
{
  rev.path = std::move(path);
  parse_into(rev, text, &place);
}

} // namespace lockstep::script

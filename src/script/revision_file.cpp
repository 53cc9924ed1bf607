#include "script/revision_file.hpp"

#include "script/statements.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <cstring>
#include <iterator>

namespace lockstep::script {

namespace {

enum class Section { header, upgrade, downgrade };

// Character classes by table (util/strings' classes, one load each): the
// parser looks at every byte of every header line of every file.
enum : unsigned char { kSpace = 1, kKeyChar = 2 };

struct Classes {
  unsigned char of[256] = {};
  constexpr Classes()
  {
    for (int c = 0; c < 256; ++c) {
      const char ch = static_cast<char>(c);
      of[c] = static_cast<unsigned char>((util::is_space(ch) ? kSpace : 0) |
                                         (util::is_alpha(ch) || ch == '_' || ch == '-' ? kKeyChar : 0));
    }
  }
};
constexpr Classes kClasses;

bool is(char c, unsigned char cls)
{
  return (kClasses.of[static_cast<unsigned char>(c)] & cls) != 0;
}

// How many '\n' `text` holds (memchr skips the bytes between them).
size_t count_lines(std::string_view text)
{
  size_t lines = 0;
  for (const char* at = text.data(), *end = at + text.size();
       (at = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)))) != nullptr; ++at) {
    ++lines;
  }
  return lines;
}

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
  while (i < line.size() && is(line[i], kSpace)) {
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

// What a line before the first marker is.
enum class HeaderKind { blank, marker, header, comment, sql };

// One pass over a line before the first marker, which is what
// parse_marker() and then the header rules make of it: blank; a marker
// (into `section`); "-- Key: value" (into `out`), its key matched
// case-insensitively with runs of white space read as one space, letter by
// letter, so nothing is built; a comment without "Word words:" at its start
// (free text); or anything else (SQL).
HeaderKind read_header_line(std::string_view line, Section& section, HeaderLine& out)
{
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end && is(*p, kSpace)) {
    ++p;
  }
  while (end > p && is(end[-1], kSpace)) {
    --end;
  }
  if (p == end) {
    return HeaderKind::blank;
  }
  if (end - p < 2 || p[0] != '-' || p[1] != '-') {
    return HeaderKind::sql;
  }
  const char* key = p + 2;
  while (key < end && is(*key, kSpace)) {
    ++key;
  }
  if (key < end && *key == '+') {  // a '+' starts no key: a marker, or free text
    const std::string_view word(key, static_cast<size_t>(end - key));
    if (equals_ignoring_case(word, "+upgrade")) {
      section = Section::upgrade;
      return HeaderKind::marker;
    }
    if (equals_ignoring_case(word, "+downgrade")) {
      section = Section::downgrade;
      return HeaderKind::marker;
    }
    return HeaderKind::comment;
  }
  char normal[16];  // longer than any known key: unknown, but still checked for shape
  size_t length = 0;
  bool space = false;  // white space after a key character, written if another follows
  const char* at = key;
  const char* key_end = key;
  for (; at < end && *at != ':'; ++at) {
    const unsigned char cls = kClasses.of[static_cast<unsigned char>(*at)];
    if ((cls & kKeyChar) == 0) {
      if ((cls & kSpace) == 0) {
        return HeaderKind::comment;
      }
      space = length > 0;
      continue;
    }
    if (space) {
      normal[length < sizeof normal ? length : 0] = ' ';
      ++length;
      space = false;
    }
    normal[length < sizeof normal ? length : 0] = util::ascii_lower(*at);
    ++length;
    key_end = at + 1;
  }
  if (at == end || at == key) {
    return HeaderKind::comment;  // no ':', or nothing before it
  }
  out.raw_key = std::string_view(key, static_cast<size_t>(key_end - key));
  out.key = unknown_key;
  if (length <= sizeof normal) {
    const std::string_view normalized(normal, length);
    for (unsigned i = 0; i < std::size(kHeaderKeys); ++i) {
      if (kHeaderKeys[i] == normalized) {
        out.key = static_cast<HeaderKey>(i);
        break;
      }
    }
  }
  const char* value = at + 1;
  while (value < end && is(*value, kSpace)) {
    ++value;
  }
  out.value = std::string_view(value, static_cast<size_t>(end - value));
  return HeaderKind::header;
}

// util::split_list_into, but a value without a comma (most parent lists:
// one parent) is its one part as it is (the value is trimmed already).
void split_value(std::string_view value, std::vector<std::string>& into)
{
  if (value.find(',') != std::string_view::npos) {
    util::split_list_into(value, into);
  } else if (!value.empty()) {
    into.emplace_back(value);
  }
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

  // A marker line: the section before it ends, the next starts after it.
  auto open_section = [&](Section marker, size_t line_begin, size_t line_end, size_t number) {
    close_section(line_begin);
    size_t& marker_line = marker == Section::upgrade ? upgrade_marker_line : downgrade_marker_line;
    if (marker_line != 0) {
      fail(path, number, "second '-- +" + std::string(marker == Section::upgrade ? "upgrade" : "downgrade") +
                           "' marker (the first is on line " + std::to_string(marker_line) + ")");
    }
    marker_line = number;
    section = marker;
    section_begin = line_end;
    (marker == Section::upgrade ? rev.upgrade_line : rev.downgrade_line) = static_cast<int>(number + 1);
  };

  // The header, line by line, up to the first marker.
  size_t number = 0;
  for (Line line; section == Section::header && reader.next(line);) {
    ++number;
    Section marker;
    switch (read_header_line(line.text, marker, header)) {
    case HeaderKind::marker:
      open_section(marker, line.begin, line.end, number);
      continue;
    case HeaderKind::blank:
    case HeaderKind::comment:  // free text in the header
      continue;
    case HeaderKind::sql:
      fail(path, number, "SQL before the '-- +upgrade' marker");
    case HeaderKind::header:
      break;
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
      split_value(value, rev.parents);
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
      split_value(value, rev.branch_labels);
      for (const auto& label : rev.branch_labels) {
        if (std::string problem = branch_label_problem(label); !problem.empty()) {
          fail(path, number, "Branch Labels: '" + label + "' is not a valid label: " + problem);
        }
      }
      break;
    case depends_on:
      split_value(value, rev.depends_on);
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
      split_value(value, rev.lint_ignore);
      break;
    case unknown_key:
      fail(path, number,
           "unknown header key '" + std::string(header.raw_key) +
             "' (known: Revision ID, Revises, Message, Create Date, Branch Labels, Depends On, Transactional, Lint Ignore)");
    }
  }
  // The sections: only a marker line counts there, and a marker line's
  // one '+' is its marker's, so only lines with a '+' are looked at (found
  // by memchr, not line by line), and lines are counted only up to a marker.
  size_t counted_to = section_begin;  // lines before this offset are counted in `number`
  for (size_t at = section_begin; section != Section::header && at < text.size();) {
    const void* plus = std::memchr(text.data() + at, '+', text.size() - at);
    if (plus == nullptr) {
      break;
    }
    const size_t sign = static_cast<size_t>(static_cast<const char*>(plus) - text.data());
    const void* before = memrchr(text.data() + at, '\n', sign - at);
    const size_t line_begin = before == nullptr ? at : static_cast<size_t>(static_cast<const char*>(before) - text.data()) + 1;
    const void* newline = std::memchr(text.data() + sign, '\n', text.size() - sign);
    const size_t stop = newline == nullptr ? text.size() : static_cast<size_t>(static_cast<const char*>(newline) - text.data());
    const size_t line_end = newline == nullptr ? text.size() : stop + 1;
    std::string_view body = text.substr(line_begin, stop - line_begin);
    if (!body.empty() && body.back() == '\r') {
      body.remove_suffix(1);
    }
    Section marker;
    if (parse_marker(body, marker)) {
      number += count_lines(text.substr(counted_to, line_begin - counted_to)) + 1;
      counted_to = line_end;
      open_section(marker, line_begin, line_end, number);
    }
    at = line_end;
  }
  close_section(text.size());

  if (!seen_id) {
    fail(path, 1, "missing required header '-- Revision ID: <id>'");
  }
  if (!seen_revises) {
    fail(path, 1, "missing required header '-- Revises: <parent ids>' (leave it empty for a first revision)");
  }
  if (upgrade_marker_line == 0) {
    // Every line counted: the '\n's, and a last line without one.
    const size_t lines = count_lines(text) + (!text.empty() && text.back() != '\n' ? 1 : 0);
    fail(path, lines + 1, "missing '-- +upgrade' section");
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

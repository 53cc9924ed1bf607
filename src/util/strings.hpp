// Small string helpers shared by the parser, the CLI and the SQL generators.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lockstep::util {

// ASCII character classes without the C locale's function calls: the
// parser runs them on every line of every migration file at every start.
constexpr bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr char ascii_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// 1 to 32 of [A-Za-z0-9_]: a revision id, and the names lockstep gives its
// own tables and schema.
constexpr bool is_short_identifier(std::string_view id)
{
  if (id.empty() || id.size() > 32) {
    return false;
  }
  for (char c : id) {
    if (!(is_alpha(c) || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// `text` without leading and trailing white space.
constexpr std::string_view trim(std::string_view text)
{
  size_t begin = 0;
  while (begin < text.size() && is_space(text[begin])) {
    ++begin;
  }
  size_t end = text.size();
  while (end > begin && is_space(text[end - 1])) {
    --end;
  }
  return text.substr(begin, end - begin);
}
std::string to_lower(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);

// Splits on `separator`, trims each part and drops empty parts:
// "a, b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view text, char separator = ',');
// The same, appended to `parts` (reserved once: the parser fills a
// revision's lists in place on every start).
void split_list_into(std::string_view text, std::vector<std::string>& parts, char separator = ',');

std::string join(const std::vector<std::string>& parts, std::string_view separator);

// The byte offset in UTF-8 `text` of the character `chars` characters from
// its start (text.size() when it has fewer). PostgreSQL reports error
// positions in characters, not bytes.
size_t utf8_byte_offset(std::string_view text, size_t chars);

// "Add edited_at to Messages!" -> "add_edited_at_to_messages", at most 40 chars.
std::string slugify(std::string_view message);

} // namespace lockstep::util

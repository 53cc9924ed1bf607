#include "util/strings.hpp"

#include <cctype>

namespace lockstep::util {

std::string to_lower(std::string_view text)
{
  std::string out(text);
  for (char& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

bool starts_with(std::string_view text, std::string_view prefix)
{
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix)
{
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::vector<std::string> split_list(std::string_view text, char separator)
{
  std::vector<std::string> parts;
  split_list_into(text, parts, separator);
  return parts;
}

void split_list_into(std::string_view text, std::vector<std::string>& parts, char separator)
{
  size_t count = 1;
  for (char c : text) {
    count += c == separator ? 1 : 0;
  }
  parts.reserve(parts.size() + count);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view part = trim(text.substr(start, end - start));
    if (!part.empty()) {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator)
{
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

size_t utf8_byte_offset(std::string_view text, size_t chars)
{
  size_t offset = 0;
  for (size_t seen = 0; offset < text.size(); ++offset) {
    // Continuation bytes (10xxxxxx) belong to the character before them.
    if ((static_cast<unsigned char>(text[offset]) & 0xC0) != 0x80) {
      if (seen == chars) {
        return offset;
      }
      ++seen;
    }
  }
  return text.size();
}

std::string slugify(std::string_view message)
{
  std::string slug;
  bool pending_underscore = false;
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      const bool separate = pending_underscore && !slug.empty();
      if (slug.size() + (separate ? 2 : 1) > 40) {
        break;
      }
      if (separate) {
        slug += '_';
      }
      pending_underscore = false;
      slug += static_cast<char>(std::tolower(u));
    } else {
      pending_underscore = true;
    }
  }
  return slug;
}

} // namespace lockstep::util

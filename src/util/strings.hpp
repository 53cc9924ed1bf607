// Small string helpers shared by the parser, the CLI and the SQL generators.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lockstep::util {

std::string_view trim(std::string_view text);
std::string to_lower(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);

// Splits on `separator`, trims each part and drops empty parts:
// "a, b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view text, char separator = ',');

std::string join(const std::vector<std::string>& parts, std::string_view separator);

// The byte offset in UTF-8 `text` of the character `chars` characters from
// its start (text.size() when it has fewer). PostgreSQL reports error
// positions in characters, not bytes.
size_t utf8_byte_offset(std::string_view text, size_t chars);

// "Add edited_at to Messages!" -> "add_edited_at_to_messages", at most 40 chars.
std::string slugify(std::string_view message);

// Reads a whole file; throws Error(usage) naming the path when it cannot.
std::string read_file(const std::string& path);
// The same for `name` inside the open folder `dir_fd` (no path lookup of
// the folder for every file); `path` is only for the error message.
std::string read_file_at(int dir_fd, const char* name, const std::string& path);

} // namespace lockstep::util

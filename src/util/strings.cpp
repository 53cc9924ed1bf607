#include "util/strings.hpp"

#include "util/error.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

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
  return parts;
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

std::string read_file(const std::string& path)
{
  return read_file_at(AT_FDCWD, path.c_str(), path);
}

std::string read_file_at(int dir_fd, const char* name, const std::string& path)
{
  // POSIX rather than ifstream: lockstep reads every migration file on every
  // start, and a stream's locale set-up costs more than the read.
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_usage(path + ": cannot read: " + std::strerror(errno));
  }
  // One read usually does it: a short read of a regular file means its
  // end, which saves the fstat and the read that would return 0.
  static thread_local char buffer[65536];
  std::string text;
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error = errno;
      close(fd);
      throw_usage(path + ": cannot read: " + std::strerror(error));
    }
    text.append(buffer, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof buffer) {
      break;
    }
  }
  close(fd);
  return text;
}

} // namespace lockstep::util

#include "script/writer.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace lockstep::script {

namespace {

// A header value is one line: a line break in a message (`-m` accepts
// several lines, as Alembic's does) would end the header comment and turn
// the rest of the message into SQL.
std::string one_line(std::string_view value)
{
  std::string out;
  for (char c : value) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') {
        out += ' ';
      }
    } else {
      out += c;
    }
  }
  return std::string(util::trim(out));
}

} // namespace

std::string render_revision(const Revision& rev)
{
  std::string out;
  out += "-- Revision ID: " + rev.id + "\n";
  out += "-- Revises: " + util::join(rev.parents, ", ") + "\n";
  out += "-- Message: " + one_line(rev.message) + "\n";
  if (!rev.create_date.empty()) {
    out += "-- Create Date: " + one_line(rev.create_date) + "\n";
  }
  if (!rev.branch_labels.empty()) {
    out += "-- Branch Labels: " + util::join(rev.branch_labels, ", ") + "\n";
  }
  if (!rev.depends_on.empty()) {
    out += "-- Depends On: " + util::join(rev.depends_on, ", ") + "\n";
  }
  if (!rev.transactional) {
    out += "-- Transactional: false\n";
  }
  if (!rev.lint_ignore.empty()) {
    out += "-- Lint Ignore: " + util::join(rev.lint_ignore, ", ") + "\n";
  }
  // Each section ends in one line break, then a blank line before the next
  // marker: rendering what parse_revision() read gives the same text.
  auto section = [&out](std::string_view sql) {
    while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.back()))) {
      sql.remove_suffix(1);
    }
    out += sql;
    if (!sql.empty()) {
      out += '\n';
    }
  };
  out += "\n-- +upgrade\n";
  section(rev.upgrade_sql);
  out += "\n-- +downgrade\n";
  section(rev.downgrade_sql);
  return out;
}

std::string revision_file_name(const Revision& rev)
{
  std::string slug = util::slugify(rev.message);
  return slug.empty() ? rev.id + ".sql" : rev.id + "_" + slug + ".sql";
}

std::string write_new_revision(const std::string& folder, const Revision& rev)
{
  std::filesystem::path path = std::filesystem::path(folder) / revision_file_name(rev);
  std::error_code ec;
  if (std::filesystem::is_regular_file(folder, ec)) {
    throw_usage(folder + " is a migration bundle, which is read-only: write new revisions into the folder it was "
                         "made from and run 'lockstep bundle' again");
  }
  std::filesystem::create_directories(folder, ec);
  // O_EXCL: never overwrite, even a file that appears after a check.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) {
      throw_usage(path.string() + ": already exists");
    }
    throw_usage(path.string() + ": cannot write: " + std::strerror(errno));
  }
  const std::string text = render_revision(rev);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error = errno;
      close(fd);
      unlink(path.c_str());
      throw_usage(path.string() + ": cannot write: " + std::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    int error = errno;
    unlink(path.c_str());
    throw_usage(path.string() + ": cannot write: " + std::strerror(error));
  }
  return path.string();
}

} // namespace lockstep::script

#include "script/writer.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace lockstep::script {

std::string render_revision(const Revision& rev)
{
  std::string out;
  out += "-- Revision ID: " + rev.id + "\n";
  out += "-- Revises: " + util::join(rev.parents, ", ") + "\n";
  out += "-- Message: " + rev.message + "\n";
  if (!rev.create_date.empty()) {
    out += "-- Create Date: " + rev.create_date + "\n";
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
  out += "\n-- +upgrade\n";
  out += rev.upgrade_sql;
  if (!rev.upgrade_sql.empty() && rev.upgrade_sql.back() != '\n') {
    out += '\n';
  }
  out += "\n-- +downgrade\n";
  out += rev.downgrade_sql;
  if (!rev.downgrade_sql.empty() && rev.downgrade_sql.back() != '\n') {
    out += '\n';
  }
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
  std::filesystem::create_directories(folder, ec);
  if (std::filesystem::exists(path, ec)) {
    throw_usage(path.string() + ": already exists");
  }
  std::ofstream out(path, std::ios::binary);
  out << render_revision(rev);
  out.close();
  if (!out) {
    throw_usage(path.string() + ": cannot write: " + std::strerror(errno));
  }
  return path.string();
}

} // namespace lockstep::script

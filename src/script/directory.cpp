#include "script/directory.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

namespace fs = std::filesystem;

namespace lockstep::script {

std::vector<Revision> load_directory(const std::string& folder)
{
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw_usage("migrations folder '" + folder + "' does not exist or is not a folder");
  }
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !util::ends_with(name, ".sql")) {
      continue;
    }
    // status() follows symlinks: a ConfigMap entry is a link into ..data/.
    if (!fs::is_regular_file(entry.status(ec))) {
      continue;
    }
    paths.push_back(entry.path().string());
  }
  if (ec) {
    throw_usage("migrations folder '" + folder + "': " + ec.message());
  }
  std::sort(paths.begin(), paths.end());

  std::vector<Revision> revisions;
  revisions.reserve(paths.size());
  std::unordered_map<std::string, size_t> by_id;
  for (const auto& path : paths) {
    Revision rev = parse_revision(util::read_file(path), path);
    auto [it, inserted] = by_id.emplace(rev.id, revisions.size());
    if (!inserted) {
      throw_usage(path + ": revision " + rev.id + " is also declared in " + revisions[it->second].path);
    }
    revisions.push_back(std::move(rev));
  }
  return revisions;
}

} // namespace lockstep::script

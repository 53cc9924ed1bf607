#include "script/directory.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <thread>
#include <sys/stat.h>
#include <unordered_map>

namespace lockstep::script {

std::vector<Revision> load_directory(const std::string& folder)
{
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr) {
    throw_usage("migrations folder '" + folder + "' does not exist or is not a folder: " + std::strerror(errno));
  }
  std::vector<std::string> paths;
  const std::string prefix = folder.empty() || folder.back() == '/' ? folder : folder + "/";
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.empty() || name[0] == '.' || !util::ends_with(name, ".sql")) {
      continue;
    }
    std::string path = prefix + std::string(name);
    // A ConfigMap entry is a symlink into ..data/: follow it.
    if (entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN) {
      struct stat info {};
      if (fstatat(dirfd(dir), entry->d_name, &info, 0) != 0 || !S_ISREG(info.st_mode)) {
        continue;
      }
    } else if (entry->d_type != DT_REG) {
      continue;
    }
    paths.push_back(std::move(path));
  }
  std::sort(paths.begin(), paths.end());

  // Reading is mostly system calls, one file after another: spread the
  // files over a few threads. Slots keep the order, and the first file (in
  // name order) that fails is the one reported.
  std::vector<Revision> revisions(paths.size());
  std::vector<std::exception_ptr> errors(paths.size());
  auto read_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      try {
        revisions[i] = parse_revision(util::read_file_at(dirfd(dir), paths[i].c_str() + prefix.size(), paths[i]),
                                      paths[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const size_t threads = paths.size() < 256 ? 1 : std::min<size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  const size_t chunk = (paths.size() + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    workers.emplace_back(read_range, std::min(paths.size(), t * chunk), std::min(paths.size(), (t + 1) * chunk));
  }
  read_range(0, std::min(paths.size(), chunk));
  for (auto& w : workers) {
    w.join();
  }
  closedir(dir);
  for (const auto& error : errors) {
    if (error) {
      std::rethrow_exception(error);
    }
  }

  std::unordered_map<std::string, size_t> by_id;
  by_id.reserve(revisions.size());
  for (size_t i = 0; i < revisions.size(); ++i) {
    auto [it, inserted] = by_id.emplace(revisions[i].id, i);
    if (!inserted) {
      throw_usage(revisions[i].path + ": revision " + revisions[i].id + " is also declared in " +
                  revisions[it->second].path);
    }
  }
  return revisions;
}

} // namespace lockstep::script

#include "script/directory.hpp"

#include "script/bundle.hpp"

#include "util/error.hpp"
#include "util/read_file.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <thread>
#include <sys/stat.h>

namespace lockstep::script {

std::vector<Revision> load_directory(const std::string& folder)
{
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr && errno == ENOTDIR) {
    return load_bundle(folder);  // a file: a bundle, or an error saying it is not one
  }
  if (dir == nullptr) {
    throw_usage("migrations folder '" + folder + "' does not exist or is not a folder: " + std::strerror(errno));
  }
  std::vector<std::string> names;
  const std::string prefix = folder.empty() || folder.back() == '/' ? folder : folder + "/";
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.empty() || name[0] == '.' || !util::ends_with(name, ".sql")) {
      continue;
    }
    // A ConfigMap entry is a symlink into ..data/: follow it.
    if (entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN) {
      struct stat info {};
      if (fstatat(dirfd(dir), entry->d_name, &info, 0) != 0 || !S_ISREG(info.st_mode)) {
        continue;
      }
    } else if (entry->d_type != DT_REG) {
      continue;
    }
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());

  // Reading is mostly system calls, one file after another: spread the
  // files over a few threads. Slots keep the order, and the first file (in
  // name order) that fails is the one reported.
  std::vector<Revision> revisions(names.size());
  std::vector<std::exception_ptr> errors(names.size());
  auto read_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      try {
        std::string path = prefix + names[i];
        std::string text = util::read_file_at(dirfd(dir), names[i].c_str(), path);
        revisions[i] = parse_revision(text, std::move(path));
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const size_t threads = names.size() < 256 ? 1 : std::min<size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> workers;
  const size_t chunk = (names.size() + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    workers.emplace_back(read_range, std::min(names.size(), t * chunk), std::min(names.size(), (t + 1) * chunk));
  }
  read_range(0, std::min(names.size(), chunk));
  for (auto& w : workers) {
    w.join();
  }
  closedir(dir);
  for (const auto& error : errors) {
    if (error) {
      std::rethrow_exception(error);
    }
  }
  return revisions;
}

} // namespace lockstep::script

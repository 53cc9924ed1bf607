#include "script/directory.hpp"

#include "script/bundle.hpp"

#include "util/error.hpp"
#include "util/read_file.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <thread>
#include <sys/stat.h>

namespace lockstep::script {

namespace {

// The bytes of the files one loader thread read, one after another in
// blocks of 1 MiB, kept for their revisions' sections (LazyTexts point into
// them: nothing is copied per section, and no block is ever moved, so pages
// are touched once). Never freed (LazyText's promise: a source lives as long
// as the process, which loads its migrations once); only its thread writes
// to it, and only until the loader returns.
class FolderText final : public TextSource {
public:
  std::string_view chunk(uint32_t index) const override { return {m_blocks[index].bytes.get(), m_blocks[index].used}; }

  // Reads the file `name` in `dir_fd`; `bytes` are its bytes, kept.
  TextPlace read(int dir_fd, const char* name, const std::string& path, std::string_view& bytes)
  {
    if (m_blocks.empty() || m_blocks.back().capacity - m_blocks.back().used < kLeastRoom) {
      add_block(kBlock);
    }
    Block* block = &m_blocks.back();
    char* at = block->bytes.get() + block->used;
    std::string rest;  // a file larger than the room left (rare): it gets a block of its own
    size_t size = util::read_file_into(dir_fd, name, path, at, block->capacity - block->used, rest);
    if (!rest.empty()) {
      if (size + rest.size() > std::numeric_limits<uint32_t>::max()) {
        throw_usage(path + ": cannot read: larger than 4 GiB");
      }
      add_block(size + rest.size());
      block = &m_blocks.back();
      std::memcpy(block->bytes.get(), at, size);
      std::memcpy(block->bytes.get() + size, rest.data(), rest.size());
      size += rest.size();
      at = block->bytes.get();
    }
    const TextPlace place{this, static_cast<uint32_t>(m_blocks.size() - 1), static_cast<uint32_t>(block->used)};
    bytes = std::string_view(at, size);
    block->used += size;
    return place;
  }

private:
  static constexpr size_t kBlock = size_t{1} << 20;
  static constexpr size_t kLeastRoom = size_t{64} << 10;

  struct Block {
    std::unique_ptr<char[]> bytes;
    size_t capacity = 0;
    size_t used = 0;
  };

  void add_block(size_t capacity) { m_blocks.push_back({std::unique_ptr<char[]>(new char[capacity]), capacity, 0}); }

  std::vector<Block> m_blocks;
};

// A file name, sorted by its first 16 bytes as two big-endian integers
// (zero-padded: names hold no NUL) before the rest, which orders names as
// std::string does at a fraction of the comparisons' cost.
struct Name {
  uint64_t key[2];
  uint32_t offset;  // in the names' bytes, NUL-terminated there
  uint32_t size;
};

Name name_at(const std::string& bytes, uint32_t offset, uint32_t size)
{
  Name name{{0, 0}, offset, size};
  for (size_t i = 0; i < 16; ++i) {
    const uint64_t byte = i < size ? static_cast<unsigned char>(bytes[offset + i]) : 0;
    name.key[i / 8] = name.key[i / 8] << 8 | byte;
  }
  return name;
}

} // namespace

std::vector<Revision> load_directory(const std::string& folder)
{
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr && errno == ENOTDIR) {
    return load_bundle(folder);  // a file: a bundle, or an error saying it is not one
  }
  if (dir == nullptr) {
    throw_usage("migrations folder '" + folder + "' does not exist or is not a folder: " + std::strerror(errno));
  }
  std::string name_bytes;  // every name, each followed by a NUL
  std::vector<Name> names;
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
    const auto offset = static_cast<uint32_t>(name_bytes.size());
    name_bytes.append(name.data(), name.size() + 1);
    names.push_back(name_at(name_bytes, offset, static_cast<uint32_t>(name.size())));
  }
  std::sort(names.begin(), names.end(), [&name_bytes](const Name& a, const Name& b) {
    if (a.key[0] != b.key[0]) {
      return a.key[0] < b.key[0];
    }
    if (a.key[1] != b.key[1]) {
      return a.key[1] < b.key[1];
    }
    const uint32_t a_rest = a.size > 16 ? a.size - 16 : 0;
    const uint32_t b_rest = b.size > 16 ? b.size - 16 : 0;
    return std::string_view(name_bytes.data() + a.offset + a.size - a_rest, a_rest) <
           std::string_view(name_bytes.data() + b.offset + b.size - b_rest, b_rest);
  });

  // Reading is mostly system calls, one file after another: spread the
  // files over a few threads, each keeping the bytes it read (FolderText).
  // Slots keep the order; each thread stops at its first failure, and the
  // first of those in name order is the one reported, so the error is the
  // first file (in name order) that fails, as if read one by one.
  std::vector<Revision> revisions(names.size());
  const size_t threads = names.size() < 256 ? 1 : std::min<size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::exception_ptr> errors(threads);
  auto read_range = [&](size_t thread, size_t begin, size_t end) {
    auto* text = new FolderText;  // never freed: see FolderText
    for (size_t i = begin; i < end; ++i) {
      try {
        const Name& name = names[i];
        const char* file = name_bytes.data() + name.offset;
        std::string path;
        path.reserve(prefix.size() + name.size);
        path.append(prefix).append(file, name.size);
        std::string_view bytes;
        const TextPlace place = text->read(dirfd(dir), file, path, bytes);
        parse_revision_into(revisions[i], bytes, std::move(path), place);
      } catch (...) {
        errors[thread] = std::current_exception();
        return;
      }
    }
  };
  std::vector<std::thread> workers;
  const size_t chunk = (names.size() + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    workers.emplace_back(read_range, t, std::min(names.size(), t * chunk), std::min(names.size(), (t + 1) * chunk));
  }
  read_range(0, 0, std::min(names.size(), chunk));
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

// Whole-file reads with POSIX calls: every migration file is read on every
// pod start, and a stream's locale set-up costs more than the read.
#pragma once

#include <string>

namespace lockstep::util {

// Reads a whole file; throws Error(usage) naming the path when it cannot.
std::string read_file(const std::string& path);
// The same for `name` inside the open folder `dir_fd` (no path lookup of
// the folder for every file); `path` is only for the error message.
std::string read_file_at(int dir_fd, const char* name, const std::string& path);
// The same into caller memory (a loader that keeps many files in one
// block): the file's first `capacity` bytes go to `buffer` and their count
// is returned; the bytes past them, if any, are appended to `rest`.
size_t read_file_into(int dir_fd, const char* name, const std::string& path, char* buffer, size_t capacity,
                      std::string& rest);

} // namespace lockstep::util

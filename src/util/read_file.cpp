#include "util/read_file.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lockstep::util {

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

#include "util/read_file.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lockstep::util {

namespace {

int open_at(int dir_fd, const char* name, const std::string& path)
{
  // POSIX rather than ifstream: lockstep reads every migration file on every
  // start, and a stream's locale set-up costs more than the read.
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_usage(path + ": cannot read: " + std::strerror(errno));
  }
  return fd;
}

// read(2) into `buffer`, retried on EINTR; closes `fd` and throws on error.
size_t read_some(int fd, char* buffer, size_t capacity, const std::string& path)
{
  for (;;) {
    ssize_t n = read(fd, buffer, capacity);
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) {
      int error = errno;
      close(fd);
      throw_usage(path + ": cannot read: " + std::strerror(error));
    }
  }
}

// Appends what is left of `fd` to `into`. One read usually does it: a
// short read of a regular file means its end, which saves the fstat and the
// read that would return 0.
void append_rest(int fd, const std::string& path, std::string& into)
{
  static thread_local char buffer[65536];
  for (;;) {
    const size_t n = read_some(fd, buffer, sizeof buffer, path);
    into.append(buffer, n);
    if (n < sizeof buffer) {
      return;
    }
  }
}

} // namespace

std::string read_file(const std::string& path)
{
  return read_file_at(AT_FDCWD, path.c_str(), path);
}

std::string read_file_at(int dir_fd, const char* name, const std::string& path)
{
  const int fd = open_at(dir_fd, name, path);
  std::string text;
  append_rest(fd, path, text);
  close(fd);
  return text;
}

size_t read_file_into(int dir_fd, const char* name, const std::string& path, char* buffer, size_t capacity,
                      std::string& rest)
{
  const int fd = open_at(dir_fd, name, path);
  size_t got = 0;
  while (got < capacity) {
    const size_t n = read_some(fd, buffer + got, capacity - got, path);
    got += n;
    if (got < capacity) {  // a short read of a regular file: its end (see append_rest)
      close(fd);
      return got;
    }
  }
  append_rest(fd, path, rest);
  close(fd);
  return got;
}

} // namespace lockstep::util

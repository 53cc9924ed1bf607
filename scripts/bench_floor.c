/* The floor of loading migrations, for scripts/bench: what reading the files
 * costs with nothing else done.
 *
 *   bench_floor FOLDER   lists FOLDER's *.sql entries, sorts them, and opens,
 *                        reads and closes each, on as many threads as
 *                        lockstep's loader uses (src/script/directory.cpp:
 *                        one below 256 files, else min(4, cores)).
 *   bench_floor FILE     opens, reads and closes one file (a bundle) and
 *                        prints how long that took, in microseconds.
 *
 * It prints the number of bytes read, so nothing is optimised away. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char** names;
static size_t count;
static int dir_fd;

struct range {
  size_t begin, end;
  size_t bytes;
};

static size_t read_at(int at, const char* name)
{
  static __thread char buffer[65536];
  int fd = openat(at, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(name);
    exit(2);
  }
  size_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    total += (size_t)n;
    if ((size_t)n < sizeof buffer) {
      break;
    }
  }
  close(fd);
  return total;
}

static void* read_range(void* arg)
{
  struct range* r = arg;
  for (size_t i = r->begin; i < r->end; ++i) {
    r->bytes += read_at(dir_fd, names[i]);
  }
  return NULL;
}

static int by_name(const void* a, const void* b)
{
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: bench_floor FOLDER|FILE\n");
    return 2;
  }
  struct stat info;
  if (stat(argv[1], &info) != 0) {
    perror(argv[1]);
    return 2;
  }
  if (!S_ISDIR(info.st_mode)) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t bytes = read_at(AT_FDCWD, argv[1]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%zu bytes %.1f us\n", bytes, (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3);
    return 0;
  }
  DIR* dir = opendir(argv[1]);
  if (dir == NULL) {
    perror(argv[1]);
    return 2;
  }
  dir_fd = dirfd(dir);
  size_t capacity = 1024;
  names = malloc(capacity * sizeof *names);
  for (struct dirent* e; (e = readdir(dir)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0) {
      continue;
    }
    if (count == capacity) {
      capacity *= 2;
      names = realloc(names, capacity * sizeof *names);
    }
    names[count++] = strdup(e->d_name);
  }
  qsort(names, count, sizeof *names, by_name);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  size_t threads = count < 256 ? 1 : (size_t)(cores < 1 ? 1 : cores > 4 ? 4 : cores);
  size_t chunk = (count + threads - 1) / threads;
  struct range ranges[4] = {{0, 0, 0}};
  pthread_t workers[4];
  for (size_t t = 0; t < threads; ++t) {
    ranges[t].begin = t * chunk < count ? t * chunk : count;
    ranges[t].end = (t + 1) * chunk < count ? (t + 1) * chunk : count;
  }
  for (size_t t = 1; t < threads; ++t) {
    pthread_create(&workers[t], NULL, read_range, &ranges[t]);
  }
  read_range(&ranges[0]);
  size_t bytes = ranges[0].bytes;
  for (size_t t = 1; t < threads; ++t) {
    pthread_join(workers[t], NULL);
    bytes += ranges[t].bytes;
  }
  closedir(dir);
  printf("%zu files, %zu bytes, %zu threads\n", count, bytes, threads);
  return 0;
}

/* The floor of loading migrations, for scripts/bench: what reading the files
 * costs with nothing else done.
 *
 *   bench_floor FOLDER   lists FOLDER's *.sql entries, sorts them, and opens,
 *                        reads and closes each, on as many threads as
 *                        lockstep's loader uses (src/script/directory.cpp:
 *                        one below 256 files, else min(4, cores)).
 *   bench_floor FILE     opens, reads and closes one file (a bundle) and
 *                        prints how long that took, in microseconds.
 *   bench_floor --plan BUNDLE OUTPUT
 *                        the floor of printing a plan from a bundle: reads
 *                        the bundle and inflates its index and every chunk
 *                        (zlib, raw deflate, as lockstep does), then writes
 *                        OUTPUT's bytes (what lockstep printed for the plan,
 *                        read back from the page cache through one 64 KiB
 *                        buffer) to stdout; prints how long that took, in
 *                        microseconds (on stderr: stdout has the bytes).
 *                        Anything that prints those bytes from that bundle
 *                        does at least this much, without making any of them.
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
#include <zlib.h>

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

static unsigned le32(const unsigned char* p)
{
  return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

static char* slurp(const char* path, size_t* size)
{
  struct stat info;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &info) != 0) {
    perror(path);
    exit(2);
  }
  char* bytes = malloc((size_t)info.st_size + 1);
  size_t got = 0;
  while (got < (size_t)info.st_size) {
    ssize_t n = read(fd, bytes + got, (size_t)info.st_size - got);
    if (n <= 0) {
      perror(path);
      exit(2);
    }
    got += (size_t)n;
  }
  close(fd);
  *size = got;
  return bytes;
}

static size_t inflate_raw(const unsigned char* in, size_t in_size, size_t out_size)
{
  unsigned char* out = malloc(out_size + 1);
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, -15) != Z_OK) {
    exit(2);
  }
  z.next_in = (unsigned char*)in;
  z.avail_in = (unsigned)in_size;
  z.next_out = out;
  z.avail_out = (unsigned)out_size;
  if (inflate(&z, Z_FINISH) != Z_STREAM_END) {
    fprintf(stderr, "bench_floor: a chunk does not inflate\n");
    exit(2);
  }
  inflateEnd(&z);
  size_t sum = out_size ? out[out_size - 1] : 0;
  free(out);
  return sum;
}

static int plan_floor(const char* bundle, const char* output)
{
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  size_t size = 0;
  const unsigned char* b = (const unsigned char*)slurp(bundle, &size);
  if (size < 44 || memcmp(b, "LOCKSTEP-BUNDLE\n", 16) != 0) {
    fprintf(stderr, "bench_floor: %s is not a bundle\n", bundle);
    return 2;
  }
  unsigned chunks = le32(b + 28), index_size = le32(b + 32), index_compressed = le32(b + 36);
  size_t at = 44 + 12 * (size_t)chunks;
  size_t sum = inflate_raw(b + at, index_compressed, index_size);
  at += index_compressed;
  for (unsigned i = 0; i < chunks; ++i) {
    const unsigned char* entry = b + 44 + 12 * (size_t)i;
    sum += inflate_raw(b + at, le32(entry), le32(entry + 4));
    at += le32(entry);
  }
  /* The bytes pass through one 64 KiB buffer, as lockstep's output does. */
  static char block[65536];
  size_t out_size = 0;
  int fd = open(output, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(output);
    return 2;
  }
  for (ssize_t n; (n = read(fd, block, sizeof block)) > 0;) {
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(1, block + done, (size_t)(n - done));
      if (w <= 0) {
        perror("write");
        return 2;
      }
      done += w;
    }
    out_size += (size_t)n;
  }
  close(fd);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  fprintf(stderr, "%zu bytes written (%zu) %.1f us\n", out_size, sum,
          (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3);
  return 0;
}

int main(int argc, char** argv)
{
  if (argc == 4 && strcmp(argv[1], "--plan") == 0) {
    return plan_floor(argv[2], argv[3]);
  }
  if (argc != 2) {
    fprintf(stderr, "usage: bench_floor FOLDER|FILE | --plan BUNDLE OUTPUT\n");
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

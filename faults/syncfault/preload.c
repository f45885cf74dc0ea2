/* LD_PRELOAD library that passes, fails or fakes fsync-family calls as a control file says. */

/*
 * Why C and not C++: the library is loaded into foreign processes (PostgreSQL, redis,
 * SQLite agents). It must not pull libstdc++ into them, must not run global
 * constructors, and must export nothing but the interposed functions (libfiu's posix
 * preload clashes with PostgreSQL's own hash_create). Everything else is static and the
 * link uses a version script; initialisation is lazy, on the first intercepted call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"

#define EXPORT __attribute__((visibility("default")))

/* A writer that died mid-update leaves seq odd forever; give up and pass through. */
#define SEQLOCK_MAX_SPINS 100000

enum decision { DECIDE_PASS, DECIDE_FAIL, DECIDE_LIE };

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static struct crashlab_syncfault_ctl* g_ctl; /* NULL: pure pass-through */
static int g_writable;                       /* 0 if only a read-only mapping was possible */

static void init_ctl(void) {
  const char* path = getenv("CRASHLAB_SYNCFAULT_CTL");
  if (path == NULL || path[0] == '\0') return;
  int saved_errno = errno;
  int writable = 1;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    /* A target running as another user may only read the file: obey, count nothing. */
    writable = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (fd >= 0) {
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(struct crashlab_syncfault_ctl)) {
      void* p = mmap(NULL, sizeof(struct crashlab_syncfault_ctl),
                     writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
      if (p != MAP_FAILED) {
        struct crashlab_syncfault_ctl* ctl = p;
        if (__atomic_load_n(&ctl->magic, __ATOMIC_ACQUIRE) == CRASHLAB_SYNCFAULT_MAGIC &&
            __atomic_load_n(&ctl->version, __ATOMIC_RELAXED) == CRASHLAB_SYNCFAULT_VERSION) {
          g_writable = writable;
          g_ctl = ctl;
        } else {
          munmap(p, sizeof(struct crashlab_syncfault_ctl));
        }
      }
    }
    close(fd);
  }
  errno = saved_errno;
}

static struct crashlab_syncfault_ctl* ctl(void) {
  pthread_once(&g_once, init_ctl);
  return g_ctl;
}

static void count(uint64_t* field) {
  if (g_writable) __atomic_fetch_add(field, 1, __ATOMIC_RELAXED);
}

/* Snapshot of one rule taken under the seqlock. */
struct rule_snapshot {
  uint32_t mode;
  int32_t error;
  uint64_t first_call;
  uint64_t last_call;
  uint32_t filter_kind;
  char filter[CRASHLAB_SYNCFAULT_FILTER_MAX];
};

static int read_rule(struct crashlab_syncfault_ctl* c, int fn, struct rule_snapshot* out) {
  const struct crashlab_syncfault_rule* r = &c->rules[fn];
  for (int spin = 0; spin < SEQLOCK_MAX_SPINS; ++spin) {
    uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
    if (s1 & 1) {
      sched_yield();
      continue;
    }
    out->mode = __atomic_load_n(&r->mode, __ATOMIC_RELAXED);
    out->error = __atomic_load_n(&r->error, __ATOMIC_RELAXED);
    out->first_call = __atomic_load_n(&r->first_call, __ATOMIC_RELAXED);
    out->last_call = __atomic_load_n(&r->last_call, __ATOMIC_RELAXED);
    out->filter_kind = __atomic_load_n(&r->filter_kind, __ATOMIC_RELAXED);
    out->filter[0] = '\0';
    if (out->mode != CRASHLAB_SYNCFAULT_MODE_PASS &&
        out->filter_kind != CRASHLAB_SYNCFAULT_FILTER_NONE) {
      for (unsigned i = 0; i < CRASHLAB_SYNCFAULT_FILTER_MAX; ++i) {
        out->filter[i] = __atomic_load_n(&r->filter[i], __ATOMIC_RELAXED);
        if (out->filter[i] == '\0') break;
      }
      out->filter[CRASHLAB_SYNCFAULT_FILTER_MAX - 1] = '\0';
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == s1) return 1;
  }
  return 0;
}

static int fd_path(int fd, char* buf, size_t len) {
  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, len - 1);
  if (n < 0) return 0;
  buf[n] = '\0';
  return 1;
}

/* Finds the file mapped at addr in /proc/self/maps, without malloc. */
static int mapping_path(const void* addr, char* out, size_t out_len) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[8192];
  size_t have = 0;
  int found = 0;
  uintptr_t a = (uintptr_t)addr;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
    if (n <= 0) break;
    have += (size_t)n;
    buf[have] = '\0';
    char* line = buf;
    char* nl;
    while ((nl = memchr(line, '\n', have - (size_t)(line - buf))) != NULL) {
      *nl = '\0';
      /* "start-end perms offset dev inode   path" */
      char* end;
      unsigned long lo = strtoul(line, &end, 16);
      unsigned long hi = (*end == '-') ? strtoul(end + 1, &end, 16) : 0;
      if (a >= lo && a < hi) {
        char* p = end;
        for (int field = 0; field < 4 && *p; ++field) {
          while (*p == ' ') ++p;
          while (*p && *p != ' ') ++p;
        }
        while (*p == ' ') ++p;
        size_t len = strlen(p);
        if (len >= out_len) len = out_len - 1;
        memcpy(out, p, len);
        out[len] = '\0';
        found = len > 0;
        goto done;
      }
      line = nl + 1;
    }
    /* Keep the unfinished line; a line longer than the buffer is dropped. */
    size_t rest = have - (size_t)(line - buf);
    if (rest >= sizeof(buf) - 1) rest = 0;
    memmove(buf, line, rest);
    have = rest;
  }
done:
  close(fd);
  return found;
}

static int filter_matches(const struct rule_snapshot* r, int fd, const void* addr) {
  if (r->filter_kind == CRASHLAB_SYNCFAULT_FILTER_NONE) return 1;
  char path[4096];
  int have;
  if (fd >= 0)
    have = fd_path(fd, path, sizeof(path));
  else if (addr != NULL)
    have = mapping_path(addr, path, sizeof(path));
  else
    have = 0;
  if (!have) return 0;
  if (r->filter_kind == CRASHLAB_SYNCFAULT_FILTER_SUBSTRING) return strstr(path, r->filter) != 0;
  if (r->filter_kind == CRASHLAB_SYNCFAULT_FILTER_GLOB) return fnmatch(r->filter, path, 0) == 0;
  return 0;
}

/* Decides one call; *err receives the errno for DECIDE_FAIL. Preserves errno. */
static enum decision decide(int fn, int fd, const void* addr, int* err) {
  struct crashlab_syncfault_ctl* c = ctl();
  if (c == NULL) return DECIDE_PASS;
  int saved_errno = errno;
  struct crashlab_syncfault_counters* k = &c->counters[fn];
  count(&k->calls);
  enum decision d = DECIDE_PASS;
  struct rule_snapshot r;
  if (read_rule(c, fn, &r) && r.mode != CRASHLAB_SYNCFAULT_MODE_PASS &&
      filter_matches(&r, fd, addr)) {
    count(&k->matched);
    uint64_t index = g_writable ? __atomic_add_fetch(&c->rule_hits[fn], 1, __ATOMIC_RELAXED) : 1;
    uint64_t first = r.first_call == 0 ? 1 : r.first_call;
    if (index >= first && (r.last_call == 0 || index <= r.last_call)) {
      if (r.mode == CRASHLAB_SYNCFAULT_MODE_FAIL) {
        d = DECIDE_FAIL;
        *err = r.error;
      } else if (r.mode == CRASHLAB_SYNCFAULT_MODE_LIE) {
        d = DECIDE_LIE;
      }
    }
  }
  count(d == DECIDE_FAIL ? &k->failed : d == DECIDE_LIE ? &k->lied : &k->passed);
  errno = saved_errno;
  return d;
}

/* dlsym(RTLD_NEXT) once per function; the pointer is cached with release/acquire. */
static void* real(const char* name, void** slot) {
  void* p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (p == NULL) {
    p = dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, p, __ATOMIC_RELEASE);
  }
  return p;
}

typedef int (*fd_fn)(int);
typedef int (*sync_file_range_fn)(int, off64_t, off64_t, unsigned int);
typedef int (*msync_fn)(void*, size_t, int);
typedef void (*sync_fn)(void);

static void* g_real_fsync;
static void* g_real_fdatasync;
static void* g_real_syncfs;
static void* g_real_sync_file_range;
static void* g_real_msync;
static void* g_real_sync;

/* Runs the real fd-only function unless the rule says otherwise. */
static int fd_call(int fn_index, const char* name, void** slot, int fd) {
  int err = 0;
  enum decision d = decide(fn_index, fd, NULL, &err);
  if (d == DECIDE_FAIL) {
    errno = err;
    return -1;
  }
  if (d == DECIDE_LIE) return 0;
  fd_fn fn = (fd_fn)real(name, slot);
  if (fn == NULL) {
    errno = ENOSYS;
    return -1;
  }
  return fn(fd);
}

EXPORT int fsync(int fd) { return fd_call(CRASHLAB_SYNCFAULT_FSYNC, "fsync", &g_real_fsync, fd); }

EXPORT int fdatasync(int fd) {
  return fd_call(CRASHLAB_SYNCFAULT_FDATASYNC, "fdatasync", &g_real_fdatasync, fd);
}

EXPORT int syncfs(int fd) {
  return fd_call(CRASHLAB_SYNCFAULT_SYNCFS, "syncfs", &g_real_syncfs, fd);
}

EXPORT int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  int err = 0;
  enum decision d = decide(CRASHLAB_SYNCFAULT_SYNC_FILE_RANGE, fd, NULL, &err);
  if (d == DECIDE_FAIL) {
    errno = err;
    return -1;
  }
  if (d == DECIDE_LIE) return 0;
  sync_file_range_fn fn = (sync_file_range_fn)real("sync_file_range", &g_real_sync_file_range);
  if (fn == NULL) {
    errno = ENOSYS;
    return -1;
  }
  return fn(fd, offset, nbytes, flags);
}

EXPORT int msync(void* addr, size_t length, int flags) {
  int err = 0;
  enum decision d = decide(CRASHLAB_SYNCFAULT_MSYNC, -1, addr, &err);
  if (d == DECIDE_FAIL) {
    errno = err;
    return -1;
  }
  if (d == DECIDE_LIE) return 0;
  msync_fn fn = (msync_fn)real("msync", &g_real_msync);
  if (fn == NULL) {
    errno = ENOSYS;
    return -1;
  }
  return fn(addr, length, flags);
}

/* sync() cannot report an error: "fail" and "lie" both skip it (counted apart). */
EXPORT void sync(void) {
  int err = 0;
  if (decide(CRASHLAB_SYNCFAULT_SYNC, -1, NULL, &err) != DECIDE_PASS) return;
  sync_fn fn = (sync_fn)real("sync", &g_real_sync);
  if (fn != NULL) fn();
}

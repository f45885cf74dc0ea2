/* Layout of the syncfault control file, shared by the preload (C) and the controller (C++). */
#pragma once

/*
 * One 4096-byte file, mapped MAP_SHARED by the controller and by every process that runs
 * with the preload. The controller is the only writer of the rules; the preload is the
 * only writer of the counters and of rule_hits (except that the controller zeroes
 * rule_hits[f] when it installs a rule for f, so "the k-th call" counts from that moment).
 *
 * Every field is accessed with the GCC/Clang __atomic builtins (C) or std::atomic_ref
 * (C++), never with plain loads/stores, because the page is shared between processes
 * that run at the same time. Rules are published under a seqlock (seq odd while the
 * controller is rewriting them) so a reader never sees half a rule.
 */

#include <stdint.h>

#define CRASHLAB_SYNCFAULT_MAGIC 0x31464e5953534c43ULL /* "CLSSYNF1", little-endian */
#define CRASHLAB_SYNCFAULT_VERSION 1u
#define CRASHLAB_SYNCFAULT_FILE_SIZE 4096u
#define CRASHLAB_SYNCFAULT_FILTER_MAX 224u /* bytes, including the terminating NUL */

/* Index of each interposed function in rules[], counters[] and rule_hits[]. */
enum crashlab_syncfault_function {
  CRASHLAB_SYNCFAULT_FSYNC = 0,
  CRASHLAB_SYNCFAULT_FDATASYNC = 1,
  CRASHLAB_SYNCFAULT_SYNCFS = 2,
  CRASHLAB_SYNCFAULT_SYNC_FILE_RANGE = 3,
  CRASHLAB_SYNCFAULT_MSYNC = 4,
  CRASHLAB_SYNCFAULT_SYNC = 5,
  CRASHLAB_SYNCFAULT_NUM_FUNCTIONS = 6
};

enum crashlab_syncfault_mode {
  CRASHLAB_SYNCFAULT_MODE_PASS = 0, /* call the real function */
  CRASHLAB_SYNCFAULT_MODE_FAIL = 1, /* return -1 with errno = rule.error, no real call */
  CRASHLAB_SYNCFAULT_MODE_LIE = 2   /* return 0, no real call */
};

enum crashlab_syncfault_filter_kind {
  CRASHLAB_SYNCFAULT_FILTER_NONE = 0,      /* every call matches */
  CRASHLAB_SYNCFAULT_FILTER_SUBSTRING = 1, /* the fd's path contains filter */
  CRASHLAB_SYNCFAULT_FILTER_GLOB = 2       /* fnmatch(filter, path, 0) == 0 */
};

/* What to do with calls of one function. 256 bytes. */
struct crashlab_syncfault_rule {
  uint32_t mode;        /* enum crashlab_syncfault_mode */
  int32_t error;        /* errno for MODE_FAIL */
  uint64_t first_call;  /* 1-based index of the first matching call to affect; 0 means 1 */
  uint64_t last_call;   /* index of the last matching call to affect; 0 = no limit */
  uint32_t filter_kind; /* enum crashlab_syncfault_filter_kind */
  uint32_t reserved;
  /* Matched against the /proc/self/fd link of the fd (the mapped file for msync).
   * Calls without a file (sync) never match a non-empty filter. */
  char filter[CRASHLAB_SYNCFAULT_FILTER_MAX];
};

/* Written by the preload only, with atomic adds. 64 bytes. */
struct crashlab_syncfault_counters {
  uint64_t calls;   /* every call seen while a control file is mapped */
  uint64_t matched; /* calls an active (non-pass) rule's filter matched */
  uint64_t failed;  /* calls answered with -1/errno */
  uint64_t lied;    /* calls answered with 0 without syncing */
  uint64_t passed;  /* calls forwarded to the real function */
  uint64_t reserved[3];
};

struct crashlab_syncfault_ctl {
  uint64_t magic;   /* CRASHLAB_SYNCFAULT_MAGIC, written last by the controller */
  uint32_t version; /* CRASHLAB_SYNCFAULT_VERSION */
  uint32_t size;    /* CRASHLAB_SYNCFAULT_FILE_SIZE */
  uint64_t seq;     /* seqlock over rules[]: odd while being written */
  uint64_t header_reserved[5];
  struct crashlab_syncfault_rule rules[CRASHLAB_SYNCFAULT_NUM_FUNCTIONS];
  struct crashlab_syncfault_counters counters[CRASHLAB_SYNCFAULT_NUM_FUNCTIONS];
  /* Matching calls since the rule for that function was last set: the k of "k-th call". */
  uint64_t rule_hits[CRASHLAB_SYNCFAULT_NUM_FUNCTIONS];
  uint8_t padding[CRASHLAB_SYNCFAULT_FILE_SIZE - 64 - 256 * CRASHLAB_SYNCFAULT_NUM_FUNCTIONS -
                  64 * CRASHLAB_SYNCFAULT_NUM_FUNCTIONS - 8 * CRASHLAB_SYNCFAULT_NUM_FUNCTIONS];
};

#ifdef __cplusplus
static_assert(sizeof(struct crashlab_syncfault_rule) == 256, "rule layout");
static_assert(sizeof(struct crashlab_syncfault_counters) == 64, "counters layout");
static_assert(sizeof(struct crashlab_syncfault_ctl) == CRASHLAB_SYNCFAULT_FILE_SIZE, "file layout");
#else
_Static_assert(sizeof(struct crashlab_syncfault_rule) == 256, "rule layout");
_Static_assert(sizeof(struct crashlab_syncfault_counters) == 64, "counters layout");
_Static_assert(sizeof(struct crashlab_syncfault_ctl) == CRASHLAB_SYNCFAULT_FILE_SIZE,
               "file layout");
#endif

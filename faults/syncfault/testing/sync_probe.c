/* Test target for the syncfault preload: runs sync calls named on stdin, prints results. */

/*
 * Line protocol, one reply line per command (flushed, so a test can drive it live):
 *   open PATH          -> "ok" | "-1 ERRNO"  (O_CREAT; becomes the current file)
 *   fsync | fdatasync | syncfs | sync_file_range | msync
 *                      -> "0" | "-1 ERRNO"   (after dirtying the current file)
 *   sync               -> "done"
 *   burst N fdatasync  -> "zero Z failed F" after N back-to-back calls (no writes)
 *   quit               -> exits 0
 * Every sync is preceded by a write so the real call has something to flush.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int g_fd = -1;
static char* g_map;

static void reply(int rc) {
  if (rc == 0)
    printf("0\n");
  else
    printf("-1 %d\n", errno);
}

int main(void) {
  char line[4096];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof(line), stdin) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "open ", 5) == 0) {
      if (g_map != NULL) munmap(g_map, 4096);
      if (g_fd >= 0) close(g_fd);
      g_map = NULL;
      g_fd = open(line + 5, O_RDWR | O_CREAT, 0644);
      if (g_fd < 0 || ftruncate(g_fd, 4096) != 0) {
        reply(-1);
        continue;
      }
      g_map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g_fd, 0);
      if (g_map == MAP_FAILED) {
        g_map = NULL;
        reply(-1);
        continue;
      }
      printf("ok\n");
      continue;
    }
    if (strcmp(line, "quit") == 0) return 0;
    if (strncmp(line, "burst ", 6) == 0 && g_fd >= 0) {
      long n = strtol(line + 6, NULL, 10), zero = 0, failed = 0;
      for (long i = 0; i < n; ++i) {
        if (fdatasync(g_fd) == 0)
          ++zero;
        else
          ++failed;
      }
      printf("zero %ld failed %ld\n", zero, failed);
      continue;
    }
    if (strcmp(line, "sync") == 0) {
      sync();
      printf("done\n");
      continue;
    }
    if (g_fd < 0) {
      printf("no file\n");
      continue;
    }
    if (pwrite(g_fd, "x", 1, 0) != 1) {
      reply(-1);
      continue;
    }
    if (strcmp(line, "fsync") == 0) {
      reply(fsync(g_fd));
    } else if (strcmp(line, "fdatasync") == 0) {
      reply(fdatasync(g_fd));
    } else if (strcmp(line, "syncfs") == 0) {
      reply(syncfs(g_fd));
    } else if (strcmp(line, "sync_file_range") == 0) {
      reply(sync_file_range(g_fd, 0, 4096, SYNC_FILE_RANGE_WRITE));
    } else if (strcmp(line, "msync") == 0) {
      g_map[1] = 'y';
      reply(msync(g_map, 4096, MS_SYNC));
    } else {
      printf("unknown command\n");
    }
  }
  return 0;
}

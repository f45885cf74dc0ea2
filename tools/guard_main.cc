// crashlab-guard: outlives a run's runner (its own session) and, if the runner dies before
// removing its run record, removes what the record names. Started by the runner with the
// read end of a pipe on fd 3; not meant to be run by hand.
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "framework/run_record.h"

int main(int argc, char** argv) {
  if (argc != 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr,
                 "usage: crashlab-guard RECORD_DIR (started by crashlab with a pipe on fd 3)\n");
    return 2;
  }
  ::close_range(4, ~0U, 0);  // hold nothing of the runner's (a FUSE device, a pipe, a log)
  return crashlab::runrecord::Guard(argv[1], 3);
}

// The wire protocol between the runner and a SQLite agent: fixed-size binary frames
// over a pipe pair (fd 3: requests to the agent, fd 4: replies to the runner).
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "framework/op.h"

namespace crashlab::sqlite {

inline constexpr int kAgentRequestFd = 3;
inline constexpr int kAgentReplyFd = 4;

// Agent -> runner, first byte after start: ready, or failed to open (then a message).
inline constexpr char kReady = 'R';
inline constexpr char kOpenFailed = 'E';

// Runner -> agent: one Op (32 bytes). Agent -> runner: one byte, the Outcome.
static_assert(sizeof(Op) == 32);

// Writes all of buf (retrying on EINTR); false on error (a dead peer: EPIPE).
inline bool WriteFull(int fd, const void* buf, size_t n) {
  auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    const ssize_t r = ::write(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Reads exactly n bytes (retrying on EINTR); false on EOF or error.
inline bool ReadFull(int fd, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

}  // namespace crashlab::sqlite

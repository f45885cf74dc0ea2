// The wire protocol between the runner and a SQLite agent: fixed-size binary frames
// over a pipe pair (fd 3: requests to the agent, fd 4: replies to the runner).
#pragma once

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

}  // namespace crashlab::sqlite

// Runs a helper program (fiu-ctrl) from an argv vector with a deadline, capturing its output.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace crashlab::fiu {

struct CommandResult {
  bool started = false;    // false: spawn failed (output holds why)
  bool timed_out = false;  // killed (with its process group) at the deadline
  int exit_code = -1;      // -1 unless it exited normally
  std::string output;      // stdout and stderr, interleaved
  bool ok() const { return started && !timed_out && exit_code == 0; }
};

// posix_spawnp(argv[0]) in its own process group, no shell, stdin from /dev/null.
// On timeout the whole group is SIGKILLed and reaped (fiu-ctrl blocks forever writing
// to the FIFO of a process that stopped reading, e.g. a zombie).
CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace crashlab::fiu

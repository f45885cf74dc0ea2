// RunCommand: the one way to run a short external command (an argv vector, never a shell)
// to its end with a deadline, capturing its stdout and stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/process.h"

namespace crashlab {

// How one command ended, and what it wrote.
struct CommandResult {
  std::string command;     // argv joined with spaces, for messages
  bool started = false;    // false: it could not be spawned (`err` says why)
  bool timed_out = false;  // the deadline passed: it was SIGKILLed with its process group
  // Its exit code, 128 + N if signal N ended it, -1 if it did not start or timed out.
  int exit_code = -1;
  int term_signal = 0;  // the signal that ended it (0 if none)
  std::string out;      // what it wrote to stdout
  std::string err;      // what it wrote to stderr
  // True iff it ran to its end and exited with code 0.
  bool ok() const { return started && !timed_out && exit_code == 0; }
};

// Runs argv[0] (a path, or a name on PATH) with the arguments argv[1..], never through a
// shell, through Process::Spawn (Boost.Process; its own process group, stdin from
// /dev/null, `env` added to the runner's environment). Waits until the command exits or
// `timeout` passes, then SIGKILLs and reaps its whole process group, so nothing it
// started outlives the call. The command's exit ends the call even if a process it left
// behind still holds its stdout or stderr open. Thread-safe; never throws for a command
// that fails or cannot start (see `started`).
CommandResult RunCommand(const std::vector<std::string>& argv, Millis timeout,
                         const std::map<std::string, std::string>& env = {});

// RunCommand for a command whose stdout is the answer (`postgres --version`): returns it.
// Throws std::runtime_error naming the program if it cannot be started, exits non-zero
// (with the first line of its stderr) or is still running after `timeout`.
std::string CommandOutput(const std::vector<std::string>& argv, Millis timeout = Millis(10000));

}  // namespace crashlab

// Line protocol of the crashfs control socket: one command per line, one answer line each.
#pragma once

#include <atomic>
#include <string>

#include "faults/crashfs/crashfs.h"

namespace crashlab::crashfs {

// Executes one command against `fs` and returns the answer line (without newline):
// "ok ...", "yes"/"no", or "error <reason>". Sets *quit for "quit". Thread-safe.
//   ping | freeze | power-cut [none|pages|prefix|seq] [seed=N] [target=GLOB] | record-writes on|off
//   | sync-mode pass|fail|lie trigger write|fsync|fsyncdir|rename|unlink|create K [GLOB] | disarm |
//   triggered wait-triggered MS | stats | events | help | quit
std::string HandleCommand(CrashFs& fs, const std::string& line, bool* quit);

// Help text listing the commands, one per line.
const char* CommandHelp();

// Serves the protocol on a unix stream socket at `path` (replacing a stale socket file)
// until `stop` becomes true or a client sends "quit". Connections are served one line
// at a time, one connection per thread. Throws std::runtime_error if it cannot listen.
void ServeControlSocket(CrashFs& fs, const std::string& path, std::atomic<bool>& stop);

// Client side: connects to `path`, sends `command`, returns the answer line.
// Throws std::runtime_error on connection failure.
std::string SendCommand(const std::string& path, const std::string& command);

}  // namespace crashlab::crashfs

// Process faults: SIGKILL (one process or every process group of the target) and
// SIGSTOP/SIGCONT pauses.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "framework/fault.h"

namespace crashlab::faults {

enum class KillScope { kAll, kOne };
// Parses "all" / "one"; throws std::invalid_argument otherwise.
KillScope ParseKillScope(const std::string& s);

// SIGKILL: scope kAll kills every process group of the target; kOne picks one process
// with the cycle's random source. The target proves the old processes gone in Recover.
std::unique_ptr<Fault> MakeKillFault(KillScope scope = KillScope::kAll, int signal = 9);

// SIGSTOP every process group for `hold`, then SIGCONT: clients see a frozen store.
// No recovery: the same processes continue.
std::unique_ptr<Fault> MakePauseFault(std::chrono::milliseconds hold);

}  // namespace crashlab::faults

// Container faults: what an engine (or an operator at its CLI) does to a container —
// kill, stop, restart, pause, a crash the restart policy must repair, remove+recreate.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "framework/fault.h"
#include "framework/registry.h"

namespace crashlab::container {

enum class ContainerAction {
  kKill,      // SIGKILL through the engine (kill), prove gone, start, wait ready
  kStop,      // stop -t 0 (SIGTERM then SIGKILL at once), prove gone, start
  kRestart,   // restart with the graceful timeout (SIGTERM, clean close), wait ready
  kPause,     // pause (cgroup freezer) for a while, unpause: clients time out -> unknown
  kPolicy,    // SIGKILL of the container's main process from the host; the engine's
              // --restart policy must bring it back by itself
  kRecreate,  // rm -f and run again from the image: only mounted data survives
};
// "kill" | "stop" | "restart" | "pause" | "policy" | "recreate"; throws
// std::invalid_argument otherwise.
ContainerAction ParseAction(const std::string& s);
std::string ToString(ContainerAction a);

struct ContainerFaultOptions {
  ContainerAction action = ContainerAction::kKill;
  std::string scope = "all";  // all | one | some (each with p=1/2, at least one), seeded
  std::chrono::milliseconds pause_hold{1500};
};

// A fault for a ContainerTarget (throws std::invalid_argument at Inject on any other
// target). Every cycle's FaultEvent::extra records, as milliseconds and strings:
//   gone_ms            fault to old process proved gone (engine state + host pid)
//   stop_to_ready_ms   fault to every hit container's store answering again
//   start_to_ready_ms  start command to store ready (container start + store recovery)
//   store_recovery_ms  engine reports running to store ready
//   data_before / data_after   owner and mode of the data dir and file
//   restart_count_before / _after (policy), error (if the container did not come back;
//   Target::Recover then reports it as unrecoverable)
std::unique_ptr<Fault> MakeContainerFault(ContainerFaultOptions options);

// Why no container engine can run here ("" if one can).
std::string MissingContainerEngine();

}  // namespace crashlab::container

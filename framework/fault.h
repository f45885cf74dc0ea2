// Faults: what happens to the target at the scheduled instant, and how it heals.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "framework/rng.h"
#include "framework/target.h"

namespace crashlab {

// What a fault did, for the report.
struct FaultEvent {
  std::string fault;                          // "sigkill", "pause", "power-cut", ...
  std::string detail;                         // which process, which mode
  std::map<std::string, std::string> extra;   // anything a fault wants to record
};

// A fault family. Ordered by destructiveness (FoundationDB): pause < kill < power cut.
class Fault {
 public:
  virtual ~Fault() = default;
  virtual std::string Name() const = 0;
  // Called once before the target starts (mount a layer, arm a preload, ...).
  virtual void Setup(Target& target) {}
  // For op-based triggers: called synchronously by the worker whose acknowledgement met
  // the trigger, before that worker issues anything else and before Inject. A power cut
  // freezes its storage here, so the cut lands exactly after the k-th acknowledged op.
  // Must be thread-safe with respect to the other workers' ops.
  virtual void AtTrigger(Target& target) {}
  // For faults with a trigger of their own (a filesystem layer that freezes at the k-th
  // fsync): called on the runner's thread before the cycle's workers start. The fault
  // may call `fire` once, from any thread, at its instant (that is the instant a power
  // cut uses); the runner then stops waiting for the schedule and calls Inject. `fire`
  // must not be called after Inject returned.
  virtual void BeginCycle(Target& target, uint32_t cycle, std::function<void()> fire) {}
  // Fires the fault. Runs on the runner's main thread while workers keep going.
  virtual FaultEvent Inject(Target& target, Rng& rng) = 0;
  // After workers stopped: undo what must be undone (SIGCONT, remount) before recovery.
  virtual void Heal(Target& target) {}
  // Whether the target must be recovered (restarted) after this fault.
  virtual bool NeedsRecovery() const { return true; }
  // True for power cuts: an acknowledgement recorded after the instant of the fault
  // could never have reached a client, so those ops become unknown.
  virtual bool CutsPower() const { return false; }
  // Called once after the last cycle (unmount, disarm).
  virtual void Teardown(Target& target) {}
};

}  // namespace crashlab

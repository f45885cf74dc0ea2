// Faults: what happens to the target at the scheduled instant, and how it heals.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/rng.h"
#include "framework/target.h"

namespace crashlab {

// What a fault did, for the report.
struct FaultEvent {
  std::string fault;                         // "sigkill", "pause", "power-cut", ...
  std::string detail;                        // which process, which mode
  std::map<std::string, std::string> extra;  // anything a fault wants to record
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

// A fault that wraps another and forwards every hook to it (LevelDB's EnvWrapper): a
// decorator overrides only what it changes, and no hook is dropped by accident.
class FaultWrapper : public Fault {
 public:
  explicit FaultWrapper(std::unique_ptr<Fault> inner) : inner_(std::move(inner)) {}
  std::string Name() const override { return inner_->Name(); }
  void Setup(Target& t) override { inner_->Setup(t); }
  void AtTrigger(Target& t) override { inner_->AtTrigger(t); }
  void BeginCycle(Target& t, uint32_t cycle, std::function<void()> fire) override {
    inner_->BeginCycle(t, cycle, std::move(fire));
  }
  FaultEvent Inject(Target& t, Rng& rng) override { return inner_->Inject(t, rng); }
  void Heal(Target& t) override { inner_->Heal(t); }
  bool NeedsRecovery() const override { return inner_->NeedsRecovery(); }
  bool CutsPower() const override { return inner_->CutsPower(); }
  void Teardown(Target& t) override { inner_->Teardown(t); }

 protected:
  Fault& inner() { return *inner_; }

 private:
  std::unique_ptr<Fault> inner_;
};

// Several faults in one run (Jepsen's combined nemesis): each cycle gets one of them,
// chosen in BeginCycle from `seed` and the cycle number, so a seed replays the same
// choices. Setup and Teardown reach every fault; the other hooks reach the cycle's
// fault. Every event records the chosen fault's registry name as extra["fault_spec"].
std::unique_ptr<Fault> MakeMixedFault(
    std::vector<std::pair<std::string, std::unique_ptr<Fault>>> faults, uint64_t seed);

}  // namespace crashlab

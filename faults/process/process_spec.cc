// The `kill` and `pause` faults: SIGKILL (of every process group, one process, or a whole
// cluster at once), optionally after a checkpoint; SIGSTOP/SIGCONT.
#include <signal.h>

#include "faults/process/process_fault.h"
#include "framework/registry.h"

namespace crashlab::faults {
namespace {

// Seed 004's "force a checkpoint, then crash": a checkpoint right before the wrapped fault.
class CheckpointThenFault : public FaultWrapper {
 public:
  using FaultWrapper::FaultWrapper;
  std::string Name() const override { return "checkpoint+" + FaultWrapper::Name(); }
  FaultEvent Inject(Target& t, Rng& rng) override {
    std::string checkpoint = "done";
    try {
      As<Checkpointer>(t)->Checkpoint();
    } catch (const std::exception& e) {
      checkpoint = std::string("failed: ") + e.what();
    }
    FaultEvent ev = FaultWrapper::Inject(t, rng);
    ev.extra["checkpoint_before"] = checkpoint;
    return ev;
  }
};

// SIGKILL of every process of the store at the same instant (an OOM kill of a whole
// container, a node crash without power loss): backends die mid-commit too.
class ClusterKillFault : public Fault {
 public:
  std::string Name() const override { return "sigkill-cluster"; }
  FaultEvent Inject(Target& t, Rng&) override {
    const int n = As<ClusterSignaller>(t)->SignalCluster(SIGKILL);
    FaultEvent ev;
    ev.fault = "sigkill";
    ev.detail = "every process of the store: " + std::to_string(n) + " process(es)";
    ev.extra["scope"] = "cluster";
    return ev;
  }
};

std::unique_ptr<Fault> BuildKill(FaultContext& ctx) {
  const std::string& scope = ctx.knobs.Get("kill_scope");
  std::unique_ptr<Fault> fault;
  if (scope == "cluster") {
    if (!ctx.store.capabilities.count(capability::kClusterKill)) {
      throw UsageError(
          "kill_scope=cluster: " + ctx.store.name + " cannot signal all its processes at once",
          "kill_scope");
    }
    fault = std::make_unique<ClusterKillFault>();
  } else {
    fault = MakeKillFault(ParseKillScope(scope));
  }
  if (ctx.knobs.Has("checkpoint_before_kill") && ctx.knobs.GetBool("checkpoint_before_kill")) {
    fault = std::make_unique<CheckpointThenFault>(std::move(fault));
  }
  return fault;
}

}  // namespace

CRASHLAB_FAULT(kill) {
  FaultSpec f;
  f.name = "kill";
  f.description = "SIGKILL of its processes while clients write; acknowledged writes must survive";
  f.needs = {capability::kProcesses};
  f.knobs = {
      Knob::Choice("kill_scope", "all", {"all", "one", "cluster"},
                   "all: every process group of the store; one: one process chosen by the seed; "
                   "cluster: every process of the store at the same instant (stores that can)"),
      Knob::Bool("checkpoint_before_kill", false, "force a checkpoint right before each kill")
          .Needs(capability::kCheckpoint),
  };
  f.build = BuildKill;
  return f;
}

CRASHLAB_FAULT(pause) {
  FaultSpec f;
  f.name = "pause";
  f.description =
      "its processes frozen with SIGSTOP, then resumed: nothing may be lost or duplicated";
  f.needs = {capability::kProcesses};
  f.knobs = {Knob::Int("hold_ms", 200, "how long the processes stay stopped", 0, 600000)};
  f.defaults.cycles = 5;
  f.build = [](FaultContext& ctx) {
    return MakePauseFault(std::chrono::milliseconds(ctx.knobs.GetInt("hold_ms")));
  };
  return f;
}

}  // namespace crashlab::faults

// The `container` fault: engine-level faults on a store's containers, one action per
// cycle (several actions mix across cycles, seeded).
#include <algorithm>

#include "faults/container/container_fault.h"
#include "framework/registry.h"

namespace crashlab::container {
namespace {

std::unique_ptr<Fault> BuildContainerFault(FaultContext& ctx) {
  const auto actions = ctx.knobs.GetList("action");
  const auto one = [&](const std::string& action) {
    ContainerFaultOptions o;
    o.action = ParseAction(action);
    o.scope = ctx.knobs.Get("scope");
    o.pause_hold = std::chrono::milliseconds(ctx.knobs.GetInt("hold_ms"));
    return MakeContainerFault(o);
  };
  if (actions.size() == 1) return one(actions.front());
  if (std::find(actions.begin(), actions.end(), "policy") != actions.end()) {
    throw UsageError(
        "action=policy gives the containers a restart policy: it cannot mix with other actions",
        "action");
  }
  std::vector<std::pair<std::string, std::unique_ptr<Fault>>> faults;
  for (const auto& a : actions) faults.emplace_back("container-" + a, one(a));
  return MakeMixedFault(std::move(faults), SubSeed(ctx.options.seed, 0x636f6e74 /* "cont" */));
}

}  // namespace

CRASHLAB_FAULT(container) {
  FaultSpec f;
  f.name = "container";
  f.description =
      "the store in containers of a private podman/docker engine under kill, stop, "
      "graceful restart, pause, restart-policy or recreate cycles";
  f.needs = {capability::kContainer};
  f.knobs = {
      Knob::Choice("engine", "auto", {"auto", "podman", "docker"},
                   "container engine (auto: podman if usable, else docker); started privately"),
      Knob::Choice("mount", "bind", {"bind", "volume", "none"},
                   "data on a bind-mounted host dir, a named volume, or (none) only in the "
                   "container's layer"),
      Knob::ChoiceList(
          "action", "kill", {"kill", "stop", "restart", "pause", "policy", "recreate"},
          "kill: engine kill + start; stop: stop -t 0 + start; restart: graceful restart; "
          "pause: freeze then unpause; policy: crash the main process, --restart brings "
          "it back; recreate: rm + run (only mounted data survives); several: one per "
          "cycle, seeded"),
      Knob::Choice("policy", "on-failure", {"on-failure", "always"},
                   "restart policy for action=policy"),
      Knob::Int("hold_ms", 1500, "action=pause: how long the containers stay frozen", 0, 600000),
      Knob::Choice("scope", "all", {"all", "one", "some"},
                   "which containers a cycle hits (seeded)"),
  };
  f.prerequisites = {{"a container engine (podman or docker)", MissingContainerEngine}};
  f.defaults.cycles = 5;
  f.build = BuildContainerFault;
  return f;
}

}  // namespace crashlab::container

// ContainerFault: engine-level faults on the containers of a ContainerTarget, timed.
#include "faults/container/container_fault.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "workloads/container/container_target.h"
#include "workloads/container/engine.h"

namespace crashlab::container {

ContainerAction ParseAction(const std::string& s) {
  if (s == "kill") return ContainerAction::kKill;
  if (s == "stop") return ContainerAction::kStop;
  if (s == "restart") return ContainerAction::kRestart;
  if (s == "pause") return ContainerAction::kPause;
  if (s == "policy") return ContainerAction::kPolicy;
  if (s == "recreate") return ContainerAction::kRecreate;
  throw std::invalid_argument(
      "container fault must be kill, stop, restart, pause, policy or recreate, not '" + s + "'");
}

std::string ToString(ContainerAction a) {
  switch (a) {
    case ContainerAction::kKill:
      return "kill";
    case ContainerAction::kStop:
      return "stop";
    case ContainerAction::kRestart:
      return "restart";
    case ContainerAction::kPause:
      return "pause";
    case ContainerAction::kPolicy:
      return "policy";
    case ContainerAction::kRecreate:
      return "recreate";
  }
  return "?";
}

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
std::string Fmt(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", ms);
  return b;
}

class ContainerFault : public Fault {
 public:
  explicit ContainerFault(ContainerFaultOptions o) : o_(std::move(o)) {}
  std::string Name() const override { return "container-" + ToString(o_.action); }

  FaultEvent Inject(Target& target, Rng& rng) override {
    auto* t = dynamic_cast<ContainerTarget*>(&target);
    if (t == nullptr)
      throw std::invalid_argument(Name() + ": target " + target.Name() + " is not in a container");
    FaultEvent ev;
    ev.fault = Name();
    const std::vector<int> hit = Choose(*t, rng);
    std::string names;
    for (int i : hit) names += (names.empty() ? "" : ",") + t->ContainerName(i);
    ev.detail = ToString(o_.action) + " " + names + " (" + t->engine().Name() + ")";
    ev.extra["engine"] = t->engine().Name();
    ev.extra["containers"] = names;
    ev.extra["data_before"] = t->DataOwner(hit.front());
    try {
      Run(*t, hit, ev);
      if (o_.action != ContainerAction::kPause) ev.extra["data_after"] = t->DataOwner(hit.front());
    } catch (const std::exception& e) {
      // Inject must not throw past the runner's workers; Recover reports the store.
      ev.extra["error"] = e.what();
    }
    return ev;
  }

  void Heal(Target& target) override {
    auto* t = dynamic_cast<ContainerTarget*>(&target);
    if (t == nullptr) return;
    for (int i : paused_) t->engine().Run({"unpause", t->ContainerName(i)});
    paused_.clear();
  }

 private:
  std::vector<int> Choose(ContainerTarget& t, Rng& rng) {
    const int n = t.containers();
    std::vector<int> out;
    if (o_.scope == "one") {
      out.push_back(static_cast<int>(rng.Uniform(0, n - 1)));
    } else if (o_.scope == "some") {
      for (int i = 0; i < n; ++i) {
        if (rng.Uniform(0, 1) == 1) out.push_back(i);
      }
      if (out.empty()) out.push_back(static_cast<int>(rng.Uniform(0, n - 1)));
    } else {
      for (int i = 0; i < n; ++i) out.push_back(i);
    }
    return out;
  }

  void Run(ContainerTarget& t, const std::vector<int>& hit, FaultEvent& ev) {
    Engine& e = t.engine();
    std::vector<pid_t> old(hit.size());
    for (size_t k = 0; k < hit.size(); ++k) old[k] = e.Inspect(t.ContainerName(hit[k])).pid;
    const auto t0 = Clock::now();
    switch (o_.action) {
      case ContainerAction::kPause: {
        for (int i : hit) {
          e.Check({"pause", t.ContainerName(i)});
          paused_.push_back(i);
        }
        const auto until = Clock::now() + o_.pause_hold;
        while (Clock::now() < until && !supervisor::Interrupted())
          std::this_thread::sleep_for(Millis(10));
        ev.extra["pause_ms"] = Fmt(Ms(Clock::now() - t0));
        return;  // Heal unpauses after the workers stopped; Recover probes readiness
      }
      case ContainerAction::kRestart: {
        // Graceful: SIGTERM, the store closes cleanly, SIGKILL only after the timeout.
        double gone = 0, start_ready = 0, store = 0;
        for (size_t k = 0; k < hit.size(); ++k) {
          const auto t1 = Clock::now();
          e.Check({"restart", "--time", std::to_string(t.options().stop_timeout.count() / 1000),
                   t.ContainerName(hit[k])});
          if (old[k] > 0 && !PidGone(old[k])) t.WaitGone(hit[k], old[k]);
          gone = std::max(gone, Ms(Clock::now() - t1));
          const auto running = t.WaitReady(hit[k], old[k]);
          start_ready = std::max(start_ready, Ms(Clock::now() - t1));
          store = std::max(store, Ms(Clock::now() - running));
        }
        ev.extra["restart_cmd_ms"] = Fmt(gone);
        ev.extra["restart_to_ready_ms"] = Fmt(start_ready);
        ev.extra["store_recovery_ms"] = Fmt(store);
        ev.extra["stop_to_ready_ms"] = Fmt(Ms(Clock::now() - t0));
        return;
      }
      case ContainerAction::kPolicy: {
        std::string before, after;
        for (size_t k = 0; k < hit.size(); ++k) {
          before += (before.empty() ? "" : ",") +
                    std::to_string(e.Inspect(t.ContainerName(hit[k])).restart_count);
          if (old[k] > 0) ::kill(old[k], SIGKILL);  // a crash, not a `kill` command
        }
        ev.extra["restart_count_before"] = before;
        break;
      }
      case ContainerAction::kKill:
        for (int i : hit) e.Check({"kill", "--signal", "KILL", t.ContainerName(i)});
        break;
      case ContainerAction::kStop:
        for (int i : hit) e.Check({"stop", "--time", "0", t.ContainerName(i)});
        break;
      case ContainerAction::kRecreate:
        for (int i : hit) t.RemoveContainer(i);
        break;
    }
    // Prove every old process gone before anything starts again.
    for (size_t k = 0; k < hit.size(); ++k) {
      if (o_.action == ContainerAction::kRecreate) continue;  // RemoveContainer waited
      t.WaitGone(hit[k], old[k]);
    }
    ev.extra["gone_ms"] = Fmt(Ms(Clock::now() - t0));
    const auto t_start = Clock::now();
    for (int i : hit) {
      if (o_.action == ContainerAction::kRecreate)
        t.RunContainer(i);
      else if (o_.action != ContainerAction::kPolicy)
        e.Check({"start", t.ContainerName(i)});
    }
    double store = 0;
    for (size_t k = 0; k < hit.size(); ++k) {
      const auto running = t.WaitReady(hit[k], old[k]);
      store = std::max(store, Ms(Clock::now() - std::max(running, t_start)));
    }
    ev.extra["start_to_ready_ms"] = Fmt(Ms(Clock::now() - t_start));
    ev.extra["store_recovery_ms"] = Fmt(store);
    ev.extra["stop_to_ready_ms"] = Fmt(Ms(Clock::now() - t0));
    if (o_.action == ContainerAction::kPolicy) {
      std::string after;
      for (int i : hit)
        after += (after.empty() ? "" : ",") +
                 std::to_string(e.Inspect(t.ContainerName(i)).restart_count);
      ev.extra["restart_count_after"] = after;
    }
  }

  ContainerFaultOptions o_;
  std::vector<int> paused_;
};

}  // namespace

std::unique_ptr<Fault> MakeContainerFault(ContainerFaultOptions options) {
  return std::make_unique<ContainerFault>(std::move(options));
}

std::string MissingContainerEngine() {
  std::string why;
  return ChooseEngine("auto", &why) ? "" : why;
}

}  // namespace crashlab::container

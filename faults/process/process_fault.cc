// SIGKILL and SIGSTOP/SIGCONT faults on the target's local processes.
#include "faults/process/process_fault.h"

#include <signal.h>
#include <string.h>

#include <stdexcept>
#include <thread>

#include "framework/capabilities.h"
#include "framework/process.h"

namespace crashlab::faults {

KillScope ParseKillScope(const std::string& s) {
  if (s == "all") return KillScope::kAll;
  if (s == "one") return KillScope::kOne;
  throw std::invalid_argument("kill scope must be 'all' or 'one', not '" + s + "'");
}

namespace {

class KillFault : public Fault {
 public:
  KillFault(KillScope scope, int sig) : scope_(scope), sig_(sig) {}
  std::string Name() const override { return std::string("sig") + sigabbrev_np(sig_); }
  FaultEvent Inject(Target& target, Rng& rng) override {
    auto procs = target.Processes();
    if (procs.empty())
      throw std::runtime_error(Name() + ": target " + target.Name() +
                               " has no local process to kill");
    FaultEvent ev;
    ev.fault = "sigkill";
    if (sig_ != SIGKILL) ev.fault = Name();
    if (scope_ == KillScope::kOne) {
      Process* p =
          procs[static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(procs.size()) - 1))];
      p->SignalGroup(sig_);
      ev.detail = p->name() + " pid " + std::to_string(p->pid());
    } else {
      for (Process* p : procs) p->SignalGroup(sig_);
      ev.detail = "all " + std::to_string(procs.size()) + " process group(s)";
    }
    ev.extra["scope"] = scope_ == KillScope::kAll ? "all" : "one";
    return ev;
  }

 private:
  KillScope scope_;
  int sig_;
};

class PauseFault : public Fault {
 public:
  explicit PauseFault(std::chrono::milliseconds hold) : hold_(hold) {}
  std::string Name() const override { return "pause"; }
  FaultEvent Inject(Target& target, Rng&) override {
    // A store whose processes are not all in its groups (PostgreSQL's backends call
    // setsid) is frozen process by process, or its backends would keep serving.
    cluster_ = As<ClusterSignaller>(target);
    paused_ = target.Processes();
    const int n = cluster_ ? cluster_->SignalCluster(SIGSTOP) : Stop(paused_);
    std::this_thread::sleep_for(hold_);
    FaultEvent ev;
    ev.fault = "pause";
    ev.detail = "SIGSTOP " + std::to_string(n) + (cluster_ ? " process(es)" : " group(s)") +
                " for " + std::to_string(hold_.count()) + " ms";
    return ev;
  }
  void Heal(Target&) override {
    if (cluster_) cluster_->SignalCluster(SIGCONT);
    for (Process* p : paused_) p->SignalGroup(SIGCONT);
    paused_.clear();
    cluster_ = nullptr;
  }
  bool NeedsRecovery() const override { return false; }

 private:
  static int Stop(const std::vector<Process*>& procs) {
    for (Process* p : procs) p->SignalGroup(SIGSTOP);
    return static_cast<int>(procs.size());
  }
  std::chrono::milliseconds hold_;
  std::vector<Process*> paused_;
  ClusterSignaller* cluster_ = nullptr;
};

}  // namespace

std::unique_ptr<Fault> MakeKillFault(KillScope scope, int signal) {
  return std::make_unique<KillFault>(scope, signal);
}
std::unique_ptr<Fault> MakePauseFault(std::chrono::milliseconds hold) {
  return std::make_unique<PauseFault>(hold);
}

}  // namespace crashlab::faults

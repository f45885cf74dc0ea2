// SyncErrorFault: a seeded window of failing syncs, then a SIGKILL of the store.
#include "faults/syncerror/sync_error_fault.h"

#include <signal.h>

#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "faults/fiu/fiu.h"
#include "framework/process.h"

namespace fs = std::filesystem;

namespace crashlab::syncerror {

SyncErrorVia ParseSyncErrorVia(const std::string& s) {
  if (s == "syncfault") return SyncErrorVia::kSyncfault;
  if (s == "fiu") return SyncErrorVia::kFiu;
  if (s == "crashfs") return SyncErrorVia::kCrashfs;
  throw UsageError("via must be syncfault, fiu or crashfs, not '" + s + "'", "via");
}

std::vector<std::string> FiuWrapper(const fs::path& ctl_dir) {
  fs::create_directories(ctl_dir);
  fiu::RunOptions o;
  o.ctl_dir = ctl_dir;
  return fiu::FiuRunArgv(o, {});
}

namespace {

class SyncErrorFault : public Fault {
 public:
  SyncErrorFault(std::shared_ptr<storage::LocalStorage> storage, SyncErrorOptions o)
      : storage_(std::move(storage)), o_(std::move(o)) {
    if (o_.fiu_points.empty()) o_.fiu_points = {fiu::points::kFsync, fiu::points::kFdatasync};
  }
  std::string Name() const override { return o_.name; }

  FaultEvent Inject(Target& target, Rng& rng) override {
    const auto window =
        std::chrono::milliseconds(rng.Uniform(o_.min_window.count(), o_.max_window.count()));
    std::vector<Process*> procs = target.Processes();
    FaultEvent ev;
    ev.fault = o_.name;
    auto& x = ev.extra;
    x["window_ms"] = std::to_string(window.count());
    x["errno"] = std::to_string(o_.error);
    std::vector<std::unique_ptr<fiu::FiuControl>> fius;
    std::map<syncfault::Function, syncfault::Counters> before;
    uint64_t crashfs_seq = 0;
    // Open the window.
    switch (o_.via) {
      case SyncErrorVia::kSyncfault: {
        auto& c = storage_->SyncControl();
        for (auto f : syncfault::kDataSyncFunctions) before[f] = c.counters(f);
        c.SetRule(syncfault::kDataSyncFunctions, syncfault::Rule::Fail(o_.error));
        x["via"] = "syncfault";
        x["functions"] = "fsync,fdatasync,syncfs,sync_file_range,msync";
        break;
      }
      case SyncErrorVia::kFiu: {
        int enabled = 0;
        for (Process* p : procs) {
          auto c = std::make_unique<fiu::FiuControl>(o_.fiu_ctl_dir, p->pid());
          c->set_timeout(std::chrono::milliseconds(2000));
          for (const auto& point : o_.fiu_points) {
            fiu::FailurePoint fp;
            fp.name = point;
            fp.failinfo = o_.error;
            if (c->Enable(fp)) ++enabled;
          }
          fius.push_back(std::move(c));
        }
        x["via"] = "fiu";
        std::string pts;
        for (const auto& p : o_.fiu_points) pts += (pts.empty() ? "" : ",") + p;
        x["functions"] = pts;
        x["fiu_points_enabled"] = std::to_string(enabled);
        break;
      }
      case SyncErrorVia::kCrashfs: {
        if (storage_->crashfs() == nullptr)
          throw std::runtime_error(o_.name + ": via=crashfs needs storage=crashfs");
        for (const auto& e : storage_->crashfs()->Events())
          crashfs_seq = std::max(crashfs_seq, e.seq);
        storage_->crashfs()->SetSyncMode(crashfs::SyncMode::kFail);
        x["via"] = "crashfs";
        x["functions"] = "fsync,fdatasync,fsyncdir";
        break;
      }
    }
    // While it is open: watch what the store does.
    std::set<std::string> marked;
    std::map<pid_t, std::string> exited;
    const auto end = Clock::now() + window;
    for (;;) {
      for (Process* p : procs) {
        if (!exited.count(p->pid()) && !p->Running())
          exited[p->pid()] = p->name() + " " + p->DescribeExit();
      }
      CollectMarkers(target, marked);
      if (Clock::now() >= end || supervisor::Interrupted()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Close it.
    switch (o_.via) {
      case SyncErrorVia::kSyncfault: {
        storage_->ApplyBaseSyncMode();
        uint64_t failed = 0;
        for (auto f : syncfault::kDataSyncFunctions) {
          const auto now = storage_->SyncControl().counters(f);
          const uint64_t n = now.failed - before[f].failed;
          failed += n;
          if (n) x[std::string("failed.") + syncfault::FunctionName(f)] = std::to_string(n);
        }
        x["failed_calls"] = std::to_string(failed);
        break;
      }
      case SyncErrorVia::kFiu:
        for (size_t i = 0; i < fius.size(); ++i) {
          if (!procs[i]->Running()) continue;  // fiu-ctrl would block on a dead target
          for (const auto& point : o_.fiu_points) fius[i]->Disable(point);
        }
        break;
      case SyncErrorVia::kCrashfs: {
        storage_->ApplyBaseSyncMode();
        uint64_t failed = 0;
        for (const auto& e : storage_->crashfs()->Events()) {
          if (e.seq > crashfs_seq && e.error == EIO && e.note == "injected") ++failed;
        }
        x["failed_calls"] = std::to_string(failed);
        break;
      }
    }
    CollectMarkers(target, marked);
    std::string ex;
    for (const auto& [pid, what] : exited) ex += (ex.empty() ? "" : "; ") + what;
    x["store_exited"] = ex.empty() ? "no" : ex;
    std::string lines;
    for (const auto& l : marked) lines += l + "\n";
    x["store_log"] = lines;
    x["store_log_marked"] = std::to_string(marked.size());
    // Then a crash: whatever the store acknowledged must survive a restart.
    for (Process* p : procs) p->SignalGroup(SIGKILL);
    const int others = storage::KillUsersOf(target.DataDir());
    ev.detail = std::to_string(window.count()) + " ms of " + x["functions"] +
                " failing with errno " + std::to_string(o_.error) + " via " + x["via"] +
                ", then SIGKILL of " + std::to_string(procs.size()) + " group(s) + " +
                std::to_string(others) + " process(es)";
    return ev;
  }

 private:
  void CollectMarkers(Target& target, std::set<std::string>& marked) {
    if (o_.log_markers.empty()) return;
    std::istringstream in(target.LogExcerpt());
    std::string line;
    while (std::getline(in, line)) {
      for (const auto& m : o_.log_markers) {
        if (line.find(m) != std::string::npos && marked.size() < 20) marked.insert(line);
      }
    }
  }

  std::shared_ptr<storage::LocalStorage> storage_;
  SyncErrorOptions o_;
};

}  // namespace

std::unique_ptr<Fault> MakeSyncErrorFault(std::shared_ptr<storage::LocalStorage> storage,
                                          SyncErrorOptions options) {
  if (options.via == SyncErrorVia::kCrashfs && (!storage || storage->crashfs() == nullptr)) {
    throw UsageError("via=crashfs needs storage=crashfs", "via");
  }
  if (options.via == SyncErrorVia::kSyncfault)
    storage->SyncControl();  // before the target's env is taken
  return std::make_unique<SyncErrorFault>(std::move(storage), std::move(options));
}

}  // namespace crashlab::syncerror

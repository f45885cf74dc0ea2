// PowerCutFault and CrashPointFault: the runner sequence of crashfs's README
// (freeze -> SIGKILL -> power cut -> reap).
#include "faults/powercut/powercut_fault.h"

#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "framework/process.h"
#include "framework/scenario.h"

namespace fs = std::filesystem;

namespace crashlab::powercut {

Knob TornKnob() {
  return Knob::Choice("torn", "none", {"none", "pages", "prefix", "seq"},
                      "what survives of unsynced writes: nothing, random 4 KiB pages, "
                      "a 512-byte-aligned prefix of each file's last write (a last write "
                      "under 512 bytes is dropped whole), or a seeded subset of the writes "
                      "since each file's last sync (seq)");
}

Knob TargetKnob() {
  return Knob::String("target", "",
                      "only files whose path in the data dir matches this glob ('*' also "
                      "matches '/') lose unsynced data or tear at a cut; empty = every file. "
                      "Namespace operations are undone regardless");
}

crashfs::CutOptions::Torn ParseTorn(const std::string& s) {
  auto t = crashfs::ParseTorn(s);
  if (!t) throw UsageError("torn must be none, pages, prefix or seq, not '" + s + "'");
  return *t;
}

namespace {

// Events of interest for a write-up: what a store did to make data durable.
bool Interesting(const std::string& kind) {
  static const std::set<std::string> k{"create",  "mkdir",     "unlink",    "rmdir",
                                       "rename",  "fsync",     "fdatasync", "fsyncdir",
                                       "trigger", "sync-mode", "link"};
  return k.count(kind) > 0;
}

std::string Line(const crashfs::Event& e) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << e.t_ms << "ms " << e.kind << " " << e.path;
  if (!e.path2.empty()) s << " -> " << e.path2;
  if (e.error) s << " errno=" << e.error;
  if (!e.note.empty()) s << " (" << e.note << ")";
  return s.str();
}

// Counts the events after `last_seq` by kind into ev.extra["ops.<kind>"] and lists the
// last `tail` interesting ones in ev.extra["sequence"]; advances last_seq.
void SummarizeEvents(crashfs::CrashFs& cfs, uint64_t& last_seq, FaultEvent& ev, size_t tail = 16) {
  const auto events = cfs.Events();
  std::map<std::string, uint64_t> counts;
  std::vector<const crashfs::Event*> seq;
  for (const auto& e : events) {
    if (e.seq <= last_seq) continue;
    ++counts[e.kind];
    if (Interesting(e.kind)) seq.push_back(&e);
  }
  if (!events.empty()) last_seq = std::max(last_seq, events.back().seq);
  for (const auto& [k, n] : counts) ev.extra["ops." + k] = std::to_string(n);
  // Namespace operations and directory syncs are few and decide what a cut brings back:
  // all of them (up to 64); of the data syncs only the last `tail` interesting events.
  std::string ns;
  size_t n_ns = 0;
  for (const auto* e : seq) {
    if (e->kind == "fsync" || e->kind == "fdatasync") continue;
    if (++n_ns <= 64) ns += Line(*e) + "\n";
  }
  ev.extra["namespace_ops"] = ns;
  std::string lines;
  for (size_t i = seq.size() > tail ? seq.size() - tail : 0; i < seq.size(); ++i) {
    lines += Line(*seq[i]) + "\n";
  }
  ev.extra["sequence"] = lines;
}

// Up to `max` lines, newline-separated, with a count of the rest.
std::string Lines(const std::vector<std::string>& v, size_t max = 64) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) out += v[i] + "\n";
  if (v.size() > max) out += "... " + std::to_string(v.size() - max) + " more\n";
  return out;
}

// The persistence model of the cut, and for a finding (read by the report only when the
// cycle is invalid) the models under which this cut's state is the same: there the loss
// is exposed too. A model that would have kept some dropped namespace op leaves another
// state, which this cut did not check.
void DescribeModels(const crashfs::CutReport& r, FaultEvent& ev) {
  auto& x = ev.extra;
  x["fs_model"] = r.fs_model;
  x["unsynced_files"] = Lines(r.unsynced_files);
  x["pending_ops"] = Lines(r.pending_ops);
  std::string exposed = r.fs_model, differs;
  for (const auto& [model, kept] : r.dropped_ops_kept_under) {
    x["dropped_ops_kept_under." + model] = std::to_string(kept);
    if (r.fs_model != "posix") continue;  // only posix keeps least: the others are checked alone
    if (kept == 0) {
      exposed += "," + model;
    } else {
      differs += (differs.empty() ? "" : "; ") + model + " keeps " + std::to_string(kept) +
                 " of the " + std::to_string(r.pending_ops.size()) +
                 " namespace op(s) this cut dropped";
    }
  }
  x["finding.checked_under"] = r.fs_model;
  x["finding.exposed_under"] = exposed;
  x["finding.summary"] =
      "exposed under " + exposed + (exposed.find(',') == std::string::npos ? " only" : "") +
      (differs.empty()
           ? ""
           : " (" + differs + ": a different crash state; run with fs_model=" +
                 (r.fs_model == "posix" ? std::string("ext4") : r.fs_model) + " to check it)");
}

// Freeze (if not yet), SIGKILL, power cut, reap: crashfs's runner sequence.
FaultEvent CutAndReap(Target& target, storage::LocalStorage& storage,
                      crashfs::CutOptions::Torn torn, const std::string& frozen_by,
                      uint64_t& last_seq, const std::string& glob = "") {
  crashfs::CrashFs& cfs = *storage.crashfs();
  cfs.Freeze();
  const crashfs::Stats before = cfs.GetStats();
  std::vector<Process*> procs = target.Processes();
  for (Process* p : procs) p->SignalGroup(SIGKILL);
  // Processes outside the target's groups that use the mount (PostgreSQL backends call
  // setsid): none may live on to write to the new mount after the cut.
  const int others = storage::KillUsersOf(storage.mountpoint());
  const uint64_t bytes_before = storage::TreeBytes(storage.backing());
  crashfs::CutOptions cut;
  cut.torn = torn;
  cut.target = glob;
  const crashfs::CutReport r = cfs.PowerCut(cut);
  const uint64_t bytes_after = storage::TreeBytes(storage.backing());
  std::string reap_error;
  for (Process* p : procs) {
    try {
      p->KillAndReap();
    } catch (const std::exception& e) {
      reap_error = e.what();
    }
  }
  supervisor::ReapOrphans();

  FaultEvent ev;
  ev.fault = "power-cut";
  ev.detail = "frozen at " + frozen_by + "; " + std::to_string(procs.size()) +
              " process group(s) + " + std::to_string(others) +
              " process(es) using the mount SIGKILLed; " + std::to_string(r.files_rolled_back) +
              " file(s) rolled back, " + std::to_string(r.meta_ops_undone) +
              " directory op(s) undone";
  auto& x = ev.extra;
  x["frozen_by"] = frozen_by;
  x["torn"] = crashfs::ToString(torn);
  if (!glob.empty()) x["target"] = glob;
  x["dirty_files"] = std::to_string(before.dirty_files);
  x["pending_meta_ops"] = std::to_string(before.pending_meta_ops);
  x["files_rolled_back"] = std::to_string(r.files_rolled_back);
  x["pages_restored"] = std::to_string(r.pages_restored);
  x["pages_kept_torn"] = std::to_string(r.pages_kept_torn);
  x["meta_ops_undone"] = std::to_string(r.meta_ops_undone);
  x["meta_ops_skipped"] = std::to_string(r.meta_ops_skipped);
  x["unsynced_bytes_dropped"] =
      std::to_string(bytes_before > bytes_after ? bytes_before - bytes_after : 0);
  x["cut_ms"] = std::to_string(r.total_ms);
  if (!reap_error.empty()) x["reap_error"] = reap_error;
  SummarizeEvents(cfs, last_seq, ev);
  DescribeModels(r, ev);
  return ev;
}

class PowerCutFault : public Fault {
 public:
  PowerCutFault(std::shared_ptr<storage::LocalStorage> storage, crashfs::CutOptions::Torn torn,
                std::string target)
      : storage_(std::move(storage)), torn_(torn), target_(std::move(target)) {}
  std::string Name() const override { return "power-cut"; }
  void BeginCycle(Target&, uint32_t, std::function<void()>) override {
    std::lock_guard lock(mu_);
    if (torn_ == crashfs::CutOptions::Torn::kSeq) storage_->crashfs()->RecordWrites(true);
    cut_ = false;
    frozen_by_ = "inject";
  }
  void AtTrigger(Target&) override {
    std::lock_guard lock(mu_);
    if (cut_) return;  // the cut already happened (time schedule): never freeze the new mount
    storage_->crashfs()->Freeze();
    frozen_by_ = "trigger ack";
  }
  FaultEvent Inject(Target& target, Rng&) override {
    std::lock_guard lock(mu_);
    cut_ = true;
    return CutAndReap(target, *storage_, torn_, frozen_by_, last_seq_, target_);
  }
  bool CutsPower() const override { return true; }

 private:
  std::shared_ptr<storage::LocalStorage> storage_;
  crashfs::CutOptions::Torn torn_;
  std::string target_;
  std::mutex mu_;
  bool cut_ = false;                  // guarded by mu_
  std::string frozen_by_ = "inject";  // guarded by mu_
  uint64_t last_seq_ = 0;
};

class CrashPointFault : public Fault {
 public:
  CrashPointFault(std::shared_ptr<storage::LocalStorage> storage, std::vector<crashfs::FsOp> kinds,
                  uint32_t per_kind, std::string glob)
      : storage_(std::move(storage)),
        kinds_(std::move(kinds)),
        per_kind_(per_kind),
        glob_(std::move(glob)) {}
  ~CrashPointFault() override { StopWaiter(); }
  std::string Name() const override { return "crash-points"; }

  void BeginCycle(Target&, uint32_t cycle, std::function<void()> fire) override {
    StopWaiter();
    const uint32_t i = cycle - 1;
    point_.op = kinds_[(i / per_kind_) % kinds_.size()];
    point_.k = i % per_kind_ + 1;
    point_.glob = glob_;
    storage_->crashfs()->ArmTrigger(point_);
    stop_ = false;
    waiter_ = std::thread([this, fire = std::move(fire)] {
      while (!stop_.load()) {
        if (storage_->crashfs()->WaitTriggered(std::chrono::milliseconds(20))) {
          fire();
          return;
        }
      }
    });
  }
  FaultEvent Inject(Target& target, Rng&) override {
    StopWaiter();
    crashfs::CrashFs& cfs = *storage_->crashfs();
    const bool reached = cfs.Triggered();
    cfs.DisarmTrigger();
    // The operation the cut came before (the trigger event), for the report.
    std::string op_path;
    // The trigger's event is logged just after the freeze: give it a moment.
    for (int i = 0; reached && i < 50 && op_path.empty(); ++i) {
      for (const auto& e : cfs.Events()) {
        if (e.seq > last_seq_ && e.kind == "trigger") op_path = "?";
      }
      if (op_path.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    op_path.clear();
    for (const auto& e : cfs.Events()) {
      if (e.seq > last_seq_ && e.kind == "trigger") {
        op_path = (e.path.empty() ? std::string(".") : e.path) +
                  (e.path2.empty() ? "" : " -> " + e.path2);
      }
    }
    const std::string point =
        std::string(crashfs::ToString(point_.op)) + " #" + std::to_string(point_.k);
    FaultEvent ev = CutAndReap(
        target, *storage_, crashfs::CutOptions::Torn::kNone,
        reached ? "crash point " + point : "schedule (crash point " + point + " not reached)",
        last_seq_);
    ev.fault = "crash-point";
    ev.detail = (reached ? "cut right before " + point + " (" + op_path + "): "
                         : "crash point " + point + " not reached; cut when the schedule fired: ") +
                ev.detail;
    ev.extra["crash_point"] = point;
    ev.extra["k"] = std::to_string(point_.k);
    ev.extra["op"] = crashfs::ToString(point_.op);
    ev.extra["reached"] = reached ? "yes" : "no";
    ev.extra["op_path"] = op_path;
    return ev;
  }
  void Heal(Target&) override { StopWaiter(); }
  void Teardown(Target&) override {
    StopWaiter();
    storage_->crashfs()->DisarmTrigger();
  }
  bool CutsPower() const override { return true; }

 private:
  void StopWaiter() {
    stop_ = true;
    if (waiter_.joinable()) waiter_.join();
  }

  std::shared_ptr<storage::LocalStorage> storage_;
  std::vector<crashfs::FsOp> kinds_;
  uint32_t per_kind_;
  std::string glob_;
  crashfs::CrashPoint point_;
  std::atomic<bool> stop_{false};
  std::thread waiter_;
  uint64_t last_seq_ = 0;
};

}  // namespace

std::unique_ptr<Fault> MakePowerCutFault(std::shared_ptr<storage::LocalStorage> storage,
                                         crashfs::CutOptions::Torn torn, std::string target) {
  if (!storage || storage->crashfs() == nullptr) {
    throw UsageError("a power cut needs storage=crashfs (the layer that knows what was synced)");
  }
  return std::make_unique<PowerCutFault>(std::move(storage), torn, std::move(target));
}

std::unique_ptr<Fault> MakeCrashPointFault(std::shared_ptr<storage::LocalStorage> storage,
                                           std::vector<crashfs::FsOp> kinds, uint32_t per_kind,
                                           std::string glob) {
  if (!storage || storage->crashfs() == nullptr)
    throw UsageError("crash points need storage=crashfs");
  if (kinds.empty() || per_kind == 0)
    throw UsageError("crash points: need at least one op kind and K >= 1");
  return std::make_unique<CrashPointFault>(std::move(storage), std::move(kinds), per_kind,
                                           std::move(glob));
}

PowerCutDataDir MakePowerCutDataDir(const fs::path& work_dir, crashfs::CutOptions::Torn torn,
                                    uint64_t seed) {
  storage::StorageConfig config;
  config.kind = storage::StorageKind::kCrashfs;
  config.seed = seed;
  PowerCutDataDir d;
  d.storage = storage::LocalStorage::Create(config, work_dir);
  d.dir = d.storage->Place("data");
  d.fault = MakePowerCutFault(d.storage, torn);
  return d;
}

}  // namespace crashlab::powercut

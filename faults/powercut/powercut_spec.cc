// The `powercut` and `crashpoints` faults (crashfs storage).
#include <sstream>

#include "faults/powercut/powercut_fault.h"
#include "framework/registry.h"

namespace crashlab::powercut {
namespace {

std::vector<crashfs::FsOp> ParseFsOps(const std::string& list) {
  std::vector<crashfs::FsOp> kinds;
  for (const auto& item : SplitList(list)) {
    auto k = crashfs::ParseFsOp(item);
    if (!k) throw UsageError("ops: unknown operation kind '" + item + "'", "ops");
    kinds.push_back(*k);
  }
  return kinds;
}

std::vector<Prerequisite> CrashfsPrerequisites() {
  return {{"root and /dev/fuse (crashfs)", storage::MissingCrashfs}};
}

}  // namespace

CRASHLAB_FAULT(powercut) {
  FaultSpec f;
  f.name = "powercut";
  f.description =
      "data dir on crashfs, power cut (unsynced data and directory entries lost) right "
      "after an acknowledged write; acknowledged writes must survive";
  f.needs = {capability::kStorage, capability::kProcesses};
  f.knobs = {TornKnob(), TargetKnob()};
  f.knob_defaults = {{"storage", "crashfs"}};
  f.prerequisites = CrashfsPrerequisites();
  f.defaults.cycles = 5;
  f.build = [](FaultContext& ctx) {
    return MakePowerCutFault(storage::LocalStorage::Of(ctx.storage),
                             ParseTorn(ctx.knobs.Get("torn")), ctx.knobs.Get("target"));
  };
  return f;
}

CRASHLAB_FAULT(crashpoints) {
  FaultSpec f;
  f.name = "crashpoints";
  f.description =
      "data dir on crashfs, power cut right before the k-th fsync, directory fsync, "
      "rename or unlink of each cycle's load, k = 1..K for each kind in turn";
  f.needs = {capability::kStorage, capability::kProcesses};
  f.knobs = {
      Knob::Int("crash_points", 6, "K: crash points per operation kind", 1, 10000),
      Knob::String(
          "ops", "fsync,fsyncdir,unlink",
          "operation kinds swept in turn (fsync, fsyncdir, rename, unlink, create, write; any = "
          "the k-th operation of the merged sequence of all kinds)"),
      Knob::String("glob", "*", "only operations on paths matching this glob count"),
  };
  f.knob_defaults = {{"storage", "crashfs"}};
  f.prerequisites = CrashfsPrerequisites();
  f.defaults = {18, 1, "ops:60"};  // crash_points x kinds; the schedule is the fallback
  f.build = [](FaultContext& ctx) {
    return MakeCrashPointFault(
        storage::LocalStorage::Of(ctx.storage), ParseFsOps(ctx.knobs.Get("ops")),
        static_cast<uint32_t>(ctx.knobs.GetInt("crash_points")), ctx.knobs.Get("glob"));
  };
  return f;
}

}  // namespace crashlab::powercut

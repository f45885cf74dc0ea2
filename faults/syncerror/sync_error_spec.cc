// The `fsync-eio` and `enospc` faults: a seeded window of failing syncs (or writes), then
// a kill. A store's hints say which log lines show it noticed ("error_log_markers") and
// which calls its writes go through ("enospc_fiu_points").
#include <sstream>

#include "faults/fiu/fiu.h"
#include "faults/syncerror/sync_error_fault.h"
#include "framework/process.h"
#include "framework/registry.h"

namespace crashlab::syncerror {
namespace {

std::vector<std::string> Hint(const StoreSpec& store, const std::string& key) {
  auto it = store.hints.find(key);
  return it == store.hints.end() ? std::vector<std::string>{} : SplitList(it->second);
}

std::vector<Knob> WindowKnobs() {
  return {Knob::Int("window_min_ms", 200, "shortest window of failing calls", 1, 600000),
          Knob::Int("window_max_ms", 800, "longest window of failing calls", 1, 600000)};
}

SyncErrorOptions WindowFrom(const FaultContext& ctx) {
  SyncErrorOptions o;
  const auto min = ctx.knobs.GetInt("window_min_ms");
  o.min_window = std::chrono::milliseconds(min);
  o.max_window = std::chrono::milliseconds(std::max(ctx.knobs.GetInt("window_max_ms"), min));
  o.log_markers = Hint(ctx.store, "error_log_markers");
  return o;
}

std::filesystem::path FiuDir(const std::filesystem::path& work_dir) { return work_dir / "fiu"; }

std::string MissingFiu() {
  return ProgramOnPath("fiu-run") && ProgramOnPath("fiu-ctrl")
             ? ""
             : "libfiu's fiu-run/fiu-ctrl not installed (apt-get install -y fiu-utils libfiu-dev)";
}

}  // namespace

CRASHLAB_FAULT(fsync_eio) {
  FaultSpec f;
  f.name = "fsync-eio";
  f.description =
      "fdatasync/fsync fail with EIO for a seeded window (syncfault preload, libfiu or "
      "crashfs), then a kill: acknowledged writes survive, failed ones are not phantoms";
  f.needs = {capability::kStorage, capability::kProcesses};
  f.knobs = {Knob::Choice("via", "syncfault", {"syncfault", "fiu", "crashfs"},
                          "how syncs fail: crashlab's preload, libfiu's fiu-run (stores that can "
                          "start under a wrapper), or crashfs (storage=crashfs)")};
  for (auto& k : WindowKnobs()) f.knobs.push_back(std::move(k));
  f.defaults = {3, std::nullopt, "ops:50-200"};
  f.prepare_store = [](StoreContext& ctx) {
    const SyncErrorVia via = ParseSyncErrorVia(ctx.knobs.Get("via"));
    // The preload's control file must exist before the store's environment is taken.
    if (via == SyncErrorVia::kSyncfault) storage::LocalStorage::Of(*ctx.storage).SyncControl();
    if (via == SyncErrorVia::kFiu) ctx.wrapper = FiuWrapper(FiuDir(ctx.work_dir));
  };
  f.build = [](FaultContext& ctx) {
    SyncErrorOptions o = WindowFrom(ctx);
    o.via = ParseSyncErrorVia(ctx.knobs.Get("via"));
    if (o.via == SyncErrorVia::kFiu) {
      if (!ctx.store.capabilities.count(capability::kWrapper)) {
        throw UsageError("via=fiu: " + ctx.store.name + " cannot run under fiu-run", "via");
      }
      if (const std::string why = MissingFiu(); !why.empty()) throw PrerequisiteMissing(why);
      o.fiu_ctl_dir = FiuDir(ctx.work_dir);
    }
    return MakeSyncErrorFault(storage::LocalStorage::Of(ctx.storage), o);
  };
  return f;
}

CRASHLAB_FAULT(enospc) {
  FaultSpec f;
  f.name = "enospc";
  f.description =
      "writes fail with ENOSPC (libfiu) for a seeded window, then a kill: \"disk full\" "
      "fails writes, acknowledged ones survive";
  f.needs = {capability::kStorage, capability::kProcesses, capability::kWrapper};
  f.applies = [](const StoreSpec& s) { return s.hints.count("enospc_fiu_points") != 0; };
  f.knobs = WindowKnobs();
  f.prerequisites = {{"fiu-run / fiu-ctrl (libfiu)", MissingFiu}};
  f.defaults = {3, std::nullopt, "ops:50-200"};
  f.prepare_store = [](StoreContext& ctx) { ctx.wrapper = FiuWrapper(FiuDir(ctx.work_dir)); };
  f.build = [](FaultContext& ctx) {
    SyncErrorOptions o = WindowFrom(ctx);
    o.via = SyncErrorVia::kFiu;
    o.error = ENOSPC;
    o.name = "enospc";
    o.fiu_points = Hint(ctx.store, "enospc_fiu_points");
    if (auto m = Hint(ctx.store, "enospc_log_markers"); !m.empty()) o.log_markers = m;
    o.fiu_ctl_dir = FiuDir(ctx.work_dir);
    return MakeSyncErrorFault(storage::LocalStorage::Of(ctx.storage), o);
  };
  return f;
}

}  // namespace crashlab::syncerror

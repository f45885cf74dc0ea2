// MakeContainerHost and ContainerParts.
#include "workloads/container/container_host.h"

#include <algorithm>

namespace crashlab::container {

namespace {
// Unix socket paths (the run dir clients connect through) must stay under 108 bytes.
constexpr size_t kMaxStoreDirLength = 60;
}  // namespace

std::filesystem::path StoreDir(const std::filesystem::path& work_dir,
                               const std::filesystem::path& engine_dir) {
  const std::filesystem::path in_work = work_dir / "store";
  return in_work.string().size() <= kMaxStoreDirLength ? in_work : engine_dir / "store";
}

ContainerHost MakeContainerHost(const StoreContext& ctx, const std::string& name,
                                const std::vector<std::string>& mounts, bool per_worker) {
  const Knobs& k = ctx.knobs;
  const std::string& mount = k.Get("mount");
  if (std::find(mounts.begin(), mounts.end(), mount) == mounts.end()) {
    throw UsageError(
        "mount=" + mount + " is not offered for " + name + " (" + JoinList(mounts) + ")", "mount");
  }
  ContainerHost h;
  h.options.name = "crashlab-" + name;
  h.options.mount = ParseMount(mount);
  h.options.containers = per_worker ? ctx.options.workers : 1;
  if (h.options.mount == Mount::kNone && h.options.containers > 1) {
    throw UsageError("mount=none keeps the data in one container's layer: use --workers 1",
                     "mount");
  }
  const auto actions = k.GetList("action");
  if (std::find(actions.begin(), actions.end(), "policy") != actions.end()) {
    h.options.restart_policy = k.Get("policy");
    h.options.ready_timeout = std::max(h.options.ready_timeout, kPolicyReadyTimeout);
  }
  h.engine = MakeEngineResource(k.Get("engine"));
  h.options.engine = h.engine->engine;
  h.options.dir = StoreDir(ctx.work_dir, h.engine->dir.path());
  return h;
}

StoreParts ContainerParts(ContainerHost host, std::unique_ptr<ContainerStore> store,
                          std::unique_ptr<Workload> workload) {
  StoreParts p;
  p.resources.push_back(host.engine);
  p.target = std::make_unique<ContainerTarget>(std::move(host.options), std::move(store));
  p.workload = std::move(workload);
  return p;
}

}  // namespace crashlab::container

// The container host of a store: a private engine and the ContainerTarget options, read
// from the knobs of the `container` fault (engine, mount, action, policy), so that each
// store's container variant is its ContainerStore and a few lines.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/registry.h"
#include "workloads/container/container_target.h"
#include "workloads/container/engine.h"

namespace crashlab::container {

struct ContainerHost {
  std::shared_ptr<EngineResource> engine;  // started; the run keeps it until the store stopped
  ContainerTargetOptions options;
};

// Where the containers' data and socket dirs go: under the run's work dir, unless that
// path is so long (a long $TMPDIR) that a socket path in it would pass the 108-byte limit;
// then under the engine's short dir (/tmp/crashlab-engine-XXXXXX), removed with it.
std::filesystem::path StoreDir(const std::filesystem::path& work_dir,
                               const std::filesystem::path& engine_dir);

// Starts the engine the knobs ask for and fills in the options (containers: one, or one
// per worker with `per_worker`). A mount outside `mounts` is a UsageError.
ContainerHost MakeContainerHost(const StoreContext& ctx, const std::string& name,
                                const std::vector<std::string>& mounts = {"bind", "volume", "none"},
                                bool per_worker = false);

// The store's parts: the target on the host, the workload, the engine as a resource.
StoreParts ContainerParts(ContainerHost host, std::unique_ptr<ContainerStore> store,
                          std::unique_ptr<Workload> workload);

}  // namespace crashlab::container

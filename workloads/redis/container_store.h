// Redis in a container (the store's container variant).
#pragma once

#include <memory>

#include "framework/registry.h"

namespace crashlab::redis {

// Reads the container fault's host knobs and the store's appendfsync and command timeout.
StoreParts BuildRedisContainer(StoreContext& ctx, std::unique_ptr<Workload> workload);

}  // namespace crashlab::redis

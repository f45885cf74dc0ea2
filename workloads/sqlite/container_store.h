// SQLite in containers: the SQLite agent in --listen mode, one agent container per worker
// on one database (the store's container variant).
#pragma once

#include <memory>

#include "framework/registry.h"

namespace crashlab::sqlite {

// Reads the container fault's host knobs (engine, mount, action) and the store's knobs.
StoreParts BuildSqliteContainer(StoreContext& ctx, std::unique_ptr<Workload> workload);

}  // namespace crashlab::sqlite

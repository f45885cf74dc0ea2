// PostgreSQL in a container (the store's container variant): the host's server binaries
// through the /usr bind mount, initdb in a throwaway container, the libpq client on the
// bind-mounted socket dir.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "framework/registry.h"
#include "workloads/postgres/postgres_target.h"

namespace crashlab::postgres {

// `settings` are the server's -c settings; the host knobs come from the container fault.
StoreParts BuildPostgresContainer(StoreContext& ctx, PgWorkload workload,
                                  std::map<std::string, std::string> settings,
                                  std::unique_ptr<Workload> w);

}  // namespace crashlab::postgres

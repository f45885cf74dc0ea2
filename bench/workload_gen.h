// The bench's op streams: point inserts, updates, reads and a read/update mix over the
// store's ledger rows, or a store workload's own generator (ledger, bank).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "framework/workload.h"

namespace crashlab::bench {

// The store workload (the `workload` knob) a bench workload runs on.
std::string StoreWorkloadFor(const std::string& bench_workload);
bool IsBenchWorkload(const std::string& name);
// True if the workload needs rows 1..keyspace before it starts.
bool NeedsRows(const std::string& bench_workload);

// Ops of one client. `store` is the store's workload (ledger or bank).
std::unique_ptr<OpGenerator> MakeGenerator(const std::string& bench_workload, Workload& store,
                                           int worker, uint64_t seed, int keyspace);
// Inserts of rows first..last (the prefill of update/read/mix).
std::unique_ptr<OpGenerator> MakePrefill(int64_t first, int64_t last);

}  // namespace crashlab::bench

// Workloads: seeded op generators for N concurrent workers, and the checkers that apply.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/checker.h"
#include "framework/op.h"
#include "framework/rng.h"
#include "framework/target.h"

namespace crashlab {

// Ops of one worker. A generator lives for the whole run (keys stay unique across
// cycles); it is used by one thread at a time.
class OpGenerator {
 public:
  virtual ~OpGenerator() = default;
  // The next op, or nullopt when this worker has nothing more to do.
  virtual std::optional<Op> Next() = 0;
  // Called at the start of each cycle (before the first Next of the cycle).
  virtual void BeginCycle(uint32_t cycle) {}
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string Name() const = 0;
  virtual DataModel Model() const { return {}; }
  virtual std::unique_ptr<OpGenerator> Generator(int worker, uint64_t seed) = 0;
  // The checkers that together say whether the observed state is allowed.
  virtual std::unique_ptr<Checker> MakeChecker() const = 0;
};

// Seed 004's orders ledger: unique order rows with amounts (count and total must hold),
// plus one persistence marker per cycle written by worker 0 before anything else.
// Keys: (worker + 1) << 40 | sequence. Amounts in cents, 100 .. 100000.
std::unique_ptr<Workload> MakeLedgerWorkload();

// Bank transfers between `accounts` accounts that open with `initial_balance` each; the
// total is conserved and no balance goes negative (the client fails an overdraft).
std::unique_ptr<Workload> MakeBankWorkload(int32_t accounts = 8, int64_t initial_balance = 1000);

// Counters: INCRBY-style increments of 1..10 on `counters` counters, plus unique rows
// (SET of unique keys) and list appends, all checked: for key-value stores.
std::unique_ptr<Workload> MakeKeyValueWorkload(int32_t counters = 4);

// Marker keys as a store renders them ("CRASHLAB_MARKER_<key>").
std::string MarkerName(int64_t key);
// Parses a rendered marker name; nullopt if `name` is not one.
std::optional<int64_t> ParseMarkerName(const std::string& name);

}  // namespace crashlab

// The system under test: its lifecycle (Target), how ops reach it and how its state is
// read back (Client), and the state a Client observes after recovery.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "framework/op.h"

namespace crashlab {

class Process;

// What a store holds after recovery, in the framework's data models. A Client fills in
// the parts its workload uses; the checkers compare them with the history.
struct ObservedState {
  std::vector<std::pair<int64_t, int64_t>> rows;      // insert/update/delete: key -> value
  std::vector<std::pair<int64_t, int64_t>> accounts;  // transfer: account -> balance
  std::vector<std::pair<int64_t, int64_t>> counters;  // increment: counter -> value
  std::vector<std::pair<int64_t, std::vector<int64_t>>> lists;  // append: list -> elements
  std::vector<int64_t> markers;                                 // marker keys present
  // Aggregates the store computed itself (SELECT count(*), sum(amount)); checked against
  // the history's bounds and against `rows`, so an index/heap disagreement shows.
  std::optional<int64_t> row_count;
  std::optional<int64_t> row_total;
  // Store-level integrity (PRAGMA integrity_check, amcheck, ...): false means corrupt.
  bool integrity_ok = true;
  std::string integrity_detail;
};

// What a workload needs to exist before its first op (schema, initial balances).
struct DataModel {
  int32_t accounts = 0;         // transfer workloads: accounts 0..accounts-1
  int64_t initial_balance = 0;  // each account's opening balance
  int32_t counters = 0;         // increment workloads
};

// How ops reach the store. One Client per worker thread; a Client is used by one
// thread at a time. Store errors are outcomes, never exceptions: a definite rejection
// is kFail, anything that leaves the effect in doubt (connection lost mid-commit,
// timeout, a killed agent) is kUnknown.
class Client {
 public:
  virtual ~Client() = default;
  // Creates schema and initial data if absent; idempotent (called after every start).
  virtual void Prepare(const DataModel& model) {}
  virtual Outcome Apply(const Op& op) = 0;
  // Reads the whole state back (after recovery, with no writer running). Throws
  // std::runtime_error if the store cannot be read.
  virtual ObservedState ReadState() = 0;
};

// Thrown by Target::Recover when the store does not come back after a fault (refuses
// to start, corrupt files): a finding ("unrecoverable" anomaly), not a setup error.
struct Unrecoverable : std::runtime_error {
  Unrecoverable(const std::string& what, std::string log)
      : std::runtime_error(what), log(std::move(log)) {}
  std::string log;  // an excerpt of the store's log
};

// A store's lifecycle. Readiness is a real probe (libpq ping, PING, SQLite open), never
// a log grep or a sleep. Targets are driven from one thread (the runner's main thread).
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string Name() const = 0;
  // Creates a fresh data dir and starts the store; returns when it is ready.
  virtual void Start() = 0;
  // Graceful shutdown; nothing of the store is left running.
  virtual void Stop() = 0;
  // After a fault: make sure every old process is gone (proved, not assumed), start
  // again on the surviving data and wait until ready. Throws Unrecoverable.
  virtual void Recover() = 0;
  // The local processes that make up the store (for kill and pause faults). Empty when
  // the store runs elsewhere (a container engine owns it).
  virtual std::vector<Process*> Processes() { return {}; }
  virtual std::filesystem::path DataDir() const = 0;
  // A client for worker `worker`; called after Start/Recover, once per cycle per worker.
  virtual std::unique_ptr<Client> NewClient(int worker) = 0;
  // The last lines of the store's log (for reports of unrecoverable stores).
  virtual std::string LogExcerpt() const { return {}; }
  // Effective configuration, for the report.
  virtual std::map<std::string, std::string> Config() const { return {}; }
};

}  // namespace crashlab

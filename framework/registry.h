// The registry: stores, faults and the storage layer, each registered once; a scenario is
// a store on a host (local processes or a container engine) with one or more faults, and
// the registry offers every compatible <store>-<fault> pair (Maelstrom builds its
// workload x nemesis pairs the same way). Presets keep well-known names and defaults.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "framework/capabilities.h"
#include "framework/fault.h"
#include "framework/knob.h"
#include "framework/runner.h"
#include "framework/storage.h"
#include "framework/target.h"
#include "framework/workload.h"

namespace crashlab {

// Where a store's processes run.
enum class Host { kLocal, kContainer };
const char* ToString(Host h);

// A check `crashlab doctor` runs and a scenario needs.
struct Prerequisite {
  std::string name;                      // what is checked: "redis-server", "/dev/fuse"
  std::function<std::string()> missing;  // "" if present, else why not and how to get it
};

// Defaults a store, fault or preset may set (unset: the next one's, then the registry's).
struct RunDefaults {
  std::optional<uint32_t> cycles;
  std::optional<int> workers;
  std::optional<std::string> schedule;
};

// What a store's build function gets.
struct StoreContext {
  const RunOptions& options;
  const Knobs& knobs;
  std::filesystem::path work_dir;          // a fresh directory for this run
  std::shared_ptr<StorageLayer> storage;   // local host with capability kStorage, else null
  std::vector<std::string> wrapper;        // argv prefix faults asked for (kWrapper)
  std::map<std::string, std::string> env;  // environment faults asked for
};

// A built store. Destroyed in reverse order: workload, target, then resources.
struct StoreParts {
  std::vector<std::shared_ptr<void>> resources;  // engines and the like
  std::unique_ptr<Target> target;
  std::unique_ptr<Workload> workload;
  // Optional: wraps the run's fault (e.g. to record its instant for a store's checker).
  std::function<std::unique_ptr<Fault>(std::unique_ptr<Fault>)> wrap_fault;
};

// A scenario with well-known name and defaults ("sqlite-kill", "sqlite-multi-container").
struct Preset {
  std::string name;
  std::string description;
  std::vector<std::string> faults;  // the default `fault` list
  Host host = Host::kLocal;
  RunDefaults defaults;
  std::map<std::string, std::string> knob_defaults;  // store, fault or storage knobs
  std::vector<std::string> labels;
};

struct StoreSpec {
  std::string name;               // "sqlite"
  std::string description;        // what runs: "SQLite (WAL, synchronous=FULL) in writer agents"
  std::vector<Knob> knobs;        // local and container host
  std::vector<Knob> local_knobs;  // local host only
  std::vector<Knob> container_knobs;   // container host only
  std::vector<std::string> workloads;  // the `workload` knob's choices, default first
  std::map<std::string, std::string> workload_help;
  std::set<std::string> capabilities;  // local host; a container host has kContainer only
  std::vector<Prerequisite> prerequisites;
  std::vector<Prerequisite> container_prerequisites;
  // Facts about the store a fault may use, e.g. "error_log_markers" = "PANIC".
  std::map<std::string, std::string> hints;
  RunDefaults defaults;
  std::function<StoreParts(StoreContext&)> build;            // local host
  std::function<StoreParts(StoreContext&)> build_container;  // empty: no container host
  std::vector<Preset> presets;
};

// What a fault's build function gets.
struct FaultContext {
  const RunOptions& options;
  const Knobs& knobs;
  std::filesystem::path work_dir;
  std::shared_ptr<StorageLayer> storage;  // as StoreContext::storage
  const StoreSpec& store;
  Host host;
};

struct FaultSpec {
  std::string name;             // "kill"
  std::string description;      // what it does: "SIGKILL of the store's processes"
  std::vector<Knob> knobs;      // a knob with `needs` set is offered to stores with that capability
  std::set<std::string> needs;  // capabilities the store must have
  std::function<bool(const StoreSpec&)> applies;  // optional further condition
  std::vector<Prerequisite> prerequisites;
  std::map<std::string, std::string> knob_defaults;  // e.g. storage=crashfs
  RunDefaults defaults;
  // Optional: runs before the store is built (ask for a wrapper, an environment).
  std::function<void(StoreContext&)> prepare_store;
  std::function<std::unique_ptr<Fault>(FaultContext&)> build;
};

// The storage layer: its knobs (storage, sync_fault), what the chosen kind needs and how
// to make one. Registered once (faults/storage).
struct StorageSpec {
  std::vector<Knob> knobs;
  std::function<std::string(const Knobs&)> missing;  // "" if the chosen storage can be used
  std::vector<Prerequisite> prerequisites;           // for doctor
  std::function<std::shared_ptr<StorageLayer>(const Knobs&, const RunOptions&,
                                              const std::filesystem::path& work_dir)>
      make;
};

// A resolved scenario name: a preset or a <store>-<fault> pair.
struct Scenario {
  std::string name;
  std::string description;
  const StoreSpec* store = nullptr;
  Host host = Host::kLocal;
  std::vector<std::string> faults;  // default fault list
  RunDefaults defaults;             // merged: preset, faults, store, registry
  std::map<std::string, std::string> knob_defaults;
  std::vector<std::string> labels;
  bool preset = false;
};

class Registry {
 public:
  static Registry& Global();
  // Each throws std::logic_error on a duplicate name.
  void AddStore(StoreSpec spec);
  void AddFault(FaultSpec spec);
  void SetStorage(StorageSpec spec);

  const StoreSpec* FindStore(const std::string& name) const;
  const FaultSpec* FindFault(const std::string& name) const;
  const StorageSpec* storage() const { return storage_ ? &*storage_ : nullptr; }
  std::vector<const StoreSpec*> Stores() const;
  std::vector<const FaultSpec*> Faults() const;

  // A preset, else a <store>-<fault> pair the store supports; nullopt otherwise.
  std::optional<Scenario> Find(const std::string& name) const;
  // Every preset and every compatible pair, sorted by name.
  std::vector<Scenario> All() const;

  // The faults `store` supports on `host`.
  std::vector<const FaultSpec*> FaultsFor(const StoreSpec& store, Host host) const;
  bool Supports(const StoreSpec& store, Host host, const FaultSpec& fault) const;
  // Resolves a fault list ("kill,pause") for a scenario; throws UsageError (key "fault").
  std::vector<const FaultSpec*> ResolveFaults(const Scenario& s,
                                              const std::vector<std::string>& names) const;
  // Every knob a scenario with these faults accepts, with the scenario's defaults, in
  // the order: schedule, fault, store, storage, faults.
  std::vector<Knob> KnobsFor(const Scenario& s, const std::vector<const FaultSpec*>& faults) const;
  // True iff the scenario's store keeps its data on the registered storage layer (a
  // local host whose store has capability kStorage): the run makes one, `storage=`
  // and `sync_fault=` apply.
  bool UsesStorage(const Scenario& s) const;
  // Knobs a scenario does not offer, with the reason (e.g. storage in containers).
  std::map<std::string, std::string> NotOffered(const Scenario& s) const;
  // What the scenario needs, in order: store, storage, faults.
  std::vector<Prerequisite> PrerequisitesFor(const Scenario& s,
                                             const std::vector<const FaultSpec*>& faults) const;

 private:
  std::optional<Scenario> Pair(const StoreSpec& store, const FaultSpec& fault) const;
  std::set<std::string> Capabilities(const StoreSpec& store, Host host) const;
  std::map<std::string, StoreSpec> stores_;
  std::map<std::string, FaultSpec> faults_;
  std::optional<StorageSpec> storage_;
};

// Registers at static-initialization time:
//   CRASHLAB_STORE(sqlite) { StoreSpec s; ...; return s; }
//   CRASHLAB_FAULT(kill) { FaultSpec f; ...; return f; }
#define CRASHLAB_REGISTER_(kind, Type, Add, ident)                               \
  static ::crashlab::Type crashlab_##kind##_##ident();                           \
  [[maybe_unused]] static const bool crashlab_##kind##_registered_##ident = [] { \
    ::crashlab::Registry::Global().Add(crashlab_##kind##_##ident());             \
    return true;                                                                 \
  }();                                                                           \
  static ::crashlab::Type crashlab_##kind##_##ident()
#define CRASHLAB_STORE(ident) CRASHLAB_REGISTER_(store, StoreSpec, AddStore, ident)
#define CRASHLAB_FAULT(ident) CRASHLAB_REGISTER_(fault, FaultSpec, AddFault, ident)
#define CRASHLAB_STORAGE(ident) CRASHLAB_REGISTER_(storage, StorageSpec, SetStorage, ident)

}  // namespace crashlab

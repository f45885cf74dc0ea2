// The registry of stores, faults and the storage layer, and the scenarios they make.
#include "framework/registry.h"

#include <algorithm>

namespace crashlab {
namespace {

constexpr uint32_t kDefaultCycles = 10;
constexpr int kDefaultWorkers = 2;
constexpr const char* kDefaultSchedule = "ops:20-200";

// `first`'s fields where set, else `second`'s.
RunDefaults Merge(const RunDefaults& first, const RunDefaults& second) {
  return {first.cycles ? first.cycles : second.cycles,
          first.workers ? first.workers : second.workers,
          first.schedule ? first.schedule : second.schedule};
}

RunDefaults Complete(const RunDefaults& d) {
  return Merge(d, RunDefaults{kDefaultCycles, kDefaultWorkers, std::string(kDefaultSchedule)});
}

template <class Map, class Spec>
void AddUnique(Map& map, Spec spec, const char* what) {
  if (map.count(spec.name))
    throw std::logic_error(std::string(what) + " registered twice: " + spec.name);
  std::string name = spec.name;
  map.emplace(std::move(name), std::move(spec));
}

void AddKnob(std::vector<Knob>& knobs, Knob k) {
  const auto same = [&](const Knob& o) { return o.name == k.name; };
  if (std::find_if(knobs.begin(), knobs.end(), same) == knobs.end()) knobs.push_back(std::move(k));
}

Knob WorkloadKnob(const StoreSpec& store) {
  std::string help;
  for (const auto& w : store.workloads) {
    auto it = store.workload_help.find(w);
    help +=
        (help.empty() ? "" : "; ") + w + (it == store.workload_help.end() ? "" : ": " + it->second);
  }
  return Knob::Choice("workload", store.workloads.front(), store.workloads, help);
}

}  // namespace

const char* ToString(Host h) { return h == Host::kContainer ? "container" : "local"; }

Registry& Registry::Global() {
  static Registry r;
  return r;
}

void Registry::AddStore(StoreSpec spec) { AddUnique(stores_, std::move(spec), "store"); }
void Registry::AddFault(FaultSpec spec) { AddUnique(faults_, std::move(spec), "fault"); }
void Registry::SetStorage(StorageSpec spec) {
  if (storage_) throw std::logic_error("storage layer registered twice");
  storage_ = std::move(spec);
}

const StoreSpec* Registry::FindStore(const std::string& name) const {
  auto it = stores_.find(name);
  return it == stores_.end() ? nullptr : &it->second;
}
const FaultSpec* Registry::FindFault(const std::string& name) const {
  auto it = faults_.find(name);
  return it == faults_.end() ? nullptr : &it->second;
}
std::vector<const StoreSpec*> Registry::Stores() const {
  std::vector<const StoreSpec*> out;
  for (const auto& [n, s] : stores_) out.push_back(&s);
  return out;
}
std::vector<const FaultSpec*> Registry::Faults() const {
  std::vector<const FaultSpec*> out;
  for (const auto& [n, f] : faults_) out.push_back(&f);
  return out;
}

std::set<std::string> Registry::Capabilities(const StoreSpec& store, Host host) const {
  if (host == Host::kLocal) return store.capabilities;
  if (store.build_container) return {capability::kContainer};
  return {};
}

bool Registry::Supports(const StoreSpec& store, Host host, const FaultSpec& fault) const {
  const auto caps = Capabilities(store, host);
  for (const auto& need : fault.needs) {
    if (!caps.count(need)) return false;
  }
  return !fault.applies || fault.applies(store);
}

std::vector<const FaultSpec*> Registry::FaultsFor(const StoreSpec& store, Host host) const {
  std::vector<const FaultSpec*> out;
  for (const auto& [n, f] : faults_) {
    if (Supports(store, host, f)) out.push_back(&f);
  }
  return out;
}

std::optional<Scenario> Registry::Pair(const StoreSpec& store, const FaultSpec& fault) const {
  const Host host = fault.needs.count(capability::kContainer) ? Host::kContainer : Host::kLocal;
  if (!Supports(store, host, fault)) return std::nullopt;
  Scenario s;
  s.name = store.name + "-" + fault.name;
  s.description = store.description + ": " + fault.description;
  s.store = &store;
  s.host = host;
  s.faults = {fault.name};
  s.defaults = Complete(Merge(fault.defaults, store.defaults));
  s.knob_defaults = fault.knob_defaults;
  s.labels = {store.name, fault.name};
  return s;
}

std::optional<Scenario> Registry::Find(const std::string& name) const {
  for (const auto& [n, store] : stores_) {
    for (const auto& p : store.presets) {
      if (p.name != name) continue;
      Scenario s;
      s.name = p.name;
      s.description = p.description;
      s.store = &store;
      s.host = p.host;
      s.faults = p.faults;
      RunDefaults d = Merge(p.defaults, store.defaults);
      if (const FaultSpec* f = p.faults.empty() ? nullptr : FindFault(p.faults.front())) {
        d = Merge(p.defaults, Merge(f->defaults, store.defaults));
      }
      s.defaults = Complete(d);
      s.knob_defaults = p.knob_defaults;
      s.labels = p.labels.empty() ? std::vector<std::string>{store.name} : p.labels;
      s.preset = true;
      return s;
    }
  }
  for (const auto& [n, store] : stores_) {
    if (name.size() <= n.size() + 1 || name.compare(0, n.size(), n) != 0 || name[n.size()] != '-')
      continue;
    if (const FaultSpec* f = FindFault(name.substr(n.size() + 1))) return Pair(store, *f);
  }
  return std::nullopt;
}

std::vector<Scenario> Registry::All() const {
  std::map<std::string, Scenario> all;
  for (const auto& [n, store] : stores_) {
    for (const auto& p : store.presets) all.emplace(p.name, *Find(p.name));
  }
  for (const auto& [sn, store] : stores_) {
    for (const auto& [fn, fault] : faults_) {
      auto s = Pair(store, fault);
      if (s) all.emplace(s->name, std::move(*s));  // a preset of the same name wins
    }
  }
  std::vector<Scenario> out;
  for (auto& [n, s] : all) out.push_back(std::move(s));
  return out;
}

std::vector<const FaultSpec*> Registry::ResolveFaults(const Scenario& s,
                                                      const std::vector<std::string>& names) const {
  std::vector<std::string> available;
  for (const auto* f : FaultsFor(*s.store, s.host)) available.push_back(f->name);
  if (std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.empty(); })) {
    throw UsageError("bad value '" + JoinList(names, ",") +
                         "' for fault: expected a comma-separated list of " +
                         JoinList(available, "|"),
                     "fault");
  }
  std::vector<const FaultSpec*> out;
  for (const auto& name : names) {
    if (std::count(names.begin(), names.end(), name) > 1) {
      throw UsageError(
          "bad value '" + JoinList(names, ",") + "' for fault: expected distinct faults", "fault");
    }
    const FaultSpec* f = FindFault(name);
    if (f == nullptr || !Supports(*s.store, s.host, *f)) {
      throw UsageError("fault '" + name + "' is not available for " + s.store->name + " on a " +
                           ToString(s.host) + " host (available: " + JoinList(available) + ")",
                       "fault");
    }
    out.push_back(f);
  }
  if (out.empty())
    throw UsageError("fault: name at least one fault (" + JoinList(available) + ")", "fault");
  return out;
}

std::vector<Knob> Registry::KnobsFor(const Scenario& s,
                                     const std::vector<const FaultSpec*>& faults) const {
  const auto caps = Capabilities(*s.store, s.host);
  std::vector<std::string> available;
  for (const auto* f : FaultsFor(*s.store, s.host)) available.push_back(f->name);
  std::vector<Knob> knobs = {
      Knob::String("schedule", *s.defaults.schedule,
                   "when the fault fires: ops:N, ops:MIN-MAX, time:MS, time:MIN-MAX"),
      Knob::ChoiceList("fault", JoinList(s.faults, ","), available,
                       "the fault(s); with several, each cycle gets one of them (seeded)"),
  };
  if (!s.store->workloads.empty()) AddKnob(knobs, WorkloadKnob(*s.store));
  for (const auto& k : s.store->knobs) AddKnob(knobs, k);
  for (const auto& k :
       s.host == Host::kContainer ? s.store->container_knobs : s.store->local_knobs) {
    AddKnob(knobs, k);
  }
  if (UsesStorage(s)) {
    for (const auto& k : storage_->knobs) AddKnob(knobs, k);
  }
  std::map<std::string, std::string> defaults;
  for (const auto* f : faults) {
    for (const auto& k : f->knobs) {
      if (k.needs.empty() || caps.count(k.needs)) AddKnob(knobs, k);
    }
    for (const auto& [k, v] : f->knob_defaults) defaults.emplace(k, v);
  }
  for (const auto& [k, v] : s.knob_defaults) defaults[k] = v;
  for (auto& k : knobs) {
    if (auto it = defaults.find(k.name); it != defaults.end()) k.default_value = it->second;
  }
  return knobs;
}

bool Registry::UsesStorage(const Scenario& s) const {
  return storage_ && Capabilities(*s.store, s.host).count(capability::kStorage) != 0;
}

std::map<std::string, std::string> Registry::NotOffered(const Scenario& s) const {
  std::map<std::string, std::string> out;
  if (!storage_ || UsesStorage(s)) return out;
  const std::string why =
      s.host == Host::kContainer
          ? "the store runs in a container: its data is on the engine's bind mount or volume "
            "(mount=...), which crashfs and the sync-fault preload do not reach"
          : s.store->name + " does not keep its data on crashlab's storage layer";
  for (const auto& k : storage_->knobs) out[k.name] = why;
  return out;
}

std::vector<Prerequisite> Registry::PrerequisitesFor(
    const Scenario& s, const std::vector<const FaultSpec*>& faults) const {
  std::vector<Prerequisite> out = s.store->prerequisites;
  if (s.host == Host::kContainer) {
    out.insert(out.end(), s.store->container_prerequisites.begin(),
               s.store->container_prerequisites.end());
  }
  for (const auto* f : faults)
    out.insert(out.end(), f->prerequisites.begin(), f->prerequisites.end());
  return out;
}

}  // namespace crashlab

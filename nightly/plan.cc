#include "nightly/plan.h"

#include <algorithm>
#include <ctime>
#include <numeric>
#include <stdexcept>

#include "framework/knob.h"
#include "framework/registry.h"
#include "framework/scenario.h"
#include "framework/spec_file.h"

namespace crashlab::nightly {
namespace {

std::string Id(const std::string& scenario, const std::map<std::string, std::string>& set) {
  if (set.empty()) return scenario;
  std::string id = scenario + "[";
  bool first = true;
  for (const auto& [k, v] : set) {
    id += (first ? "" : ",") + k + "=" + v;
    first = false;
  }
  return id + "]";
}

// The default value of `knob` in scenario `s` ("" if it does not take it).
std::string DefaultOf(const Scenario& s, const std::string& knob) {
  const Registry& reg = Registry::Global();
  for (const auto& k : reg.KnobsFor(s, reg.ResolveFaults(s, s.faults))) {
    if (k.name == knob) return k.default_value;
  }
  return "";
}

// The configurations of one scenario that matter: its defaults; on the storage layer,
// each other storage a disk-default scenario can run on; in containers, each mount that
// keeps data across a restart.
std::vector<std::map<std::string, std::string>> Configurations(const Scenario& s) {
  std::vector<std::map<std::string, std::string>> out = {{}};
  if (Registry::Global().UsesStorage(s) && DefaultOf(s, "storage") == "disk") {
    out.push_back({{"storage", "tmpfs"}});
    out.push_back({{"storage", "crashfs"}});
  }
  if (s.host == Host::kContainer && DefaultOf(s, "mount") == "bind")
    out.push_back({{"mount", "volume"}});
  return out;
}

double WeightOf(const Scenario& s) { return s.host == Host::kContainer ? 3.0 : 1.0; }

bool Selected(const PlanOptions& o, const std::string& id) {
  const auto match = [&](const std::string& p) { return GlobMatch(p, id); };
  if (!o.only.empty() && std::none_of(o.only.begin(), o.only.end(), match)) return false;
  return std::none_of(o.exclude.begin(), o.exclude.end(), match);
}

}  // namespace

bool GlobMatch(const std::string& p, const std::string& n) {
  size_t pi = 0, ni = 0, star = std::string::npos, mark = 0;
  while (ni < n.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == n[ni])) {
      ++pi, ++ni;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ni;
    } else if (star != std::string::npos) {
      pi = star + 1;
      ni = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

uint64_t SeedFor(const std::string& date, const std::string& id) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : date + "/" + id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;  // SplitMix64's finalizer spreads the low bits
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}

std::vector<Entry> Enumerate(const PlanOptions& o) {
  CheckDate(o.date);
  std::vector<Entry> out;
  for (const auto& s : Registry::Global().All()) {
    for (auto& set : Configurations(s)) {
      Entry e;
      e.id = Id(s.name, set);
      e.scenario = s.name;
      e.set = std::move(set);
      e.weight = WeightOf(s);
      if (Selected(o, e.id)) out.push_back(std::move(e));
    }
  }
  if (!o.specs_dir.empty() && std::filesystem::is_directory(o.specs_dir)) {
    for (const auto& f : std::filesystem::directory_iterator(o.specs_dir)) {
      if (f.path().extension() != ".toml") continue;
      Entry e;
      e.id = "spec:" + f.path().stem().string();
      e.spec_file = f.path();
      const ScenarioRequest req = LoadSpecFile(f.path());
      const auto s = Registry::Global().Find(req.scenario);
      e.weight = s ? WeightOf(*s) : 1.0;
      if (Selected(o, e.id)) out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
  for (auto& e : out) e.seed = SeedFor(o.date, e.id);
  return out;
}

std::vector<std::vector<size_t>> Shard(const std::vector<Entry>& entries, int shards) {
  if (shards < 1) throw std::invalid_argument("shards must be >= 1");
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return entries[a].weight > entries[b].weight; });
  std::vector<std::vector<size_t>> out(static_cast<size_t>(shards));
  std::vector<double> load(static_cast<size_t>(shards), 0);
  for (size_t i : order) {
    const auto k = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[k].push_back(i);
    load[k] += entries[i].weight;
  }
  for (auto& s : out) std::sort(s.begin(), s.end());
  return out;
}

std::vector<double> Budgets(const std::vector<Entry>& all, const std::vector<size_t>& entries,
                            double budget_s) {
  double total = 0;
  for (size_t i : entries) total += all[i].weight;
  std::vector<double> out;
  for (size_t i : entries) out.push_back(total > 0 ? budget_s * all[i].weight / total : 0);
  return out;
}

std::string Today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

void CheckDate(const std::string& d) {
  std::tm tm{};
  const char* end = strptime(d.c_str(), "%Y-%m-%d", &tm);
  if (d.size() != 10 || end == nullptr || *end != '\0')
    throw std::invalid_argument("--date must be YYYY-MM-DD, got '" + d + "'");
}

}  // namespace crashlab::nightly

// LoadSpecFile: TOML spec files (toml++) into scenario requests, with errors that point
// at the file and line.
#include "framework/spec_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <optional>

namespace crashlab {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"scenario", "store",      "fault",       "workload",
                                           "storage",  "schedule",   "cycles",      "workers",
                                           "seed",     "duration_s", "description", "knobs"};
const std::vector<std::string> kSetKeys = {"fault", "workload", "storage", "schedule"};

std::string Where(const fs::path& file, const toml::node& node) {
  const auto& src = node.source();
  return file.string() + ":" + std::to_string(src.begin.line);
}

UsageError At(const fs::path& file, const toml::node& node, const std::string& key,
              const std::string& msg) {
  return UsageError(Where(file, node) + ": " + msg, key);
}

// A knob value as the command line would give it: strings as they are, booleans
// true/false, integers in decimal, arrays of those joined with commas.
std::string AsKnobValue(const fs::path& file, const std::string& key, const toml::node& node) {
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto b = node.value_exact<bool>()) return *b ? "true" : "false";
  if (auto i = node.value_exact<int64_t>()) return std::to_string(*i);
  if (const auto* arr = node.as_array()) {
    std::vector<std::string> items;
    for (const auto& item : *arr) items.push_back(AsKnobValue(file, key, item));
    return JoinList(items, ",");
  }
  throw At(file, node, key, key + ": expected a string, boolean, integer or a list of them");
}

template <class T>
T Expect(const fs::path& file, const std::string& key, const toml::node& node, const char* what) {
  auto v = node.value_exact<T>();
  if (!v) throw At(file, node, key, key + ": expected " + what);
  return *v;
}

uint64_t Positive(const fs::path& file, const std::string& key, const toml::node& node) {
  const int64_t v = Expect<int64_t>(file, key, node, "an integer");
  if (v < 0) throw At(file, node, key, key + ": expected an integer >= 0");
  return static_cast<uint64_t>(v);
}

void ReadKnobs(const fs::path& file, const toml::node& node, ScenarioRequest& req) {
  const auto* table = node.as_table();
  if (table == nullptr) throw At(file, node, "knobs", "knobs: expected a table ([knobs])");
  for (const auto& [k, v] : *table) {
    const std::string key(k.str());
    req.set[key] = AsKnobValue(file, key, v);
  }
}

void ReadTopKey(const fs::path& file, const std::string& key, const toml::node& v,
                ScenarioRequest& req, std::optional<std::string>& store) {
  if (key == "scenario")
    req.scenario = Expect<std::string>(file, key, v, "a string");
  else if (key == "store")
    store = Expect<std::string>(file, key, v, "a string");
  else if (key == "cycles")
    req.cycles = static_cast<uint32_t>(Positive(file, key, v));
  else if (key == "workers")
    req.workers = static_cast<int>(Positive(file, key, v));
  else if (key == "seed")
    req.seed = Positive(file, key, v);
  else if (key == "duration_s")
    req.duration_s = static_cast<double>(Positive(file, key, v));
  else if (key == "knobs")
    ReadKnobs(file, v, req);
  else if (key == "description")
    (void)Expect<std::string>(file, key, v, "a string");
  else
    req.set[key] = AsKnobValue(file, key, v);  // fault, workload, storage, schedule
}

// scenario, or store + fault: "<store>-<first fault>" with the whole list as `fault`.
void NameScenario(const fs::path& file, const toml::table& t,
                  const std::optional<std::string>& store, ScenarioRequest& req) {
  if (!req.scenario.empty() && store) {
    throw At(file, *t.get("store"), "store",
             "give either scenario or store (with fault), not both");
  }
  if (!store) {
    if (req.scenario.empty())
      throw UsageError(file.string() + ": no scenario (or store and fault) given", "scenario");
    return;
  }
  auto fault = req.set.find("fault");
  if (fault == req.set.end()) throw At(file, *t.get("store"), "fault", "store needs fault = [...]");
  req.scenario = *store + "-" + SplitList(fault->second).front();
  if (!Registry::Global().FindStore(*store)) {
    throw At(file, *t.get("store"), "store", "unknown store '" + *store + "'");
  }
}

}  // namespace

std::string SpecLocation(const fs::path& file, const std::string& key) {
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error&) {
    return file.string();
  }
  if (const auto* n = t.get(key)) return Where(file, *n);
  if (const auto* knobs = t.get_as<toml::table>("knobs")) {
    if (const auto* n = knobs->get(key)) return Where(file, *n);
  }
  if (key == "scenario" || key == "fault") {
    if (const auto* n = t.get(key == "scenario" && t.get("store") ? "store" : key))
      return Where(file, *n);
  }
  return file.string();
}

ScenarioRequest LoadSpecFile(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw UsageError("cannot read spec file " + file.string(), "file");
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw UsageError(file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
  ScenarioRequest req;
  req.spec_file = file;
  std::optional<std::string> store;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) == kTopKeys.end()) {
      throw At(file, v, key, "unknown key '" + key + "' (known: " + JoinList(kTopKeys) + ")");
    }
    ReadTopKey(file, key, v, req, store);
  }
  NameScenario(file, t, store, req);
  try {
    (void)Resolve(req);
  } catch (const UsageError& e) {
    throw UsageError(SpecLocation(file, e.key) + ": " + e.what(), e.key);
  }
  return req;
}

}  // namespace crashlab

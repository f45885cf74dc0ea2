// The scenario registry, knob validation and RunScenario (shared by CLI and suites).
#include "framework/scenario.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "framework/process.h"
#include "framework/report.h"

namespace crashlab {

namespace {
std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}
std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}
std::optional<bool> ParseBool(const std::string& s) {
  if (s == "1" || s == "true" || s == "on" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "off" || s == "no") return false;
  return std::nullopt;
}
}  // namespace

Knob Knob::Int(std::string name, int64_t def, std::string help, int64_t min, int64_t max) {
  Knob k;
  k.name = std::move(name);
  k.default_value = std::to_string(def);
  k.help = std::move(help);
  k.type = Type::kInt;
  k.min = min;
  k.max = max;
  return k;
}
Knob Knob::Bool(std::string name, bool def, std::string help) {
  Knob k;
  k.name = std::move(name);
  k.default_value = def ? "true" : "false";
  k.help = std::move(help);
  k.type = Type::kBool;
  return k;
}
Knob Knob::Choice(std::string name, std::string def, std::vector<std::string> choices,
                  std::string help) {
  Knob k;
  k.name = std::move(name);
  k.default_value = std::move(def);
  k.help = std::move(help);
  k.type = Type::kChoice;
  k.choices = std::move(choices);
  return k;
}
Knob Knob::String(std::string name, std::string def, std::string help) {
  Knob k;
  k.name = std::move(name);
  k.default_value = std::move(def);
  k.help = std::move(help);
  return k;
}

void Knob::Validate(const std::string& value) const {
  switch (type) {
    case Type::kString: return;
    case Type::kBool:
      if (!ParseBool(value)) throw UsageError("bad value '" + value + "' for " + name + ": expected true or false");
      return;
    case Type::kInt: {
      auto v = ParseInt(value);
      if (!v || *v < min || *v > max) {
        std::string range = min == INT64_MIN ? "" : " in [" + std::to_string(min) + ", " +
                                                        (max == INT64_MAX ? "..." : std::to_string(max)) + "]";
        throw UsageError("bad value '" + value + "' for " + name + ": expected an integer" + range);
      }
      return;
    }
    case Type::kChoice:
      if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
        throw UsageError("bad value '" + value + "' for " + name + ": expected one of " + Join(choices, ", "));
      }
      return;
  }
}

const std::string& Knobs::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("scenario asked for undeclared knob " + name);
  return it->second;
}
int64_t Knobs::GetInt(const std::string& name) const {
  auto v = ParseInt(Get(name));
  if (!v) throw std::logic_error("knob " + name + " is not an integer");
  return *v;
}
bool Knobs::GetBool(const std::string& name) const {
  auto v = ParseBool(Get(name));
  if (!v) throw std::logic_error("knob " + name + " is not a boolean");
  return *v;
}

Registry& Registry::Global() {
  static Registry r;
  return r;
}

void Registry::Add(ScenarioSpec spec) {
  if (specs_.count(spec.name)) throw std::logic_error("scenario registered twice: " + spec.name);
  std::string name = spec.name;
  specs_.emplace(std::move(name), std::move(spec));
}

const ScenarioSpec* Registry::Find(const std::string& name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

std::vector<const ScenarioSpec*> Registry::All() const {
  std::vector<const ScenarioSpec*> out;
  for (const auto& [n, s] : specs_) out.push_back(&s);
  return out;
}

Knobs ValidateRequest(const ScenarioRequest& req, RunOptions* options) {
  const ScenarioSpec* spec = Registry::Global().Find(req.scenario);
  if (spec == nullptr) {
    throw UsageError("unknown scenario '" + req.scenario + "' (crashlab list shows them)");
  }
  std::map<std::string, std::string> values;
  values["schedule"] = spec->default_schedule;
  for (const auto& k : spec->knobs) values[k.name] = k.default_value;
  for (const auto& [key, value] : req.set) {
    if (key == "schedule") {
      try {
        (void)Schedule::Parse(value);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
      values[key] = value;
      continue;
    }
    auto it = std::find_if(spec->knobs.begin(), spec->knobs.end(),
                           [&](const Knob& k) { return k.name == key; });
    if (it == spec->knobs.end()) {
      std::vector<std::string> names{"schedule"};
      for (const auto& k : spec->knobs) names.push_back(k.name);
      throw UsageError("unknown --set key '" + key + "' for " + spec->name + " (known: " +
                       Join(names, ", ") + ")");
    }
    it->Validate(value);
    values[key] = value;
  }
  if (req.cycles && *req.cycles == 0 && !(req.duration_s && *req.duration_s > 0)) {
    throw UsageError("--cycles 0 needs --duration (or the run would never end)");
  }
  if (req.workers && (*req.workers < 1 || *req.workers > 256)) {
    throw UsageError("--workers must be in [1, 256]");
  }
  if (req.duration_s && *req.duration_s < 0) throw UsageError("--duration must be >= 0");
  if (options != nullptr) {
    options->seed = req.seed.value_or(1);
    options->cycles = req.cycles.value_or(req.duration_s && *req.duration_s > 0 ? 0 : spec->default_cycles);
    options->duration_s = req.duration_s.value_or(0);
    options->workers = req.workers.value_or(spec->default_workers);
    options->schedule = Schedule::Parse(values["schedule"]);
    options->progress = req.progress;
    options->stop_on_invalid = !req.keep_going;
    options->report_dir = req.report_dir;
  }
  return Knobs(std::move(values));
}

std::string ReplayCommand(const ScenarioRequest& req, const RunReport& report) {
  std::string cmd = "crashlab run " + req.scenario + " --seed " + std::to_string(report.seed) +
                    " --cycles " + std::to_string(report.cycles_requested) + " --workers " +
                    std::to_string(report.workers);
  if (req.duration_s) cmd += " --duration " + std::to_string(*req.duration_s);
  for (const auto& [k, v] : req.set) cmd += " --set '" + k + "=" + v + "'";
  return cmd;
}

RunReport RunScenario(const ScenarioRequest& req) {
  RunOptions options;
  const Knobs knobs = ValidateRequest(req, &options);
  const ScenarioSpec& spec = *Registry::Global().Find(req.scenario);
  if (!req.report_dir.empty()) {
    try {
      EnsureWritableDir(req.report_dir);
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
  }
  if (spec.missing_prerequisite) {
    const std::string why = spec.missing_prerequisite();
    if (!why.empty()) throw PrerequisiteMissing(spec.name + " cannot run here: " + why);
  }
  supervisor::Init();
  TempDir work("crashlab-" + spec.name + "-", req.work_base);
  if (req.keep_data) work.Keep();
  ScenarioContext ctx{options, knobs, work.path()};
  RunReport report;
  {
    ScenarioParts parts = spec.build(ctx);
    CrashCycleRunner runner(*parts.target, *parts.workload, *parts.fault, options);
    report = runner.Run();
  }
  report.scenario = spec.name;
  report.description = spec.description;
  for (const auto& [k, v] : knobs.All()) report.config[k] = v;
  report.replay = ReplayCommand(req, report);
  if (!req.report_dir.empty()) WriteReports(report, req.report_dir);
  return report;
}

}  // namespace crashlab

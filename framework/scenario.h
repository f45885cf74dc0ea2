// Scenarios: named combinations of target, workload, fault and schedule, with their
// knobs. One registry serves the CLI and the GoogleTest suites.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/fault.h"
#include "framework/runner.h"
#include "framework/target.h"
#include "framework/workload.h"

namespace crashlab {

// Bad input from the user (unknown scenario, unknown knob, bad value): exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A prerequisite is missing (binary, privilege, FUSE): the scenario cannot run here.
struct PrerequisiteMissing : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A --set KEY=VALUE a scenario accepts.
struct Knob {
  enum class Type { kString, kInt, kBool, kChoice };
  std::string name;
  std::string default_value;
  std::string help;
  Type type = Type::kString;
  std::vector<std::string> choices;  // kChoice
  int64_t min = INT64_MIN, max = INT64_MAX;  // kInt

  static Knob Int(std::string name, int64_t def, std::string help, int64_t min = INT64_MIN,
                  int64_t max = INT64_MAX);
  static Knob Bool(std::string name, bool def, std::string help);
  static Knob Choice(std::string name, std::string def, std::vector<std::string> choices,
                     std::string help);
  static Knob String(std::string name, std::string def, std::string help);
  // Throws UsageError naming the knob and what it accepts.
  void Validate(const std::string& value) const;
};

// The validated knob values of one run (defaults filled in).
class Knobs {
 public:
  Knobs() = default;
  explicit Knobs(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  const std::string& Get(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  const std::map<std::string, std::string>& All() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// What a scenario's build function gets.
struct ScenarioContext {
  const RunOptions& options;
  const Knobs& knobs;
  std::filesystem::path work_dir;   // a fresh directory for this run's data and logs
};

// A built scenario. Members are destroyed in reverse order: fault, workload, target,
// then `resources` (mounts, engines), so a store is stopped before its storage goes.
struct ScenarioParts {
  std::vector<std::shared_ptr<void>> resources;
  std::unique_ptr<Target> target;
  std::unique_ptr<Workload> workload;
  std::unique_ptr<Fault> fault;
};

struct ScenarioSpec {
  std::string name;
  std::string description;            // one line for `crashlab list`
  std::vector<Knob> knobs;            // every scenario also accepts `schedule`
  std::string default_schedule = "ops:20-200";
  uint32_t default_cycles = 10;
  int default_workers = 2;
  std::vector<std::string> labels;    // e.g. "sqlite", "kill"
  // Empty if the scenario can run here; otherwise why not (missing binary, not root).
  std::function<std::string()> missing_prerequisite;
  std::function<ScenarioParts(ScenarioContext&)> build;
};

class Registry {
 public:
  static Registry& Global();
  // Throws std::logic_error on a duplicate name.
  void Add(ScenarioSpec spec);
  const ScenarioSpec* Find(const std::string& name) const;
  std::vector<const ScenarioSpec*> All() const;  // sorted by name

 private:
  std::map<std::string, ScenarioSpec> specs_;
};

// Registers a scenario at static-initialization time:
//   CRASHLAB_SCENARIO(sqlite_kill) { ScenarioSpec s; ...; return s; }
#define CRASHLAB_SCENARIO(ident)                                                   \
  static ::crashlab::ScenarioSpec crashlab_scenario_##ident();                     \
  [[maybe_unused]] static const bool crashlab_registered_##ident = [] {            \
    ::crashlab::Registry::Global().Add(crashlab_scenario_##ident());               \
    return true;                                                                   \
  }();                                                                             \
  static ::crashlab::ScenarioSpec crashlab_scenario_##ident()

// What one invocation asks for; unset fields take the scenario's defaults.
struct ScenarioRequest {
  std::string scenario;
  std::optional<uint32_t> cycles;
  std::optional<uint64_t> seed;
  std::optional<double> duration_s;
  std::optional<int> workers;
  std::map<std::string, std::string> set;   // --set KEY=VALUE
  std::filesystem::path report_dir;          // empty: no files written
  bool progress = false;
  bool keep_going = false;                   // do not stop at the first invalid cycle
  bool keep_data = false;                    // keep the work dir (store data, logs)
  std::filesystem::path work_base;           // where the work dir goes (default $TMPDIR)
};

// Validates the request (UsageError), checks prerequisites (PrerequisiteMissing),
// builds the scenario, runs it and, if report_dir is set, writes report.json,
// junit.xml and history.jsonl there. Throws Interrupted on SIGINT/SIGTERM after cleanup.
RunReport RunScenario(const ScenarioRequest& request);
// Validates a request without running it; returns the effective knobs.
Knobs ValidateRequest(const ScenarioRequest& request, RunOptions* options = nullptr);
// "crashlab run NAME --seed S --cycles N --workers W --set k=v ..."
std::string ReplayCommand(const ScenarioRequest& request, const RunReport& report);

}  // namespace crashlab

// Running a scenario by name: request validation (knobs, faults, defaults), prerequisite
// checks, building the store, storage and faults from the registry, and the reports.
// One entry point serves the CLI and the GoogleTest suites.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/knob.h"
#include "framework/registry.h"
#include "framework/runner.h"

namespace crashlab {

// What one invocation asks for; unset fields take the scenario's defaults.
struct ScenarioRequest {
  std::string scenario;
  std::optional<uint32_t> cycles;
  std::optional<uint64_t> seed;
  std::optional<double> duration_s;
  std::optional<int> workers;
  std::map<std::string, std::string> set;  // --set KEY=VALUE (fault=kill,pause included)
  std::string command_line;                // as typed, for the report (may be empty)
  std::filesystem::path report_dir;        // empty: no files written
  bool progress = false;
  bool keep_going = false;          // do not stop at the first invalid cycle
  bool keep_data = false;           // keep the work dir (store data, logs)
  std::filesystem::path work_base;  // where the work dir goes (default $TMPDIR)
  std::filesystem::path spec_file;  // the spec file it came from, if any
};

// A request checked against the registry.
struct ResolvedRequest {
  Scenario scenario;
  std::vector<const FaultSpec*> faults;
  Knobs knobs;
  RunOptions options;
};

// A seed as users write it: 0..2^64-1 in decimal or hex (0x...). Throws UsageError for
// anything else (negative, overflowing, empty, trailing characters).
uint64_t ParseSeed(const std::string& text);

// The parts of a run, destroyed in reverse order: the fault, the workload, the target
// (the store stops), its resources (engines), then the storage (unmounted last).
struct BuiltScenario {
  std::shared_ptr<StorageLayer> storage;
  std::vector<std::shared_ptr<void>> resources;
  std::unique_ptr<Target> target;
  std::unique_ptr<Workload> workload;
  std::unique_ptr<Fault> fault;
};
// Builds a resolved scenario's storage, store and faults in `work_dir` (nothing started).
BuiltScenario BuildScenario(const ResolvedRequest& r, const std::filesystem::path& work_dir);

// Validates the request; throws UsageError (with the offending key) on bad input.
ResolvedRequest Resolve(const ScenarioRequest& request);
// Validates a request without running it; returns the effective knobs.
Knobs ValidateRequest(const ScenarioRequest& request, RunOptions* options = nullptr);
// Why a resolved request cannot run on this machine ("" if it can).
std::string MissingPrerequisite(const ResolvedRequest& request);
// Same for a scenario with its default knobs; "" if it can run, and a reason for an
// unknown name.
std::string MissingPrerequisite(const std::string& scenario);

// Validates the request (UsageError), checks prerequisites (PrerequisiteMissing),
// builds the scenario, runs it and, if report_dir is set, writes report.json,
// junit.xml and history.jsonl there. Throws Interrupted on SIGINT/SIGTERM after cleanup.
RunReport RunScenario(const ScenarioRequest& request);
// "crashlab run NAME --seed S --cycles N --workers W --set k=v ..."
std::string ReplayCommand(const ScenarioRequest& request, const RunReport& report);

}  // namespace crashlab

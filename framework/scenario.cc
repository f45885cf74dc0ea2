// Resolving, building and running a scenario from the registry.
#include "framework/scenario.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "framework/log.h"
#include "framework/process.h"
#include "framework/report.h"
#include "framework/run_record.h"
#include "framework/run_summary.h"

namespace crashlab {
namespace {

Scenario FindScenario(const std::string& name) {
  auto s = Registry::Global().Find(name);
  if (!s)
    throw UsageError("unknown scenario '" + name + "' (crashlab list shows them)", "scenario");
  return *s;
}

std::string FaultList(const ScenarioRequest& req, const Scenario& s) {
  auto it = req.set.find("fault");
  return it == req.set.end() ? JoinList(s.faults, ",") : it->second;
}

void ValidateSchedule(const std::string& value) {
  try {
    (void)Schedule::Parse(value);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what(), "schedule");
  }
}

std::map<std::string, std::string> KnobValues(const ScenarioRequest& req, const Scenario& s,
                                              const std::vector<Knob>& knobs) {
  std::map<std::string, std::string> values;
  for (const auto& k : knobs) values[k.name] = k.default_value;
  const auto not_offered = Registry::Global().NotOffered(s);
  for (const auto& [key, value] : req.set) {
    auto it =
        std::find_if(knobs.begin(), knobs.end(), [&](const Knob& k) { return k.name == key; });
    if (it == knobs.end()) {
      if (auto why = not_offered.find(key); why != not_offered.end()) {
        throw UsageError(s.name + " does not take " + key + ": " + why->second, key);
      }
      std::vector<std::string> names;
      for (const auto& k : knobs) names.push_back(k.name);
      throw UsageError(
          "unknown knob '" + key + "' for " + s.name + " (known: " + JoinList(names) + ")", key);
    }
    if (value.find_first_of("\n\r") != std::string::npos)
      throw UsageError("knob '" + key + "': the value holds a line break", key);
    if (key == "schedule") ValidateSchedule(value);
    it->Validate(value);
    values[key] = value;
  }
  return values;
}

RunOptions OptionsFor(const ScenarioRequest& req, const Scenario& s, const Knobs& knobs) {
  if (req.cycles && *req.cycles == 0 && !(req.duration_s && *req.duration_s > 0)) {
    throw UsageError("--cycles 0 needs --duration (or the run would never end)", "cycles");
  }
  if (req.workers && (*req.workers < 1 || *req.workers > 256)) {
    throw UsageError("--workers must be in [1, 256]", "workers");
  }
  if (req.duration_s && (!std::isfinite(*req.duration_s) || *req.duration_s < 0))
    throw UsageError("--duration must be a finite number of seconds >= 0", "duration");
  RunOptions o;
  o.seed = req.seed.value_or(1);
  o.cycles = req.cycles.value_or(req.duration_s && *req.duration_s > 0 ? 0 : *s.defaults.cycles);
  o.duration_s = req.duration_s.value_or(0);
  o.workers = req.workers.value_or(*s.defaults.workers);
  o.schedule = Schedule::Parse(knobs.Get("schedule"));
  o.progress = req.progress;
  o.stop_on_invalid = !req.keep_going;
  o.report_dir = req.report_dir;
  return o;
}

std::unique_ptr<Fault> BuildFaults(const ResolvedRequest& r, FaultContext& ctx) {
  std::vector<std::pair<std::string, std::unique_ptr<Fault>>> faults;
  for (const auto* f : r.faults) faults.emplace_back(f->name, f->build(ctx));
  if (faults.size() == 1) return std::move(faults.front().second);
  return MakeMixedFault(std::move(faults), r.options.seed);
}

}  // namespace

BuiltScenario BuildScenario(const ResolvedRequest& r, const std::filesystem::path& work_dir) {
  const StoreSpec& store = *r.scenario.store;
  BuiltScenario b;
  if (Registry::Global().UsesStorage(r.scenario))
    b.storage = Registry::Global().storage()->make(r.knobs, r.options, work_dir);
  StoreContext sctx{r.options, r.knobs, work_dir, b.storage, {}, {}};
  for (const auto* f : r.faults) {
    if (f->prepare_store) f->prepare_store(sctx);
  }
  StoreParts parts =
      r.scenario.host == Host::kContainer ? store.build_container(sctx) : store.build(sctx);
  b.resources = std::move(parts.resources);
  b.target = std::move(parts.target);
  b.workload = std::move(parts.workload);
  FaultContext fctx{r.options, r.knobs, work_dir, b.storage, store, r.scenario.host};
  b.fault = BuildFaults(r, fctx);
  if (parts.wrap_fault) b.fault = parts.wrap_fault(std::move(b.fault));
  return b;
}

uint64_t ParseSeed(const std::string& text) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const char* first = text.data() + (hex ? 2 : 0);
  const char* last = text.data() + text.size();
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(first, last, v, hex ? 16 : 10);
  if (first == last || ec != std::errc() || end != last) {
    const bool overflow = ec == std::errc::result_out_of_range;
    throw UsageError("seed must be an integer in 0..18446744073709551615 (decimal or 0x hex)" +
                         std::string(overflow ? ", and this one overflows" : ""),
                     "seed");
  }
  return v;
}

ResolvedRequest Resolve(const ScenarioRequest& req) {
  ResolvedRequest r;
  r.scenario = FindScenario(req.scenario);
  const std::string faults = FaultList(req, r.scenario);
  r.faults = Registry::Global().ResolveFaults(r.scenario, SplitList(faults));
  const std::vector<Knob> knobs = Registry::Global().KnobsFor(r.scenario, r.faults);
  r.knobs = Knobs(KnobValues(req, r.scenario, knobs));
  r.options = OptionsFor(req, r.scenario, r.knobs);
  return r;
}

Knobs ValidateRequest(const ScenarioRequest& req, RunOptions* options) {
  ResolvedRequest r = Resolve(req);
  if (options != nullptr) *options = r.options;
  return r.knobs;
}

std::string MissingPrerequisite(const ResolvedRequest& r) {
  for (const auto& p : Registry::Global().PrerequisitesFor(r.scenario, r.faults)) {
    if (std::string why = p.missing(); !why.empty()) return why;
  }
  if (const StorageSpec* st = Registry::Global().storage();
      st && Registry::Global().UsesStorage(r.scenario) && st->missing) {
    return st->missing(r.knobs);
  }
  return "";
}

std::string MissingPrerequisite(const std::string& scenario) {
  ScenarioRequest req;
  req.scenario = scenario;
  try {
    return MissingPrerequisite(Resolve(req));
  } catch (const UsageError& e) {
    return e.what();
  }
}

std::string ReplayCommand(const ScenarioRequest& req, const RunReport& report) {
  const std::string what = req.spec_file.empty() ? req.scenario : "-f " + req.spec_file.string();
  std::string cmd = "crashlab run " + what + " --seed " + std::to_string(report.seed) +
                    " --cycles " + std::to_string(report.cycles_requested) + " --workers " +
                    std::to_string(report.workers);
  if (req.duration_s) cmd += " --duration " + std::to_string(*req.duration_s);
  for (const auto& [k, v] : req.set) cmd += " --set '" + k + "=" + v + "'";
  return cmd;
}

namespace {

// The report parts every outcome shares: what ran, with which knobs, and its replay.
void Describe(const ScenarioRequest& req, const ResolvedRequest& r,
              const std::map<std::string, std::string>& storage_config, RunReport& report) {
  if (!r.faults.empty()) {
    for (auto& c : report.cycle_records)
      c.event.extra.emplace("fault_spec", r.faults.front()->name);
  }
  report.scenario = r.scenario.name;
  report.description = r.scenario.description;
  if (report.started_at.empty()) StampRunMetadata(report);  // a run that did not start
  report.seed = r.options.seed;
  report.cycles_requested = r.options.cycles;
  report.workers = r.options.workers;
  for (const auto& [k, v] : r.knobs.All()) report.config[k] = v;
  for (const auto& [k, v] : storage_config) report.config.emplace(k, v);
  report.config["host"] = ToString(r.scenario.host);
  if (!req.spec_file.empty()) report.config["spec_file"] = req.spec_file.string();
  report.knobs_set = req.set;
  report.command_line = req.command_line;
  report.replay = ReplayCommand(req, report);
}

// A run that cannot start here still leaves a report: verdict unknown, the reason, and a
// skipped JUnit test case.
void ReportSkipped(const ScenarioRequest& req, const ResolvedRequest& r, const std::string& why) {
  RunReport report;
  Describe(req, r, {}, report);
  report.verdict = Validity::kUnknown;
  report.skipped = why;
  report.notes.push_back("not run: " + why);
  WriteReports(report, req.report_dir);
}

}  // namespace

RunReport RunScenario(const ScenarioRequest& req) {
  ResolvedRequest r = Resolve(req);
  if (!req.report_dir.empty()) {
    std::error_code ec;
    const bool existed = std::filesystem::exists(req.report_dir, ec);
    try {
      EnsureWritableDir(req.report_dir);
    } catch (const std::exception& e) {
      throw UsageError(e.what(), "report");
    }
    // Not world-writable, whatever the umask (a directory the user gave is theirs).
    if (!existed) ::chmod(req.report_dir.c_str(), 0755);
  }
  if (const std::string why = MissingPrerequisite(r); !why.empty()) {
    if (!req.report_dir.empty()) ReportSkipped(req, r, why);
    throw PrerequisiteMissing(r.scenario.name + " cannot run here: " + why);
  }
  supervisor::Init();
  std::optional<log::RunLog> run_log;
  if (!req.report_dir.empty()) run_log.emplace(req.report_dir / "run.log");
  log::Info("scenario " + r.scenario.name +
            (req.command_line.empty() ? "" : ": " + req.command_line));
  for (const auto& [k, v] : r.knobs.All()) log::Debug("knob " + k + "=" + v);
  // Declared before everything the run creates, so it is removed after all of it; if the
  // runner dies first, its guardian removes what the record names.
  runrecord::ActiveRun record;
  TempDir work("crashlab-" + r.scenario.name + "-", req.work_base);
  ::chmod(work.path().c_str(), 0700);
  runrecord::Add(req.keep_data ? runrecord::Kind::kKeepDir : runrecord::Kind::kDir,
                 work.path().string());
  if (req.keep_data) work.Keep();
  RunReport report;
  std::map<std::string, std::string> storage_config;
  bool interrupted = false;
  try {
    BuiltScenario b = BuildScenario(r, work.path());
    if (b.storage) storage_config = b.storage->Describe();
    CrashCycleRunner runner(*b.target, *b.workload, *b.fault, r.options);
    try {
      report = runner.Run();
    } catch (const Interrupted&) {
      report = runner.interrupted_report();
      interrupted = true;
    }
  } catch (const Interrupted&) {  // before the first cycle (the store starting)
    report.verdict = Validity::kUnknown;
    report.interrupted = SignalName(supervisor::InterruptSignal());
    report.notes.push_back("interrupted by " + report.interrupted + " before the first cycle");
    interrupted = true;
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {  // a setup error (the store does not start): say so
    if (!req.report_dir.empty()) {
      RunReport failed;
      Describe(req, r, storage_config, failed);
      failed.verdict = Validity::kUnknown;
      failed.notes.push_back(std::string("setup error: ") + e.what());
      WriteReports(failed, req.report_dir);
    }
    throw;
  }
  Describe(req, r, storage_config, report);
  log::Info(std::string("verdict ") + std::string(ToString(report.verdict)) + ": " +
            SummarySentence(report));
  if (!req.report_dir.empty()) WriteReports(report, req.report_dir);
  if (interrupted) throw Interrupted();
  return report;
}

}  // namespace crashlab

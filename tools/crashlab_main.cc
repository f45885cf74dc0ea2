// crashlab: the command line — list, describe, run and doctor.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "framework/process.h"
#include "framework/report.h"
#include "framework/scenario.h"
#include "framework/version.h"
#include "tools/doctor.h"

namespace {

constexpr int kExitValid = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;

std::string Timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::ostringstream o;
  o << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return o.str();
}

int List() {
  for (const auto* s : crashlab::Registry::Global().All()) {
    std::cout << std::left << std::setw(28) << s->name << s->description << "\n";
  }
  return 0;
}

int Describe(const std::string& name) {
  const auto* s = crashlab::Registry::Global().Find(name);
  if (s == nullptr) {
    std::cerr << "crashlab: unknown scenario '" << name << "' (crashlab list shows them)\n";
    return kExitUsage;
  }
  std::cout << s->name << ": " << s->description << "\n"
            << "defaults: --cycles " << s->default_cycles << " --workers " << s->default_workers
            << " --set schedule=" << s->default_schedule << "\n"
            << "knobs (--set KEY=VALUE):\n"
            << "  " << std::left << std::setw(22) << "schedule"
            << "when the fault fires: ops:N, ops:MIN-MAX, time:MS, time:MIN-MAX (default "
            << s->default_schedule << ")\n";
  for (const auto& k : s->knobs) {
    std::string choices;
    for (const auto& c : k.choices) choices += (choices.empty() ? "" : "|") + c;
    std::cout << "  " << std::left << std::setw(22) << k.name << k.help << " (default "
              << (k.default_value.empty() ? "\"\"" : k.default_value) << (choices.empty() ? "" : "; " + choices)
              << ")\n";
  }
  if (s->missing_prerequisite) {
    const std::string why = s->missing_prerequisite();
    if (!why.empty()) std::cout << "cannot run here: " << why << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crashlab: crash-injection and fault-simulation testing of data stores.\n"
               "Exit codes: 0 valid, 1 invalid (data lost or corrupt), 2 usage or setup error."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  app.set_version_flag("--version", std::string("crashlab ") + crashlab::kVersion);

  auto* list = app.add_subcommand("list", "list the scenarios, one line each");
  std::string describe_name;
  auto* describe = app.add_subcommand("describe", "show a scenario's knobs and defaults");
  describe->add_option("scenario", describe_name, "scenario name")->required();

  auto* run = app.add_subcommand("run", "run a scenario's crash cycles and check every acknowledged write");
  crashlab::ScenarioRequest req;
  uint32_t cycles = 0;
  uint64_t seed = 0;
  double duration = 0;
  int workers = 0;
  std::vector<std::string> sets;
  std::string report_dir;
  bool quiet = false;
  run->add_option("scenario", req.scenario, "scenario name (crashlab list)")->required();
  auto* o_cycles = run->add_option("--cycles", cycles, "number of crash cycles (default: the scenario's)");
  auto* o_seed = run->add_option("--seed", seed, "seed of every random choice (default 1)");
  auto* o_duration = run->add_option("--duration", duration, "stop starting cycles after SECONDS");
  auto* o_workers = run->add_option("--workers", workers, "concurrent workers (default: the scenario's)");
  run->add_option("--set", sets, "KEY=VALUE knob (crashlab describe SCENARIO lists them); repeatable")
      ->allow_extra_args(false);
  run->add_option("--report", report_dir, "report directory (default reports/SCENARIO-SEED-TIME)");
  run->add_flag("--keep-going", req.keep_going, "do not stop at the first invalid cycle");
  run->add_flag("--keep-data", req.keep_data, "keep the store's data dir and logs after the run");
  run->add_flag("-q,--quiet", quiet, "no progress line");

  auto* doctor = app.add_subcommand("doctor", "check prerequisites and say what each missing one disables");

  if (argc > 1 && argv[1][0] != '-') {
    const std::string cmd = argv[1];
    if (cmd != "list" && cmd != "describe" && cmd != "run" && cmd != "doctor") {
      std::cerr << "crashlab: unknown command '" << cmd << "' (expected list, describe, run or doctor)\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "crashlab: " << e.what() << " (try --help)\n";
    return kExitUsage;
  }

  if (*list) return List();
  if (*describe) return Describe(describe_name);
  if (*doctor) return crashlab::tools::Doctor(std::cout);

  // run
  if (*o_cycles) req.cycles = cycles;
  if (*o_seed) req.seed = seed;
  if (*o_duration) req.duration_s = duration;
  if (*o_workers) req.workers = workers;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "crashlab: --set expects KEY=VALUE, got '" << s << "'\n";
      return kExitUsage;
    }
    req.set[s.substr(0, eq)] = s.substr(eq + 1);
  }
  req.progress = !quiet && ::isatty(2);
  try {
    crashlab::ValidateRequest(req);
  } catch (const crashlab::UsageError& e) {
    std::cerr << "crashlab: " << e.what() << "\n";
    return kExitUsage;
  }
  req.report_dir = report_dir.empty()
                       ? std::filesystem::path("reports") /
                             (req.scenario + "-" + std::to_string(req.seed.value_or(1)) + "-" + Timestamp())
                       : std::filesystem::path(report_dir);
  try {
    crashlab::RunReport r = crashlab::RunScenario(req);
    crashlab::PrintVerdict(r, std::cout);
    std::cout << "  report            " << std::filesystem::absolute(req.report_dir / "report.json").string()
              << "\n";
    return r.verdict == crashlab::Validity::kValid ? kExitValid : kExitInvalid;
  } catch (const crashlab::UsageError& e) {
    std::cerr << "crashlab: " << e.what() << "\n";
    return kExitUsage;
  } catch (const crashlab::PrerequisiteMissing& e) {
    std::cerr << "crashlab: " << e.what() << " (crashlab doctor explains)\n";
    return kExitUsage;
  } catch (const crashlab::Interrupted&) {
    std::cerr << "\ncrashlab: interrupted; every process the run started was killed\n";
    return 128 + crashlab::supervisor::InterruptSignal();
  } catch (const std::exception& e) {
    std::cerr << "crashlab: setup error: " << e.what() << "\n";
    return kExitUsage;
  }
}

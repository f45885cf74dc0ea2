// crashlab: the command line — list, describe, run and doctor.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench_cli.h"
#include "framework/process.h"
#include "framework/report.h"
#include "framework/scenario.h"
#include "framework/spec_file.h"
#include "framework/version.h"
#include "nightly/merge.h"
#include "nightly/nightly_cli.h"
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
  for (const auto& s : crashlab::Registry::Global().All()) {
    std::cout << std::left << std::setw(28) << s.name << s.description << "\n";
  }
  return 0;
}

void PrintKnob(const crashlab::Knob& k) {
  std::string choices;
  for (const auto& c : k.choices) choices += (choices.empty() ? "" : "|") + c;
  std::cout << "  " << std::left << std::setw(26) << k.name << k.help << " (default "
            << (k.default_value.empty() ? "\"\"" : k.default_value)
            << (choices.empty() ? "" : "; " + choices) << ")\n";
}

int Describe(const std::string& name) {
  const auto s = crashlab::Registry::Global().Find(name);
  if (!s) {
    std::cerr << "crashlab: unknown scenario '" << name << "' (crashlab list shows them)\n";
    return kExitUsage;
  }
  const auto& reg = crashlab::Registry::Global();
  const auto faults = reg.ResolveFaults(*s, s->faults);
  std::cout << s->name << ": " << s->description << "\n"
            << "store " << s->store->name << " (" << crashlab::ToString(s->host) << " host), fault "
            << crashlab::JoinList(s->faults, ",") << "\n"
            << "defaults: --cycles " << *s->defaults.cycles << " --workers " << *s->defaults.workers
            << "\n"
            << "knobs (--set KEY=VALUE):\n";
  for (const auto& k : reg.KnobsFor(*s, faults)) PrintKnob(k);
  std::vector<std::string> others;
  for (const auto* f : reg.FaultsFor(*s->store, s->host)) {
    if (std::find(faults.begin(), faults.end(), f) == faults.end()) others.push_back(f->name);
  }
  if (!others.empty()) {
    std::cout << "other faults for --set fault=... (their knobs then apply too): "
              << crashlab::JoinList(others) << "\n";
  }
  for (const auto& [knob, why] : reg.NotOffered(*s))
    std::cout << "not offered: " << knob << ": " << why << "\n";
  if (const std::string why = crashlab::MissingPrerequisite(name); !why.empty()) {
    std::cout << "cannot run here: " << why << "\n";
  }
  return 0;
}

// --dry-run: what a run would do.
int PrintResolved(const crashlab::ResolvedRequest& r) {
  std::cout << "scenario  " << r.scenario.name << "\n"
            << "store     " << r.scenario.store->name << " (" << crashlab::ToString(r.scenario.host)
            << " host)\n"
            << "seed      " << r.options.seed << "\n"
            << "cycles    " << r.options.cycles << "\n"
            << "workers   " << r.options.workers << "\n";
  for (const auto& [k, v] : r.knobs.All())
    std::cout << "  " << std::left << std::setw(26) << k << v << "\n";
  const std::string why = crashlab::MissingPrerequisite(r);
  std::cout << (why.empty() ? "can run here\n" : "cannot run here: " + why + "\n");
  return kExitValid;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "crashlab: crash-injection and fault-simulation testing of data stores.\n"
      "Exit codes: 0 valid, 1 invalid (data lost or corrupt), 2 usage or setup error."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  app.set_version_flag("--version", std::string("crashlab ") + crashlab::kVersion);

  auto* list = app.add_subcommand("list", "list the scenarios, one line each");
  std::string describe_name;
  auto* describe = app.add_subcommand("describe", "show a scenario's knobs and defaults");
  describe->add_option("scenario", describe_name, "scenario name")->required();

  auto* run =
      app.add_subcommand("run", "run a scenario's crash cycles and check every acknowledged write");
  crashlab::ScenarioRequest req;
  uint32_t cycles = 0;
  uint64_t seed = 0;
  double duration = 0;
  int workers = 0;
  std::vector<std::string> sets;
  std::string report_dir;
  bool quiet = false;
  std::string spec_file;
  run->add_option("scenario", req.scenario, "scenario name (crashlab list); optional with -f");
  run->add_option("-f,--file", spec_file,
                  "a spec file (TOML: scenario or store + fault, knobs, cycles, seed ...); "
                  "command-line options override it");
  auto* o_cycles =
      run->add_option("--cycles", cycles, "number of crash cycles (default: the scenario's)");
  auto* o_seed = run->add_option("--seed", seed, "seed of every random choice (default 1)");
  auto* o_duration = run->add_option("--duration", duration, "stop starting cycles after SECONDS");
  auto* o_workers =
      run->add_option("--workers", workers, "concurrent workers (default: the scenario's)");
  run->add_option("--set", sets,
                  "KEY=VALUE knob (crashlab describe SCENARIO lists them); repeatable")
      ->allow_extra_args(false);
  run->add_option("--report", report_dir, "report directory (default reports/SCENARIO-SEED-TIME)");
  run->add_flag("--keep-going", req.keep_going, "do not stop at the first invalid cycle");
  run->add_flag("--keep-data", req.keep_data, "keep the store's data dir and logs after the run");
  run->add_flag("-q,--quiet", quiet, "no progress line");
  bool dry_run = false;
  run->add_flag("--dry-run", dry_run,
                "validate and print the effective scenario, faults and knobs; run nothing");

  app.add_subcommand("bench",
                     "response time and its variance per store x storage x deployment "
                     "(crashlab bench --help)")
      ->allow_extras();
  app.add_subcommand("nightly",
                     "one shard of the nightly run over every scenario (crashlab nightly --help)")
      ->allow_extras();
  auto* doctor =
      app.add_subcommand("doctor", "check prerequisites and say what each missing one disables");

  if (argc > 1 && std::string(argv[1]) == "bench") return crashlab::bench::Main(argc - 1, argv + 1);
  if (argc > 2 && std::string(argv[1]) == "report" && std::string(argv[2]) == "merge")
    return crashlab::nightly::MergeMain(argc - 2, argv + 2);
  if (argc > 1 && std::string(argv[1]) == "nightly")
    return crashlab::nightly::Main(argc - 1, argv + 1);
  if (argc > 1 && argv[1][0] != '-') {
    const std::string cmd = argv[1];
    if (cmd != "list" && cmd != "describe" && cmd != "run" && cmd != "doctor") {
      std::cerr << "crashlab: unknown command '" << cmd
                << "' (expected list, describe, run, bench, nightly or doctor)\n";
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
  if (!spec_file.empty()) {
    const std::string name = req.scenario;
    try {
      req = crashlab::LoadSpecFile(spec_file);
    } catch (const crashlab::UsageError& e) {
      std::cerr << "crashlab: " << e.what() << "\n";
      return kExitUsage;
    }
    if (!name.empty()) req.scenario = name;
  } else if (req.scenario.empty()) {
    std::cerr << "crashlab: run needs a scenario name or -f SPEC.toml (crashlab list shows the "
                 "scenarios)\n";
    return kExitUsage;
  }
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
    const crashlab::ResolvedRequest resolved = crashlab::Resolve(req);
    if (dry_run) return PrintResolved(resolved);
  } catch (const crashlab::UsageError& e) {
    std::cerr << "crashlab: " << e.what() << "\n";
    return kExitUsage;
  }
  req.report_dir =
      report_dir.empty()
          ? std::filesystem::path("reports") /
                (req.scenario + "-" + std::to_string(req.seed.value_or(1)) + "-" + Timestamp())
          : std::filesystem::path(report_dir);
  try {
    crashlab::RunReport r = crashlab::RunScenario(req);
    crashlab::PrintVerdict(r, std::cout);
    std::cout << "  report            "
              << std::filesystem::absolute(req.report_dir / "report.json").string() << "\n";
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

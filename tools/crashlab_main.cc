// crashlab: the command line — list, describe, run, doctor and clean. The body is
// tools::Main (tools/cli.h), so that tests can drive the parsing in-process.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench/bench_cli.h"
#include "framework/log.h"
#include "framework/process.h"
#include "framework/report.h"
#include "framework/run_record.h"
#include "framework/scenario.h"
#include "framework/spec_file.h"
#include "framework/version.h"
#include "nightly/merge.h"
#include "nightly/nightly_cli.h"
#include "tools/cli.h"
#include "tools/completion.h"
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

// Error text on one line: a value a user typed may hold line breaks or control bytes.
std::string OneLine(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int UsageFail(const std::string& what) {
  std::cerr << "crashlab: " << OneLine(what) << "\n";
  return kExitUsage;
}

// The default report dir, reports/SCENARIO-SEED-TIME, made unique: a second run of the
// same scenario and seed in the same second gets a -2, -3 ... suffix (mkdir is atomic).
std::filesystem::path NewReportDir(const std::string& scenario, uint64_t seed) {
  const std::filesystem::path base = std::filesystem::path("reports") /
                                     (scenario + "-" + std::to_string(seed) + "-" + Timestamp());
  std::filesystem::create_directories(base.parent_path());
  for (int n = 1;; ++n) {
    std::filesystem::path p = base;
    if (n > 1) p += "-" + std::to_string(n);
    if (::mkdir(p.c_str(), 0755) == 0) return p;
    if (errno != EEXIST) return p;  // the run reports why it cannot write there
  }
}

// `crashlab clean`: what runs whose runner died left behind (never a live run's).
int Clean(bool dry_run) {
  size_t n = 0;
  for (const auto& r : crashlab::runrecord::List()) {
    if (r.live) continue;
    ++n;
    std::cout << "run of dead runner " << r.runner << " (" << r.dir.string() << "):\n";
    if (dry_run) {
      for (const auto& res : r.resources)
        std::cout << "  would remove " << crashlab::runrecord::ToString(res.kind) << " "
                  << res.value << "\n";
      continue;
    }
    const auto done = crashlab::runrecord::Clean(r);
    if (done.empty()) std::cout << "  nothing removed (its guardian is cleaning it right now)\n";
    for (const auto& line : done) std::cout << "  " << line << "\n";
  }
  if (n == 0) std::cout << "crashlab clean: nothing to clean\n";
  return 0;
}

// ANSI colours on stdout only for a terminal, and never when NO_COLOR is set.
bool UseColor() {
  const char* no = std::getenv("NO_COLOR");
  return ::isatty(1) && (no == nullptr || *no == '\0');
}

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int List(bool as_json) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : crashlab::Registry::Global().All()) {
    if (!as_json) {
      std::cout << std::left << std::setw(28) << s.name << s.description << "\n";
      continue;
    }
    out.push_back({{"name", s.name},
                   {"description", s.description},
                   {"store", s.store->name},
                   {"host", crashlab::ToString(s.host)},
                   {"faults", s.faults}});
  }
  if (as_json) PrintJson(out);
  return kExitValid;
}

void PrintKnob(const crashlab::Knob& k) {
  std::string choices;
  for (const auto& c : k.choices) choices += (choices.empty() ? "" : "|") + c;
  std::cout << "  " << std::left << std::setw(26) << k.name << k.help << " (default "
            << (k.default_value.empty() ? "\"\"" : k.default_value)
            << (choices.empty() ? "" : "; " + choices) << ")\n";
}

nlohmann::json DescribeJson(const crashlab::Scenario& s,
                            const std::vector<const crashlab::FaultSpec*>& faults,
                            const std::vector<std::string>& others) {
  const auto& reg = crashlab::Registry::Global();
  nlohmann::json knobs = nlohmann::json::array();
  for (const auto& k : reg.KnobsFor(s, faults)) {
    knobs.push_back(
        {{"name", k.name}, {"help", k.help}, {"default", k.default_value}, {"choices", k.choices}});
  }
  nlohmann::json not_offered = nlohmann::json::object();
  for (const auto& [knob, why] : reg.NotOffered(s)) not_offered[knob] = why;
  return {{"name", s.name},
          {"description", s.description},
          {"store", s.store->name},
          {"host", crashlab::ToString(s.host)},
          {"faults", s.faults},
          {"defaults", {{"cycles", *s.defaults.cycles}, {"workers", *s.defaults.workers}}},
          {"knobs", knobs},
          {"other_faults", others},
          {"not_offered", not_offered},
          {"cannot_run_here", crashlab::MissingPrerequisite(s.name)}};
}

int Describe(const std::string& name, bool as_json) {
  const auto s = crashlab::Registry::Global().Find(name);
  if (!s) {
    std::cerr << "crashlab: unknown scenario '" << name << "' (crashlab list shows them)\n";
    return kExitUsage;
  }
  const auto& reg = crashlab::Registry::Global();
  const auto faults = reg.ResolveFaults(*s, s->faults);
  std::vector<std::string> others;
  for (const auto* f : reg.FaultsFor(*s->store, s->host)) {
    if (std::find(faults.begin(), faults.end(), f) == faults.end()) others.push_back(f->name);
  }
  if (as_json) {
    PrintJson(DescribeJson(*s, faults, others));
    return kExitValid;
  }
  std::cout << s->name << ": " << s->description << "\n"
            << "store " << s->store->name << " (" << crashlab::ToString(s->host) << " host), fault "
            << crashlab::JoinList(s->faults, ",") << "\n"
            << "defaults: --cycles " << *s->defaults.cycles << " --workers " << *s->defaults.workers
            << "\n"
            << "knobs (--set KEY=VALUE):\n";
  for (const auto& k : reg.KnobsFor(*s, faults)) PrintKnob(k);
  if (!others.empty()) {
    std::cout << "other faults for --set fault=... (their knobs then apply too): "
              << crashlab::JoinList(others) << "\n";
  }
  for (const auto& [knob, why] : reg.NotOffered(*s))
    std::cout << "not offered: " << knob << ": " << why << "\n";
  if (const std::string why = crashlab::MissingPrerequisite(name); !why.empty()) {
    std::cout << "cannot run here: " << why << "\n";
  }
  return kExitValid;
}

// ---- report ----

int Report(const std::string& dir, bool as_json) {
  crashlab::RunReport r;
  try {
    r = crashlab::ReadReport(dir);
    crashlab::WriteHtmlReport(r, dir);
  } catch (const std::exception& e) {
    std::cerr << "crashlab: " << e.what() << "\n";
    return kExitUsage;
  }
  if (as_json) {
    std::cout << crashlab::ReportJson(r);
  } else {
    crashlab::PrintVerdict(r, std::cout, UseColor());
    std::cout << "  report            "
              << std::filesystem::absolute(std::filesystem::path(dir) / "report.html").string()
              << "\n";
  }
  return r.verdict == crashlab::Validity::kValid ? kExitValid : kExitInvalid;
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

namespace crashlab::tools {

int Main(int argc, char** argv, const CommandHook& hook) {
  CLI::App app{
      "crashlab: crash-injection and fault-simulation testing of data stores.\n"
      "Exit codes: 0 valid, 1 invalid or unknown (data lost or corrupt, or the run proved\n"
      "nothing), 2 usage or setup error, 130 interrupted by SIGINT, 143 by SIGTERM."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  app.set_version_flag("--version", std::string("crashlab ") + crashlab::kVersion);

  int verbose = 0;
  std::string log_level;
  app.add_flag("-v,--verbose", verbose, "log what the run does on stderr (-vv: more)");
  app.add_option("--log-level", log_level, "stderr log level: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  bool list_json = false, describe_json = false, doctor_json = false, run_json = false,
       report_json = false;
  auto* list = app.add_subcommand("list", "list the scenarios, one line each");
  list->add_flag("--json", list_json, "a JSON array of the scenarios");
  std::string describe_name;
  auto* describe = app.add_subcommand("describe", "show a scenario's knobs and defaults");
  describe->add_option("scenario", describe_name, "scenario name")->required();
  describe->add_flag("--json", describe_json, "the description as a JSON object");

  auto* run =
      app.add_subcommand("run", "run a scenario's crash cycles and check every acknowledged write");
  crashlab::ScenarioRequest req;
  uint32_t cycles = 0;
  std::string seed_text;
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
  auto* o_seed = run->add_option("--seed", seed_text,
                                 "seed of every random choice: 0..2^64-1, decimal or 0x hex "
                                 "(default 1)");
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
  run->add_flag("--json", run_json, "print report.json on stdout instead of the verdict table");
  bool force = false;
  run->add_flag("--force", force, "write into a --report DIR that already holds a report");
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
  auto* doctor = app.add_subcommand(
      "doctor",
      "check prerequisites and say what each missing one disables; list what dead runs left");
  auto* clean = app.add_subcommand(
      "clean",
      "remove what runs whose runner died left behind (processes, mounts, cgroups, IPC "
      "segments, work dirs); never touches a live run");
  bool clean_dry_run = false;
  clean->add_flag("--dry-run", clean_dry_run, "only say what would be removed");
  doctor->add_flag("--json", doctor_json, "the checks as a JSON object");
  std::string report_arg;
  auto* report = app.add_subcommand(
      "report", "re-render report.html of a run directory and print its summary");
  report->add_option("dir", report_arg, "a report directory written by crashlab run")->required();
  report->add_flag("--json", report_json,
                   "print report.json on stdout instead of the verdict table");
  std::string shell;
  auto* completion =
      app.add_subcommand("completion", "print the shell completion script (bash or zsh)");
  completion->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  // Subcommands with parsers of their own; a test's hook stops before any of them acts.
  if (argc > 1 && std::string(argv[1]) == "bench") {
    return hook ? hook("bench", req) : crashlab::bench::Main(argc - 1, argv + 1);
  }
  if (argc > 2 && std::string(argv[1]) == "report" && std::string(argv[2]) == "merge")
    return hook ? hook("report merge", req) : crashlab::nightly::MergeMain(argc - 2, argv + 2);
  if (argc > 1 && std::string(argv[1]) == "nightly")
    return hook ? hook("nightly", req) : crashlab::nightly::Main(argc - 1, argv + 1);
  if (argc > 1 && argv[1][0] != '-') {
    const std::string cmd = argv[1];
    if (cmd != "list" && cmd != "describe" && cmd != "run" && cmd != "doctor" && cmd != "clean" &&
        cmd != "report" && cmd != "completion") {
      return UsageFail("unknown command '" + cmd +
                       "' (expected list, describe, run, bench, nightly, doctor, clean, report or "
                       "completion)");
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
    return UsageFail(std::string(e.what()) + " (try --help)");
  }

  crashlab::log::SetStderrLevel(!log_level.empty() ? crashlab::log::ParseLevel(log_level)
                                : verbose >= 2     ? crashlab::log::Level::kDebug
                                : verbose == 1     ? crashlab::log::Level::kInfo
                                                   : crashlab::log::Level::kWarn);
  if (hook && !*run) {
    return hook(*list         ? "list"
                : *describe   ? "describe"
                : *doctor     ? "doctor"
                : *report     ? "report"
                : *completion ? "completion"
                              : "clean",
                req);
  }
  if (*list) return List(list_json);
  if (*describe) return Describe(describe_name, describe_json);
  if (*doctor)
    return doctor_json ? crashlab::tools::DoctorJson(std::cout)
                       : crashlab::tools::Doctor(std::cout);
  if (*report) return Report(report_arg, report_json);
  if (*completion) {
    std::cout << (shell == "bash" ? crashlab::tools::BashCompletion(app)
                                  : crashlab::tools::ZshCompletion(app));
    return kExitValid;
  }
  if (*clean) return Clean(clean_dry_run);

  // run
  if (!spec_file.empty()) {
    const std::string name = req.scenario;
    try {
      req = crashlab::LoadSpecFile(spec_file);
    } catch (const crashlab::UsageError& e) {
      return UsageFail(e.what());
    }
    if (!name.empty()) req.scenario = name;
  } else if (req.scenario.empty()) {
    std::cerr << "crashlab: run needs a scenario name or -f SPEC.toml (crashlab list shows the "
                 "scenarios)\n";
    return kExitUsage;
  }
  if (*o_cycles) req.cycles = cycles;
  if (*o_duration) req.duration_s = duration;
  if (*o_workers) req.workers = workers;
  std::set<std::string> set_here;
  try {
    if (*o_seed) req.seed = crashlab::ParseSeed(seed_text);
    for (const auto& s : sets) {
      const auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0)
        throw crashlab::UsageError("--set expects KEY=VALUE, got '" + s + "'");
      const std::string key = s.substr(0, eq);
      if (!set_here.insert(key).second) throw crashlab::UsageError("--set " + key + " given twice");
      req.set[key] = s.substr(eq + 1);
    }
  } catch (const crashlab::UsageError& e) {
    return UsageFail(e.what());
  }
  req.progress = !quiet && ::isatty(2);
  for (int i = 0; i < argc; ++i) req.command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    const crashlab::ResolvedRequest resolved = crashlab::Resolve(req);
    if (hook) return hook("run", req);
    if (dry_run) return PrintResolved(resolved);
  } catch (const crashlab::UsageError& e) {
    return UsageFail(e.what());
  }
  if (!report_dir.empty() && !force &&
      std::filesystem::exists(std::filesystem::path(report_dir) / "report.json")) {
    return UsageFail("--report " + report_dir +
                     " already holds a report (another directory, or --force to overwrite)");
  }
  try {
    req.report_dir = report_dir.empty() ? NewReportDir(req.scenario, req.seed.value_or(1))
                                        : std::filesystem::path(report_dir);
  } catch (const std::exception& e) {
    return UsageFail(e.what());
  }
  try {
    crashlab::RunReport r = crashlab::RunScenario(req);
    if (run_json) {
      std::cout << crashlab::ReportJson(r);
    } else {
      crashlab::PrintVerdict(r, std::cout, UseColor());
      std::cout << "  report            "
                << std::filesystem::absolute(req.report_dir / "report.json").string() << "\n"
                << "  page              "
                << std::filesystem::absolute(req.report_dir / "report.html").string() << "\n";
    }
    return r.verdict == crashlab::Validity::kValid ? kExitValid : kExitInvalid;
  } catch (const crashlab::UsageError& e) {
    return UsageFail(e.what());
  } catch (const crashlab::PrerequisiteMissing& e) {
    return UsageFail(std::string(e.what()) + " (crashlab doctor explains; report in " +
                     req.report_dir.string() + ")");
  } catch (const crashlab::Interrupted&) {
    std::cerr << "\ncrashlab: interrupted by "
              << crashlab::SignalName(crashlab::supervisor::InterruptSignal())
              << "; every process the run started was killed; report (verdict unknown) in "
              << std::filesystem::absolute(req.report_dir).string() << "\n";
    return 128 + crashlab::supervisor::InterruptSignal();
  } catch (const std::exception& e) {
    return UsageFail("setup error: " + std::string(e.what()));
  }
}

}  // namespace crashlab::tools

#ifndef CRASHLAB_CLI_NO_MAIN
int main(int argc, char** argv) { return crashlab::tools::Main(argc, argv); }
#endif

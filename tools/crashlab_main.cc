// crashlab: the command line — one function pair per subcommand (Add* registers its
// options, the returned Command runs it), so subcommands stay independent.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/bench_cli.h"
#include "framework/log.h"
#include "framework/process.h"
#include "framework/report.h"
#include "framework/scenario.h"
#include "framework/spec_file.h"
#include "framework/version.h"
#include "nightly/merge.h"
#include "nightly/nightly_cli.h"
#include "tools/completion.h"
#include "tools/doctor.h"

namespace {

using nlohmann::json;

constexpr int kExitValid = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;

// A registered subcommand and what running it does.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

std::string Timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::ostringstream o;
  o << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return o.str();
}

// ANSI colours on stdout only for a terminal, and never when NO_COLOR is set.
bool UseColor() {
  const char* no = std::getenv("NO_COLOR");
  return ::isatty(1) && (no == nullptr || *no == '\0');
}

void PrintJson(const json& j) {
  std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

// ---- list ----

int List(bool as_json) {
  json out = json::array();
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

Command AddList(CLI::App& app) {
  auto as_json = std::make_shared<bool>(false);
  auto* c = app.add_subcommand("list", "list the scenarios, one line each");
  c->add_flag("--json", *as_json, "a JSON array of the scenarios");
  return {c, [as_json] { return List(*as_json); }};
}

// ---- describe ----

void PrintKnob(const crashlab::Knob& k) {
  std::string choices;
  for (const auto& c : k.choices) choices += (choices.empty() ? "" : "|") + c;
  std::cout << "  " << std::left << std::setw(26) << k.name << k.help << " (default "
            << (k.default_value.empty() ? "\"\"" : k.default_value)
            << (choices.empty() ? "" : "; " + choices) << ")\n";
}

json DescribeJson(const crashlab::Scenario& s,
                  const std::vector<const crashlab::FaultSpec*>& faults,
                  const std::vector<std::string>& others) {
  const auto& reg = crashlab::Registry::Global();
  json knobs = json::array();
  for (const auto& k : reg.KnobsFor(s, faults)) {
    knobs.push_back(
        {{"name", k.name}, {"help", k.help}, {"default", k.default_value}, {"choices", k.choices}});
  }
  json not_offered = json::object();
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

Command AddDescribe(CLI::App& app) {
  struct Opts {
    std::string name;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* c = app.add_subcommand("describe", "show a scenario's knobs and defaults");
  c->add_option("scenario", o->name, "scenario name")->required();
  c->add_flag("--json", o->json, "the description as a JSON object");
  return {c, [o] { return Describe(o->name, o->json); }};
}

// ---- doctor ----

Command AddDoctor(CLI::App& app) {
  auto as_json = std::make_shared<bool>(false);
  auto* c =
      app.add_subcommand("doctor", "check prerequisites and say what each missing one disables");
  c->add_flag("--json", *as_json, "the checks as a JSON object");
  return {c, [as_json] {
            return *as_json ? crashlab::tools::DoctorJson(std::cout)
                            : crashlab::tools::Doctor(std::cout);
          }};
}

// ---- run ----

struct RunOpts {
  crashlab::ScenarioRequest req;
  uint32_t cycles = 0;
  uint64_t seed = 0;
  double duration = 0;
  int workers = 0;
  std::vector<std::string> sets;
  std::string report_dir;
  std::string spec_file;
  bool quiet = false, dry_run = false, json = false;
  CLI::Option *o_cycles = nullptr, *o_seed = nullptr, *o_duration = nullptr, *o_workers = nullptr;
  std::string command_line;
};

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

// The request from the command line and the spec file; throws UsageError.
crashlab::ScenarioRequest BuildRequest(const RunOpts& o) {
  crashlab::ScenarioRequest req = o.req;
  if (!o.spec_file.empty()) {
    const std::string name = req.scenario;
    req = crashlab::LoadSpecFile(o.spec_file);
    if (!name.empty()) req.scenario = name;
  } else if (req.scenario.empty()) {
    throw crashlab::UsageError(
        "run needs a scenario name or -f SPEC.toml (crashlab list shows the scenarios)", "run");
  }
  req.keep_going = o.req.keep_going || req.keep_going;
  req.keep_data = o.req.keep_data || req.keep_data;
  if (*o.o_cycles) req.cycles = o.cycles;
  if (*o.o_seed) req.seed = o.seed;
  if (*o.o_duration) req.duration_s = o.duration;
  if (*o.o_workers) req.workers = o.workers;
  for (const auto& s : o.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw crashlab::UsageError("--set expects KEY=VALUE, got '" + s + "'", "set");
    req.set[s.substr(0, eq)] = s.substr(eq + 1);
  }
  req.progress = !o.quiet && ::isatty(2);
  req.command_line = o.command_line;
  return req;
}

int Run(const RunOpts& o) {
  crashlab::ScenarioRequest req;
  try {
    req = BuildRequest(o);
    const crashlab::ResolvedRequest resolved = crashlab::Resolve(req);
    if (o.dry_run) return PrintResolved(resolved);
  } catch (const crashlab::UsageError& e) {
    std::cerr << "crashlab: " << e.what() << "\n";
    return kExitUsage;
  }
  req.report_dir =
      o.report_dir.empty()
          ? std::filesystem::path("reports") /
                (req.scenario + "-" + std::to_string(req.seed.value_or(1)) + "-" + Timestamp())
          : std::filesystem::path(o.report_dir);
  try {
    crashlab::RunReport r = crashlab::RunScenario(req);
    if (o.json) {
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

Command AddRun(CLI::App& app, int argc, char** argv) {
  auto o = std::make_shared<RunOpts>();
  for (int i = 0; i < argc; ++i) o->command_line += (i ? " " : "") + std::string(argv[i]);
  auto* run =
      app.add_subcommand("run", "run a scenario's crash cycles and check every acknowledged write");
  run->add_option("scenario", o->req.scenario, "scenario name (crashlab list); optional with -f");
  run->add_option("-f,--file", o->spec_file,
                  "a spec file (TOML: scenario or store + fault, knobs, cycles, seed ...); "
                  "command-line options override it");
  o->o_cycles =
      run->add_option("--cycles", o->cycles, "number of crash cycles (default: the scenario's)");
  o->o_seed = run->add_option("--seed", o->seed, "seed of every random choice (default 1)");
  o->o_duration = run->add_option("--duration", o->duration, "stop starting cycles after SECONDS");
  o->o_workers =
      run->add_option("--workers", o->workers, "concurrent workers (default: the scenario's)");
  run->add_option("--set", o->sets,
                  "KEY=VALUE knob (crashlab describe SCENARIO lists them); repeatable")
      ->allow_extra_args(false);
  run->add_option("--report", o->report_dir,
                  "report directory (default reports/SCENARIO-SEED-TIME)");
  run->add_flag("--keep-going", o->req.keep_going, "do not stop at the first invalid cycle");
  run->add_flag("--keep-data", o->req.keep_data,
                "keep the store's data dir and logs after the run");
  run->add_flag("-q,--quiet", o->quiet, "no progress line");
  run->add_flag("--json", o->json, "print report.json on stdout instead of the verdict table");
  run->add_flag("--dry-run", o->dry_run,
                "validate and print the effective scenario, faults and knobs; run nothing");
  return {run, [o] { return Run(*o); }};
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

Command AddReport(CLI::App& app) {
  struct Opts {
    std::string dir;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* c = app.add_subcommand("report",
                               "re-render report.html of a run directory and print its summary");
  c->add_option("dir", o->dir, "a report directory written by crashlab run")->required();
  c->add_flag("--json", o->json, "print report.json on stdout instead of the verdict table");
  return {c, [o] { return Report(o->dir, o->json); }};
}

// ---- bench ----

// crashlab bench parses its own options (bench/bench_cli.h); registered here for --help,
// the unknown-command check and completion.
Command AddBench(CLI::App& app, int argc, char** argv) {
  auto* c = app.add_subcommand("bench",
                               "response time and its variance per store x storage x deployment "
                               "(crashlab bench --help)");
  c->allow_extras();
  return {c, [argc, argv] { return crashlab::bench::Main(argc - 1, argv + 1); }};
}

// ---- nightly ----

// crashlab nightly parses its own options (nightly/nightly_cli.h).
Command AddNightly(CLI::App& app, int argc, char** argv) {
  auto* c = app.add_subcommand(
      "nightly", "one shard of the nightly run over every scenario (crashlab nightly --help)");
  c->allow_extras();
  return {c, [argc, argv] { return crashlab::nightly::Main(argc - 1, argv + 1); }};
}

// ---- completion ----

Command AddCompletion(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  auto* c = app.add_subcommand("completion", "print the shell completion script (bash or zsh)");
  c->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  CLI::App* root = &app;
  return {c, [shell, root] {
            std::cout << (*shell == "bash" ? crashlab::tools::BashCompletion(*root)
                                           : crashlab::tools::ZshCompletion(*root));
            return kExitValid;
          }};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "crashlab: crash-injection and fault-simulation testing of data stores.\n"
      "Exit codes: 0 valid, 1 invalid (data lost or corrupt), 2 usage or setup error."};
  app.name("crashlab");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  app.set_version_flag("--version", std::string("crashlab ") + crashlab::kVersion);
  int verbose = 0;
  std::string log_level;
  app.add_flag("-v,--verbose", verbose, "log what the run does on stderr (-vv: more)");
  app.add_option("--log-level", log_level, "stderr log level: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  const std::vector<Command> commands = {AddList(app),
                                         AddDescribe(app),
                                         AddRun(app, argc, argv),
                                         AddBench(app, argc, argv),
                                         AddNightly(app, argc, argv),
                                         AddDoctor(app),
                                         AddReport(app),
                                         AddCompletion(app)};
  // bench, nightly and `report merge` take the rest of the command line as it is.
  if (argc > 1 && std::string(argv[1]) == "bench") return crashlab::bench::Main(argc - 1, argv + 1);
  if (argc > 2 && std::string(argv[1]) == "report" && std::string(argv[2]) == "merge")
    return crashlab::nightly::MergeMain(argc - 2, argv + 2);
  if (argc > 1 && std::string(argv[1]) == "nightly")
    return crashlab::nightly::Main(argc - 1, argv + 1);
  if (argc > 1 && argv[1][0] != '-') {
    const std::string cmd = argv[1];
    std::string names;
    bool known = false;
    for (const auto& c : commands) {
      known = known || c.app->get_name() == cmd;
      names += (names.empty() ? "" : ", ") + c.app->get_name();
    }
    if (!known) {
      std::cerr << "crashlab: unknown command '" << cmd << "' (expected " << names << ")\n";
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
  crashlab::log::SetStderrLevel(!log_level.empty() ? crashlab::log::ParseLevel(log_level)
                                : verbose >= 2     ? crashlab::log::Level::kDebug
                                : verbose == 1     ? crashlab::log::Level::kInfo
                                                   : crashlab::log::Level::kWarn);
  for (const auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}

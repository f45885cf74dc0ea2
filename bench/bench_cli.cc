#include "bench/bench_cli.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <ctime>
#include <iostream>

#include "bench/bench.h"
#include "framework/knob.h"
#include "framework/process.h"

namespace crashlab::bench {
namespace {

constexpr int kExitUsage = 2;

std::vector<StorageChoice> ParseStorages(const std::vector<std::string>& items) {
  std::vector<StorageChoice> out;
  for (const auto& s : items) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) {
      out.push_back({s, s});
    } else if (eq == 0 || eq + 1 == s.size() || s[eq + 1] != '/') {
      throw UsageError("--storage NAME=PATH needs a name and an absolute path, got '" + s + "'",
                       "storage");
    } else {
      out.push_back({s.substr(0, eq), s.substr(eq + 1)});
    }
  }
  return out;
}

// reports/bench-YYYYmmdd-HHMMSS, with a suffix if a run in the same second took it.
std::filesystem::path DefaultOut() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "bench-%Y%m%d-%H%M%S", &tm);
  std::filesystem::path p = std::filesystem::path("reports") / buf;
  for (int i = 2; std::filesystem::exists(p); ++i) {
    p = std::filesystem::path("reports") / (std::string(buf) + "-" + std::to_string(i));
  }
  return p;
}

std::string CommandLine(int argc, char** argv) {
  std::string s = "crashlab";
  for (int i = 0; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

// Every value in a comma list once, in order; duplicates are a usage error.
template <typename T>
void NoDuplicates(const std::vector<T>& v, const std::string& key) {
  for (size_t i = 0; i < v.size(); ++i) {
    for (size_t j = i + 1; j < v.size(); ++j) {
      if (v[i] == v[j]) throw UsageError("--" + key + " lists a value twice", key);
    }
  }
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "crashlab bench: response time and its variance for each store x storage x deployment x "
      "client count, with repetitions, 95% confidence intervals and pairwise comparisons.\n"
      "Writes OUT/bench.json (Google Benchmark's JSON: compare.py reads it), OUT/histograms/ "
      "and OUT/report.html.",
      "crashlab bench"};
  BenchRequest req;
  std::vector<std::string> storages{"disk"}, sets;
  std::string out;
  app.add_option("--stores", req.stores, "stores to benchmark (default sqlite)")->delimiter(',');
  app.add_option("--storage", storages,
                 "disk, tmpfs, crashfs, or NAME=/abs/dir for any mounted path (default disk)")
      ->delimiter(',');
  app.add_option("--deploy", req.deploys,
                 "local, container-bind, container-volume, container-layer (default local)")
      ->delimiter(',');
  app.add_option("--clients", req.clients, "concurrent clients, a list runs each (default 1)")
      ->delimiter(',');
  app.add_option("--workload", req.workload,
                 "insert, update, read, mix, ledger or bank (default insert)");
  app.add_option("--duration", req.duration_s, "seconds measured per repetition (default 10)");
  app.add_option("--warmup", req.warmup_s, "seconds of load before measuring (default 1)");
  app.add_option("--repetitions", req.repetitions, "repetitions per combination (default 3)");
  app.add_option("--rate", req.rate,
                 "open loop: total ops/s at fixed intended start times; latency counts queueing "
                 "(default: closed loop)");
  app.add_option("--seed", req.seed, "seed of the op streams (default 1)");
  app.add_option("--keyspace", req.keyspace,
                 "update/read/mix: rows written before the warm-up (default 1000)");
  app.add_option("--fault", req.fault, "a fault to inject repeatedly (kill, pause, powercut, ...)");
  app.add_option("--every", req.every_s, "with --fault: seconds between faults");
  app.add_option("--set", sets, "KEY=VALUE store knob for every combination (repeatable)");
  app.add_option("--out", out, "output directory (default reports/bench-TIME)");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "no line per repetition");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "crashlab bench: " << e.what() << " (try --help)\n";
    return kExitUsage;
  }
  try {
    req.storages = ParseStorages(storages);
    for (const auto& s : sets) {
      const auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--set expects KEY=VALUE", "set");
      if (!req.set.emplace(s.substr(0, eq), s.substr(eq + 1)).second)
        throw UsageError("--set " + s.substr(0, eq) + " given twice", "set");
    }
    NoDuplicates(req.stores, "stores");
    NoDuplicates(req.deploys, "deploy");
    NoDuplicates(req.clients, "clients");
    req.out = out.empty() ? DefaultOut() : std::filesystem::path(out);
    req.command_line = CommandLine(argc, argv);
    Validate(req);
    std::filesystem::create_directories(req.out);
  } catch (const UsageError& e) {
    std::cerr << "crashlab bench: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "crashlab bench: cannot create --out " << out << ": " << e.code().message()
              << "\n";
    return kExitUsage;
  }
  try {
    const BenchResult r = RunBench(req, [quiet](const std::string& line) {
      if (!quiet) std::cerr << "  " << line << std::endl;
    });
    WriteBenchJson(r, req.out / "bench.json");
    WriteHistograms(r, req.out / "histograms");
    WriteBenchHtml(r, req.out / "report.html");
    PrintSummary(r, std::cout);
    std::cout << "  bench.json        "
              << std::filesystem::absolute(req.out / "bench.json").string()
              << "\n  report            "
              << std::filesystem::absolute(req.out / "report.html").string() << "\n";
    for (const auto& c : r.combos) {
      if (!c.error.empty()) return 1;
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "crashlab bench: " << e.what() << "\n";
    return kExitUsage;
  } catch (const Interrupted&) {
    std::cerr << "\ncrashlab bench: interrupted; every process it started was stopped\n";
    return 128 + supervisor::InterruptSignal();
  } catch (const std::exception& e) {
    std::cerr << "crashlab bench: setup error: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace crashlab::bench

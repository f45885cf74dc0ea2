// crashlab bench: response time and its variance for every store x storage x deployment
// x client count the registry offers, with repetitions, confidence intervals and
// pairwise comparisons. A combination's store is built from the registry exactly as a
// crash run builds it (same knobs, storage layer and container deployments), so any
// store or storage crashlab knows is benchmarkable without new code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/histogram.h"
#include "bench/stats.h"
#include "framework/scenario.h"

namespace crashlab::bench {

// A storage to benchmark: a name for the report and the `storage` knob's value.
struct StorageChoice {
  std::string name;   // "disk", "tmpfs", "crashfs" or the user's NAME
  std::string value;  // the storage knob: disk|tmpfs|crashfs|/abs/dir
};

struct BenchRequest {
  std::vector<std::string> stores{"sqlite"};
  std::vector<StorageChoice> storages{{"disk", "disk"}};
  std::vector<std::string> deploys{
      "local"};  // local|container-bind|container-volume|container-layer
  std::vector<int> clients{1};
  std::string workload = "insert";  // insert|update|read|mix|ledger|bank
  double duration_s = 10;
  double warmup_s = 1;
  int repetitions = 3;
  double rate = 0;  // > 0: open loop at this many ops/s in total (latency from intended start)
  uint64_t seed = 1;
  int keyspace = 1000;  // update/read/mix: rows 1..keyspace, written before the warm-up
  std::string fault;    // "" or kill|pause|powercut|... (a fault the store supports)
  double every_s = 0;   // with fault: seconds between faults
  std::map<std::string, std::string> set;  // extra store knobs (--set KEY=VALUE)
  std::filesystem::path out;
  bool progress = false;
  std::string command_line;  // for the report
};

// Checks the request (UsageError, key = the option) without running anything.
void Validate(const BenchRequest& req);

// One benchmarked configuration.
struct Combination {
  std::string store;
  StorageChoice storage;  // local deployments only (containers keep data on their mount)
  std::string deploy;
  int clients = 1;
  // "sqlite/disk/local/clients:1/insert": the benchmark's name in bench.json.
  std::string Name(const std::string& workload) const;
  std::string Label() const;  // "sqlite disk" (+ deploy, clients when they vary)
};
std::vector<Combination> Combinations(const BenchRequest& req);

// Latency over time: one window of a repetition.
struct Window {
  double t_s = 0;  // start, since the measurement began
  uint64_t ok = 0, fail = 0, unknown = 0;
  uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
};

// A fault during a repetition and how the latency recovered.
struct FaultRecovery {
  std::string fault;
  double at_s = 0;          // since the measurement began
  double first_ok_ms = -1;  // first acknowledged op after the fault (-1: none)
  double p99_back_ms = -1;  // p99 of a 1-s span back within 10% of its pre-fault value
  double pre_p99_us = 0;
};

struct Repetition {
  Histogram hist{7};
  uint64_t ok = 0, fail = 0, unknown = 0;
  double elapsed_s = 0;
  double cpu_ns_per_op = 0;  // the client threads' CPU time per acknowledged op
  double window_s = 1;
  std::vector<Window> windows;
  // Samples for comparisons: p50 and p99 of consecutive spans of about one second.
  std::vector<double> span_p50_us, span_p99_us;
  std::vector<FaultRecovery> faults;
  double OpsPerSec() const { return elapsed_s > 0 ? static_cast<double>(ok) / elapsed_s : 0; }
};

struct CombinationResult {
  Combination combo;
  std::vector<Repetition> reps;
  Histogram merged{7};
  std::map<std::string, std::string> config;  // the store's effective settings, storage
  std::string skipped;                        // why it did not run ("" if it did)
  std::string error;                          // a setup error during the run
};

// A figure across repetitions: median, 95% bootstrap CI, CV.
struct Figure {
  double median = 0;
  Interval ci;
  double cv = 0;  // stddev / mean across repetitions
  std::vector<double> per_rep;
};
Figure Summarize(const std::vector<double>& per_rep, uint64_t seed);

// b against a, on the ~1 s spans of all repetitions.
struct Comparison {
  size_t a = 0, b = 0;  // indexes into BenchResult::combos
  std::string axis;     // "storage" or "deploy"
  double p50_ratio = 0, p99_ratio = 0;
  Interval p50_ci, p99_ci;
  UTest p50_test, p99_test;
  std::string Sentence(const std::vector<CombinationResult>& combos) const;
};

struct HostInfo {
  std::string date, host, kernel, cpu_model;
  int cpus = 0;
  double mhz = 0;
  double load_avg[3] = {0, 0, 0};
  std::map<std::string, std::string> storage_devices;  // storage name -> "device fstype (path)"
};

struct BenchResult {
  BenchRequest request;
  HostInfo host;
  double clock_overhead_ns = 0;    // one steady_clock::now()
  double harness_overhead_ns = 0;  // the harness's own cost per op (no-op client)
  std::vector<CombinationResult> combos;
  std::vector<Comparison> comparisons;
  std::vector<std::string> warnings;  // CV above 10%, skipped combinations
};

// Runs every combination; `log` receives one line per repetition.
BenchResult RunBench(const BenchRequest& req, const std::function<void(const std::string&)>& log);

// Measurement pieces, exposed for tests and the harness-overhead benchmark.
// One repetition of a resolved combination on a fresh store (config: the store's
// settings, filled if not null).
Repetition RunRepetition(const ResolvedRequest& r, const BenchRequest& req, int clients,
                         uint64_t seed, std::map<std::string, std::string>* config);
// The pieces of RunRepetition: start a built store for the bench (fault setup, schema,
// prefill), and measure on it (the caller stops it).
void StartForBench(BuiltScenario& b, const BenchRequest& req);
Repetition MeasureOn(BuiltScenario& b, const BenchRequest& req, int clients, uint64_t seed);
double MeasureClockOverheadNs();
double MeasureHarnessOverheadNs();
HostInfo ProbeHost(const BenchRequest& req);
std::vector<Comparison> Compare(const std::vector<CombinationResult>& combos, uint64_t seed);

// `v` with `prec` digits after the point ("12.35").
std::string Fixed(double v, int prec);

// Outputs (bench_json.cc, bench_html.cc).
void WriteBenchJson(const BenchResult& r, const std::filesystem::path& file);
void WriteHistograms(const BenchResult& r, const std::filesystem::path& dir);
void WriteBenchHtml(const BenchResult& r, const std::filesystem::path& file);
void PrintSummary(const BenchResult& r, std::ostream& out);

}  // namespace crashlab::bench

// The cycle runner: start, load, fault, recover, check — N times — and the run report.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "framework/checker.h"
#include "framework/fault.h"
#include "framework/history.h"
#include "framework/process.h"
#include "framework/schedule.h"
#include "framework/target.h"
#include "framework/workload.h"

namespace crashlab {

struct RunOptions {
  uint64_t seed = 1;
  uint32_t cycles = 10;
  double duration_s = 0;  // > 0: start no new cycle after this many seconds
  int workers = 2;
  Schedule schedule = Schedule::RandomOps(20, 200);
  double cycle_timeout_s = 30;       // fire anyway if the trigger is not reached by then
  bool stop_on_invalid = true;       // stop at the first invalid cycle (fast detection)
  bool progress = false;             // live progress line on stderr
  std::filesystem::path report_dir;  // history.jsonl is streamed here (empty: nowhere)
};

// One crash cycle, as the report shows it.
struct CycleRecord {
  uint32_t cycle = 0;
  Trigger trigger;
  bool trigger_timed_out = false;
  uint64_t acked_at_fault = 0;  // acknowledgements of this cycle seen when it fired
  double fault_at_ms = 0;       // since the start of the cycle's load
  FaultEvent event;
  double recovery_ms = -1;  // from the fault to ready again (-1: not recovered)
  double cycle_ms = 0;
  // On the history's clock (ms since the run started): load began, the fault's instant,
  // the store ready again (-1 if it never was). For timelines.
  double start_ms = 0, fault_ms = 0, ready_ms = -1;
  uint64_t ok = 0, fail = 0, unknown = 0, demoted = 0;
  Validity validity = Validity::kValid;
  std::map<std::string, uint64_t> anomalies;
  std::map<std::string, double> stats;
};

struct RunReport {
  std::string scenario;
  std::string description;
  Validity verdict = Validity::kUnknown;
  uint64_t seed = 0;
  uint32_t cycles = 0;  // completed cycles
  uint32_t cycles_requested = 0;
  int workers = 0;
  std::string schedule;
  uint64_t ok = 0, fail = 0, unknown = 0;
  std::map<std::string, uint64_t> anomaly_counts;  // lost, phantom, invariant, ... (all kinds)
  std::vector<Anomaly> anomalies;  // details (capped; anomalies.jsonl holds the rest)
  std::vector<CycleRecord> cycle_records;
  std::map<std::string, std::string> config;  // knobs and target config
  double wall_s = 0;
  double ops_per_s = 0;
  double recovery_p50_ms = 0, recovery_max_ms = 0;
  double latency_p50_us = 0, latency_p99_us = 0;  // ok ops
  double latency_max_us = 0;
  // Completions per time bucket over the whole run (for the HTML report's plots): the
  // bucket [t_ms, t_ms + timeline_bucket_ms) on the history's clock, and the latency of
  // the ok ops completed in it.
  struct TimelinePoint {
    double t_ms = 0;
    uint32_t ok = 0, fail = 0, unknown = 0;
    float lat_p50_us = 0, lat_p99_us = 0, lat_max_us = 0;
  };
  std::vector<TimelinePoint> timeline;
  double timeline_bucket_ms = 0;
  // Latency distribution of ok ops: (latency in us, fraction of ops at most that), at
  // most a few hundred points, increasing.
  std::vector<std::pair<double, double>> latency_cdf;
  // Every lost or phantom op the checks named (anomalies.jsonl holds their details):
  // when it was acknowledged (or failed), relative to the fault instant of its cycle.
  struct LossPoint {
    uint32_t cycle = 0;  // the cycle whose fault the op is measured against
    uint64_t op = 0;
    double rel_ms = 0;     // completion minus fault instant (negative: before the fault)
    bool phantom = false;  // a failed op found present (else an acknowledged op lost)
  };
  std::vector<LossPoint> losses;
  std::map<std::string, std::string> knobs_set;  // knobs the user set (--set, spec file)
  std::string started_at;                        // ISO 8601 UTC
  std::string hostname, kernel;
  std::string command_line;  // as typed (set by the CLI; empty for suites)
  std::string replay;        // the command that replays this run
  std::string interrupted;   // the signal that interrupted the run ("SIGINT"), else empty
  std::string skipped;       // why the run did not start (a missing prerequisite), else empty
  // What the summary must say besides the verdict: why it is unknown (no cycle, no
  // acknowledged op, interrupted), or that most ops failed.
  std::vector<std::string> notes;
  std::string store_log;  // log excerpt on unrecoverable/invalid
};

// Runs the cycles. Owns nothing; the caller owns target, workload and fault. Throws
// crashlab::Interrupted on SIGINT/SIGTERM (after cleaning up what it started) and
// std::runtime_error for setup errors (the target cannot start at all).
class CrashCycleRunner {
 public:
  CrashCycleRunner(Target& target, Workload& workload, Fault& fault, RunOptions options);
  RunReport Run();
  History& history() { return history_; }
  // After Run() threw Interrupted: the report of the cycles completed until then
  // (verdict unknown, `interrupted` set).
  const RunReport& interrupted_report() const { return interrupted_report_; }

 private:
  void Summarize(RunReport& report, Clock::time_point run_start);
  void RunCycle(uint32_t cycle, RunReport& report, Checker& checker,
                std::vector<std::unique_ptr<OpGenerator>>& gens);

  Target& target_;
  Workload& workload_;
  Fault& fault_;
  RunOptions options_;
  History history_;
  std::chrono::steady_clock::time_point run_start_{};
  RunReport interrupted_report_;
};

// Demotes a valid verdict that proves nothing (no completed cycle, no acknowledged op) to
// unknown and notes why; notes when most ops failed.
void JudgeEvidence(RunReport& report);
// "SIGINT", "SIGTERM", ... for a signal number.
std::string SignalName(int sig);

// p-th percentile (0..100) of `values` (copied and partially sorted); 0 if empty.
double Percentile(std::vector<double> values, double p);

}  // namespace crashlab

// CrashCycleRunner: the data flow of DESIGN.md, one crash cycle at a time.
#include "framework/runner.h"

#include <fmt/format.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <iostream>
#include <mutex>
#include <thread>

#include "framework/log.h"
#include "framework/process.h"
#include "framework/run_summary.h"

namespace crashlab {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

CrashCycleRunner::CrashCycleRunner(Target& target, Workload& workload, Fault& fault,
                                   RunOptions options)
    : target_(target), workload_(workload), fault_(fault), options_(std::move(options)) {}

namespace {
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
// The live progress line (stderr, a TTY): cycles done and left, or the time left in
// --duration mode; ops/s; anomalies so far.
std::string ProgressLine(uint32_t cycle, const RunOptions& o, double run_s, uint64_t ops,
                         uint64_t anomalies) {
  char buf[160];
  std::string where;
  if (o.duration_s > 0) {
    const double left = std::max(0.0, o.duration_s - run_s);
    std::snprintf(buf, sizeof buf, "cycle %u, %.0f s left", cycle, std::ceil(left));
  } else {
    std::snprintf(buf, sizeof buf, "cycle %u/%u", cycle, o.cycles);
  }
  where = buf;
  std::snprintf(buf, sizeof buf, "\r\033[K  %s  %.0f ops/s  anomalies %llu", where.c_str(),
                run_s > 0 ? static_cast<double>(ops) / run_s : 0.0,
                static_cast<unsigned long long>(anomalies));
  return buf;
}

// What run.log says about a finished cycle.
std::string CycleLogLine(const CycleRecord& c) {
  std::string anomalies;
  for (const auto& [k, n] : c.anomalies)
    if (n) anomalies += fmt::format(" {} {}", k, n);
  return fmt::format(
      "cycle {}: {} {} at {:.1f} ms ({} acked{}), ready after {:.1f} ms; ok {} fail {} "
      "unknown {} (demoted {}); {}{}",
      c.cycle, c.event.fault, c.event.detail, c.fault_at_ms, c.acked_at_fault,
      c.trigger_timed_out ? ", trigger timed out" : "", c.recovery_ms, c.ok, c.fail, c.unknown,
      c.demoted, ToString(c.validity), anomalies);
}

}  // namespace

RunReport CrashCycleRunner::Run() {
  supervisor::Init();
  RunReport report;
  report.seed = options_.seed;
  report.cycles_requested = options_.cycles;
  report.workers = options_.workers;
  report.schedule = options_.schedule.ToString();
  StampRunMetadata(report);
  const auto run_start = Clock::now();
  run_start_ = run_start;

  fault_.Setup(target_);
  target_.Start();
  {
    auto c = target_.NewClient(0);
    c->Prepare(workload_.Model());
  }
  for (const auto& [k, v] : target_.Config()) report.config[k] = v;

  std::vector<std::unique_ptr<OpGenerator>> gens;
  for (int w = 0; w < options_.workers; ++w) {
    gens.push_back(workload_.Generator(w, SubSeed(options_.seed, 0x3a11, w)));
  }
  auto checker = workload_.MakeChecker();
  if (!options_.report_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove(options_.report_dir / "history.jsonl", ec);
    std::filesystem::remove(options_.report_dir / "anomalies.jsonl", ec);
  }

  log::Info(fmt::format(
      "run: seed {}, {} cycles{}, {} workers, schedule {}", options_.seed, options_.cycles,
      options_.duration_s > 0 ? fmt::format(" (or {} s)", options_.duration_s) : std::string(),
      options_.workers, report.schedule));
  report.verdict = Validity::kValid;
  try {
    for (uint32_t cycle = 1; options_.cycles == 0 || cycle <= options_.cycles; ++cycle) {
      ThrowIfInterrupted();
      if (options_.duration_s > 0 && MsSince(run_start) / 1000.0 >= options_.duration_s) break;
      RunCycle(cycle, report, *checker, gens);
      ++report.cycles;
      if (report.verdict == Validity::kInvalid && options_.stop_on_invalid) break;
    }
  } catch (const Interrupted&) {
    try {
      fault_.Teardown(target_);
      target_.Stop();
    } catch (...) {
    }
    Summarize(report, run_start);
    report.verdict = Validity::kUnknown;
    report.interrupted = SignalName(supervisor::InterruptSignal());
    report.notes.push_back("interrupted by " + report.interrupted + " after " +
                           std::to_string(report.cycles) + " completed cycle(s)");
    interrupted_report_ = report;
    throw;
  }
  if (report.verdict == Validity::kInvalid) report.store_log = target_.LogExcerpt();
  fault_.Teardown(target_);
  target_.Stop();
  Summarize(report, run_start);
  JudgeEvidence(report);
  return report;
}

std::string SignalName(int sig) {
  const char* abbrev = sig > 0 ? sigabbrev_np(sig) : nullptr;
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

void JudgeEvidence(RunReport& r) {
  if (r.verdict == Validity::kValid && r.cycles == 0) {
    r.verdict = Validity::kUnknown;
    r.notes.push_back("no crash cycle completed: nothing was tested");
  } else if (r.verdict == Validity::kValid && r.ok == 0) {
    r.verdict = Validity::kUnknown;
    r.notes.push_back("the workers made no acknowledged op: nothing could be lost");
  }
  const uint64_t total = r.ok + r.fail + r.unknown;
  if (total > 0 && r.fail * 2 > total) {
    r.notes.push_back("most ops failed (" + std::to_string(r.fail) + " of " +
                      std::to_string(total) +
                      "): the store rejected most clients (too many workers for its "
                      "connection limit?)");
  }
}

void CrashCycleRunner::Summarize(RunReport& report, Clock::time_point run_start) {
  report.wall_s = MsSince(run_start) / 1000.0;
  report.ok = history_.ok();
  report.fail = history_.fail();
  report.unknown = history_.unknown();
  const double total = static_cast<double>(report.ok + report.fail + report.unknown);
  report.ops_per_s = report.wall_s > 0 ? total / report.wall_s : 0;
  std::vector<double> rec;
  for (const auto& c : report.cycle_records) {
    if (c.recovery_ms >= 0) rec.push_back(c.recovery_ms);
  }
  report.recovery_p50_ms = Percentile(rec, 50);
  report.recovery_max_ms = rec.empty() ? 0 : *std::max_element(rec.begin(), rec.end());
  SummarizeHistory(history_, report);
  for (const auto& kind : {anomaly::kLost, anomaly::kPhantom, anomaly::kInvariant,
                           anomaly::kIntegrity, anomaly::kUnrecoverable}) {
    report.anomaly_counts.emplace(kind, 0);
  }
}

void CrashCycleRunner::RunCycle(uint32_t cycle, RunReport& report, Checker& checker,
                                std::vector<std::unique_ptr<OpGenerator>>& gens) {
  CycleRecord rec;
  rec.cycle = cycle;
  rec.trigger = options_.schedule.ForCycle(options_.seed, cycle);
  Rng fault_rng(SubSeed(options_.seed, 0xfa017, cycle));
  const uint64_t ok0 = history_.ok(), fail0 = history_.fail(), unk0 = history_.unknown();

  // Clients are made here, on the runner's thread: a target may spawn processes for
  // them, and those must not be tied to a worker thread's lifetime.
  std::vector<std::unique_ptr<Client>> clients;
  for (int w = 0; w < options_.workers; ++w) clients.push_back(target_.NewClient(w));
  for (auto& g : gens) g->BeginCycle(cycle);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked{0};
  std::atomic<int64_t> trigger_ns{INT64_MAX};  // when the trigger's ack arrived
  std::mutex mu;
  std::condition_variable cv;
  const uint64_t want = rec.trigger.kind == Trigger::Kind::kAfterOps ? rec.trigger.after_ops : 0;
  std::atomic<bool> self_fired{false};
  std::atomic<bool> fault_fired{false};  // the monitor is injecting (or has injected)
  fault_.BeginCycle(target_, cycle, [&] {
    int64_t none = INT64_MAX;
    trigger_ns.compare_exchange_strong(none, history_.Now());
    self_fired.store(true);
    std::lock_guard lock(mu);
    cv.notify_all();
  });
  const auto cycle_start = Clock::now();
  rec.start_ms = history_.Now() / 1e6;
  const auto work = [&](int w) {
    Client& client = *clients[w];
    OpGenerator& gen = *gens[w];
    int backoff_ms = 1;
    while (!stop.load(std::memory_order_relaxed)) {
      auto op = gen.Next();
      if (!op) break;
      const uint64_t idx = history_.Invoke(*op, static_cast<uint16_t>(cycle));
      Outcome out;
      try {
        out = client.Apply(*op);
      } catch (...) {
        out = Outcome::kUnknown;  // a client exception is "not sure" (Jepsen's :info)
      }
      history_.Complete(idx, out);
      if (out == Outcome::kOk && acked.fetch_add(1) + 1 == want) {
        trigger_ns.store(history_.Now());
        fault_.AtTrigger(target_);
        std::lock_guard lock(mu);
        cv.notify_all();
      }
      // The store may be down: do not spin on a dead connection. Once the fault fired,
      // a failure is as likely as an unknown to mean that, so both back off (1, 2, 4 ...
      // 32 ms); before it, a failure is the workload's (a refused transfer) and costs
      // nothing.
      const bool fired = fault_fired.load(std::memory_order_relaxed);
      if (out == Outcome::kOk || (out == Outcome::kFail && !fired)) {
        backoff_ms = 1;
      } else if (!stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(Millis(backoff_ms));
        if (fired) backoff_ms = std::min(backoff_ms * 2, 32);
      }
    }
  };

  // The monitor waits for the trigger, fires the fault, stops the workers and heals.
  // Worker 0 runs on this (the runner's) thread: a request/reply round trip to a store
  // process is up to 50% slower from a freshly created thread on this kind of VM
  // (tests/bench/sqlite_cycle_bench), and the runner's thread is otherwise idle.
  Clock::time_point fault_time;
  int64_t instant_ns = 0;
  bool interrupted = false;
  std::exception_ptr monitor_error;
  uint64_t anomalies_so_far = 0;
  for (const auto& [k, n] : report.anomaly_counts) anomalies_so_far += n;
  auto next_progress = Clock::now();
  std::thread monitor([&] {
    try {
      const auto timeout = std::chrono::duration<double>(options_.cycle_timeout_s);
      {
        std::unique_lock lock(mu);
        while (!supervisor::Interrupted()) {
          if (self_fired.load()) break;
          if (rec.trigger.kind == Trigger::Kind::kAfterOps) {
            if (acked.load() >= want) break;
          } else if (MsSince(cycle_start) >= static_cast<double>(rec.trigger.after_ms)) {
            break;
          }
          if (Clock::now() - cycle_start > timeout) {
            rec.trigger_timed_out = true;
            break;
          }
          cv.wait_for(lock, Millis(rec.trigger.kind == Trigger::Kind::kAfterOps ? 20 : 1));
          if (options_.progress && Clock::now() >= next_progress) {
            next_progress = Clock::now() + Millis(200);
            std::cerr << ProgressLine(cycle, options_, MsSince(run_start_) / 1000.0,
                                      history_.ok() + history_.fail() + history_.unknown(),
                                      anomalies_so_far)
                      << std::flush;
          }
        }
      }
      fault_time = Clock::now();
      // The fault's instant: the trigger's acknowledgement when op-based (AtTrigger ran
      // then), else now.
      instant_ns = std::min(history_.Now(), trigger_ns.load());
      rec.acked_at_fault = acked.load();
      rec.fault_at_ms = MsSince(cycle_start);
      rec.fault_ms = instant_ns / 1e6;
      interrupted = supervisor::Interrupted();
      fault_fired.store(true);
      if (!interrupted) rec.event = fault_.Inject(target_, fault_rng);
    } catch (...) {
      monitor_error = std::current_exception();
    }
    stop.store(true);
    try {
      fault_.Heal(target_);
    } catch (...) {
      if (!monitor_error) monitor_error = std::current_exception();
    }
  });
  std::vector<std::thread> threads;
  for (int w = 1; w < options_.workers; ++w) threads.emplace_back(work, w);
  work(0);
  monitor.join();
  for (auto& t : threads) t.join();
  clients.clear();
  if (monitor_error) std::rethrow_exception(monitor_error);
  if (interrupted) throw Interrupted();

  rec.demoted =
      fault_.CutsPower() ? history_.DemoteAfter(instant_ns) : history_.DemoteAfter(INT64_MAX);

  CheckResult result;
  bool recovered = true;
  if (fault_.NeedsRecovery()) {
    try {
      target_.Recover();
      rec.recovery_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - fault_time).count();
      rec.ready_ms = history_.Now() / 1e6;
    } catch (const Unrecoverable& e) {
      recovered = false;
      result.Add({anomaly::kUnrecoverable, std::string(e.what()) + "\n" + e.log, std::nullopt});
      report.store_log = e.log;
    }
  } else {
    rec.recovery_ms = 0;
  }
  if (recovered) {
    try {
      ObservedState state = target_.NewClient(0)->ReadState();
      CheckInput in{history_, state, true};
      result.Merge(checker.Check(in));
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      result.Add({anomaly::kUnrecoverable,
                  std::string("state cannot be read after recovery: ") + e.what(), std::nullopt});
      report.store_log = target_.LogExcerpt();
    }
  }
  ThrowIfInterrupted();
  rec.validity = result.validity;
  rec.anomalies = result.counts;
  rec.stats = result.stats;
  rec.ok = history_.ok() - ok0;
  rec.fail = history_.fail() - fail0;
  rec.unknown = history_.unknown() - unk0;
  rec.cycle_ms = MsSince(cycle_start);
  report.verdict = Combine(report.verdict, result.validity);
  for (const auto& [k, n] : result.counts) report.anomaly_counts[k] += n;
  RecordAnomalies(history_, rec, std::move(result.anomalies), report,
                  options_.report_dir.empty() ? std::filesystem::path()
                                              : options_.report_dir / "anomalies.jsonl");
  log::Info(CycleLogLine(rec));
  report.cycle_records.push_back(std::move(rec));
  if (!options_.report_dir.empty()) history_.FlushTo(options_.report_dir / "history.jsonl");
  if (options_.progress) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace crashlab

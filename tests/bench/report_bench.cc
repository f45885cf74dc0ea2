// Writing the reports of a big run: 10,000 cycles, 1 million ops (100 per cycle, 50 ms
// cycles, a fault window of 20 ms each; 1 cycle in 10 loses 5 acknowledged ops). Times
// what the runner does after the cycles (SummarizeHistory, the per-cycle anomaly
// records) plus report.json, junit.xml and report.html, and separately the streaming of
// history.jsonl; reports report.html's size (target: under 5 s, under 5 MB).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "framework/history.h"
#include "framework/process.h"
#include "framework/report.h"
#include "framework/run_summary.h"

namespace crashlab {
namespace {

constexpr uint32_t kCycles = 10000;
constexpr uint64_t kOpsPerCycle = 100;
constexpr double kCycleMs = 50;

// A history of kCycles x kOpsPerCycle ops with made-up times and outcomes.
std::unique_ptr<History> BigHistory() {
  auto h = std::make_unique<History>();
  for (uint32_t c = 1; c <= kCycles; ++c) {
    for (uint64_t i = 0; i < kOpsPerCycle; ++i) {
      Op op;
      op.key = static_cast<int64_t>(c * kOpsPerCycle + i);
      const uint64_t idx = h->Invoke(op, static_cast<uint16_t>(c));
      Entry& e = (*h)[idx];
      const double start_ms = (c - 1) * kCycleMs;
      e.invoke_ns = static_cast<int64_t>((start_ms + i * 0.28) * 1e6);
      e.complete_ns = e.invoke_ns + static_cast<int64_t>((200 + (i * 37 % 900)) * 1000);
      e.outcome = i == 99 ? Outcome::kUnknown : (i == 98 ? Outcome::kFail : Outcome::kOk);
    }
  }
  return h;
}

CycleRecord Cycle(uint32_t c) {
  CycleRecord rec;
  rec.cycle = c;
  rec.event.fault = "power-cut";
  rec.start_ms = (c - 1) * kCycleMs;
  rec.fault_ms = rec.start_ms + 28;
  rec.ready_ms = rec.fault_ms + 20;
  rec.recovery_ms = 20;
  rec.cycle_ms = kCycleMs;
  rec.ok = kOpsPerCycle - 2, rec.fail = 1, rec.unknown = 1;
  rec.validity = c % 10 == 0 ? Validity::kInvalid : Validity::kValid;
  rec.anomalies = {{"lost", c % 10 == 0 ? 5 : 0}, {"phantom", 0}};
  return rec;
}

// The runner's part: anomalies per cycle, then the summary of the whole history.
RunReport Summarize(History& h, const std::filesystem::path& dir) {
  RunReport r;
  r.scenario = "sqlite-powercut";
  r.cycles = r.cycles_requested = kCycles;
  r.seed = 2;
  std::filesystem::remove(dir / "anomalies.jsonl");
  for (uint32_t c = 1; c <= kCycles; ++c) {
    CycleRecord rec = Cycle(c);
    std::vector<Anomaly> found;
    if (rec.validity == Validity::kInvalid) {
      for (uint64_t i = 0; i < 5; ++i) {
        const uint64_t op = (c - 1) * kOpsPerCycle + 90 + i;
        found.push_back({"lost", "acknowledged insert lost: row is absent", op, 0});
      }
      r.anomaly_counts["lost"] += 5;
    }
    RecordAnomalies(h, rec, std::move(found), r, dir / "anomalies.jsonl");
    r.cycle_records.push_back(std::move(rec));
  }
  r.verdict = Validity::kInvalid;
  SummarizeHistory(h, r);
  return r;
}

void BM_WriteReports(benchmark::State& state) {
  auto h = BigHistory();
  TempDir dir("report-bench-");
  for (auto _ : state) {
    RunReport r = Summarize(*h, dir.path());
    WriteReports(r, dir.path());
  }
  state.counters["html_MB"] = std::filesystem::file_size(dir.path() / "report.html") / 1e6;
  state.counters["json_MB"] = std::filesystem::file_size(dir.path() / "report.json") / 1e6;
  state.counters["junit_MB"] = std::filesystem::file_size(dir.path() / "junit.xml") / 1e6;
  state.counters["ops"] = static_cast<double>(h->Size());
}
BENCHMARK(BM_WriteReports)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);

void BM_HistoryJsonl(benchmark::State& state) {
  TempDir dir("report-bench-");
  for (auto _ : state) {
    state.PauseTiming();
    auto copy = BigHistory();  // FlushTo writes each entry once per history
    std::filesystem::remove(dir.path() / "history.jsonl");
    state.ResumeTiming();
    copy->FlushTo(dir.path() / "history.jsonl");
  }
  state.counters["jsonl_MB"] = std::filesystem::file_size(dir.path() / "history.jsonl") / 1e6;
}
BENCHMARK(BM_HistoryJsonl)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);

}  // namespace
}  // namespace crashlab

BENCHMARK_MAIN();

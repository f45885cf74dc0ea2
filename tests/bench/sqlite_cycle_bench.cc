// A SQLite kill cycle against the sum of its parts, measured side by side in one run:
// spawn+kill of an agent, 100 acknowledged writes, open+recovery+verify, and the whole
// cycle through CrashCycleRunner. Prints the ratio (target <= 1.3) on stderr; stdout is
// Google Benchmark's (--benchmark_format=json: pure JSON).
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "faults/process/process_fault.h"
#include "framework/process.h"
#include "framework/runner.h"
#include "framework/workload.h"
#include "workloads/sqlite/schema.h"
#include "workloads/sqlite/sqlite_target.h"

namespace fs = std::filesystem;

namespace crashlab {
namespace {

constexpr int kWrites = 100;
constexpr int kCycles = 20;

// Rows the database holds on average during the measured cycles.
constexpr int kAverageRows = kWrites * kCycles / 2;

void BM_SpawnKill(benchmark::State& state) {
  TempDir dir("bench-spawn-");
  sqlite::SqliteOptions o;
  o.dir = dir.path() / "data";
  for (auto _ : state) {
    sqlite::SqliteTarget t(o);
    t.Start();  // spawn the agent; it opens the database and says ready
    for (Process* p : t.Processes()) {
      p->SignalGroup(SIGKILL);
      p->KillAndReap();
    }
  }
}

void BM_Writes(benchmark::State& state) {
  TempDir dir("bench-writes-");
  sqlite3* db = nullptr;
  sqlite3_open((dir.path() / "w.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=wal; PRAGMA synchronous=full;", nullptr, nullptr, nullptr);
  sqlite3_exec(db, sqlite::kSchema, nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO orders(id, amount) VALUES(?1, ?2)", -1, &ins, nullptr);
  int64_t key = 0;
  for (auto _ : state) {
    for (int i = 0; i < kWrites; ++i) {
      sqlite3_bind_int64(ins, 1, ++key);
      sqlite3_bind_int64(ins, 2, 100 + i);
      if (sqlite3_step(ins) != SQLITE_DONE) state.SkipWithError("insert failed");
      sqlite3_reset(ins);
    }
  }
  sqlite3_finalize(ins);
  sqlite3_close(db);
}

// The 100 writes as a kill cycle does them: through a writer agent freshly started on a
// database whose previous writer was SIGKILLed (the store's state after a crash costs
// more per commit than a long-running writer's: see the README). Only the writes are
// timed; the kill and respawn are not.
void WritesAfterCrash(benchmark::State& state, bool from_thread) {
  TempDir dir("bench-agent-writes-");
  sqlite::SqliteOptions o;
  o.dir = dir.path() / "data";
  sqlite::SqliteTarget t(o);
  t.Start();
  Op op;
  op.kind = OpKind::kInsert;
  int64_t key = 0;
  for (auto _ : state) {
    state.PauseTiming();
    t.Recover();  // SIGKILL the previous writer, prove it gone, start a new one
    auto client = t.NewClient(0);
    state.ResumeTiming();
    const auto body = [&] {
      for (int i = 0; i < kWrites; ++i) {
        op.key = ++key;
        op.value = 100 + i;
        if (client->Apply(op) != Outcome::kOk) state.SkipWithError("agent insert failed");
      }
    };
    if (from_thread) {
      std::thread worker(body);  // as the runner does: a worker thread per cycle
      worker.join();
    } else {
      body();
    }
  }
}
void BM_WritesAfterCrash(benchmark::State& state) { WritesAfterCrash(state, false); }
void BM_WritesAfterCrashFromThread(benchmark::State& state) { WritesAfterCrash(state, true); }

// A database left by a SIGKILLed writer agent: kAverageRows acknowledged rows, the WAL
// never checkpointed by a clean close.
void MakeCrashedDb(const fs::path& dir) {
  sqlite::SqliteOptions o;
  o.dir = dir;
  sqlite::SqliteTarget t(o);
  t.Start();
  auto client = t.NewClient(0);
  Op op;
  op.kind = OpKind::kInsert;
  for (int i = 1; i <= kAverageRows; ++i) {
    op.key = i;
    op.value = 100;
    if (client->Apply(op) != Outcome::kOk) throw std::runtime_error("template write failed");
  }
  for (Process* p : t.Processes()) p->KillAndReap();
}

void BM_OpenRecoverVerify(benchmark::State& state) {
  TempDir dir("bench-recover-");
  MakeCrashedDb(dir.path() / "template");
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir.path() / "run");
    fs::copy(dir.path() / "template", dir.path() / "run");
    state.ResumeTiming();
    ObservedState s = sqlite::ReadSqliteState(dir.path() / "run" / "crashlab.db");
    if (!s.integrity_ok || s.rows.size() != static_cast<size_t>(kAverageRows)) {
      state.SkipWithError("recovered database is not what was written");
    }
  }
}

// The whole cycle: kWrites acknowledged ops, SIGKILL, recover (respawn, reopen), read
// back and check. Time per cycle from the runner's own records.
void BM_KillCycle(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir("bench-cycle-");
    sqlite::SqliteOptions o;
    o.dir = dir.path() / "data";
    sqlite::SqliteTarget target(o);
    auto workload = MakeLedgerWorkload();
    auto fault = faults::MakeKillFault();
    RunOptions ro;
    ro.cycles = kCycles;
    ro.workers = 1;
    ro.schedule = Schedule::AfterOps(kWrites);
    CrashCycleRunner runner(target, *workload, *fault, ro);
    RunReport r = runner.Run();
    if (r.verdict != Validity::kValid) state.SkipWithError("kill cycle found anomalies");
    double ms = 0;
    for (const auto& c : r.cycle_records) ms += c.cycle_ms;
    state.SetIterationTime(ms / 1000.0 / kCycles);
    state.ResumeTiming();
  }
}

// Forwards to the reporter --benchmark_format asks for (console or JSON) and collects the
// mean real time per benchmark for the ratio printed at the end (on stderr, so that
// --benchmark_format=json leaves pure JSON on stdout).
class Collector : public benchmark::BenchmarkReporter {
 public:
  explicit Collector(bool json)
      : inner_(json ? std::unique_ptr<BenchmarkReporter>(new benchmark::JSONReporter())
                    : std::unique_ptr<BenchmarkReporter>(new benchmark::ConsoleReporter())) {}
  std::map<std::string, double> ms;
  bool ReportContext(const Context& context) override {
    inner_->SetOutputStream(&GetOutputStream());
    inner_->SetErrorStream(&GetErrorStream());
    return inner_->ReportContext(context);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    inner_->ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "mean") continue;
      ms[r.run_name.function_name] = r.GetAdjustedRealTime();  // every unit is ms
    }
  }
  void Finalize() override { inner_->Finalize(); }

 private:
  std::unique_ptr<BenchmarkReporter> inner_;
};

bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--benchmark_format=json") return true;
  }
  return false;
}

}  // namespace
}  // namespace crashlab

int main(int argc, char** argv) {
  using namespace crashlab;
  supervisor::Init();
  benchmark::RegisterBenchmark("spawn_kill", BM_SpawnKill)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2);
  benchmark::RegisterBenchmark("writes_100", BM_Writes)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2);
  benchmark::RegisterBenchmark("writes_100_after_crash", BM_WritesAfterCrash)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2);
  benchmark::RegisterBenchmark("writes_100_after_crash_worker_thread",
                               BM_WritesAfterCrashFromThread)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2);
  benchmark::RegisterBenchmark("open_recover_verify", BM_OpenRecoverVerify)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2);
  benchmark::RegisterBenchmark("kill_cycle", BM_KillCycle)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime()
      ->Iterations(3);
  const bool json = WantsJson(argc, argv);
  benchmark::Initialize(&argc, argv);
  Collector c(json);
  benchmark::RunSpecifiedBenchmarks(&c);
  const double parts =
      c.ms["spawn_kill"] + c.ms["writes_100_after_crash"] + c.ms["open_recover_verify"];
  const double cycle = c.ms["kill_cycle"];
  std::fprintf(stderr,
               "\nsum of parts %.2f ms (spawn+kill %.2f, 100 writes after a crash %.2f, "
               "open+recover+verify %.2f)\n",
               parts, c.ms["spawn_kill"], c.ms["writes_100_after_crash"],
               c.ms["open_recover_verify"]);
  std::fprintf(stderr, "(100 writes by a long-running in-process writer, for reference: %.2f ms)\n",
               c.ms["writes_100"]);
  std::fprintf(stderr,
               "(the same 100 writes after a crash issued from a fresh worker thread: %.2f ms)\n",
               c.ms["writes_100_after_crash_worker_thread"]);
  std::fprintf(stderr, "kill cycle   %.2f ms\nratio cycle / sum of parts = %.2f (target <= 1.3)\n",
               cycle, parts > 0 ? cycle / parts : 0);
  return 0;
}

// PostgreSQL benchmarks, side by side in one run: crashlab's client vs pgbench (single-row
// INSERT, same concurrency, same server) and a crashlab kill cycle vs a bare "SIGKILL the
// postmaster, restart, wait until ready" loop. Prints the ratios at the end (stderr).
// --pg_rounds=N: N repetitions of each TPS side, randomly interleaved.
//
//   postgres_bench [--pg_clients=4] [--pg_seconds=8] [--pg_rounds=2] [--pg_cycles=10]
//                  [--pg_summary=FILE.json] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "faults/process/process_fault.h"
#include "framework/history.h"
#include "framework/process.h"
#include "framework/runner.h"
#include "framework/workload.h"
#include "workloads/postgres/postgres_client.h"
#include "workloads/postgres/postgres_target.h"

namespace crashlab::postgres {
namespace {

namespace fs = std::filesystem;
using Secs = std::chrono::duration<double>;

int g_clients = 4;
double g_seconds = 8;
int g_rounds = 2;
int g_cycles = 10;
std::string g_summary;
PostgresTarget* g_target = nullptr;
fs::path g_work;

std::vector<double> g_pgbench_tps, g_client_tps;
std::vector<double> g_bare_ms, g_bare_ready_ms, g_cycle_ms, g_recovery_ms;
int g_bare_respawns = 0;

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Both sides start from an empty table right after a checkpoint.
std::string Join(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

void ResetTable() {
  PgConn c(g_target->ConnInfo());
  c.ExecOrThrow("TRUNCATE orders; CHECKPOINT");
}

void BM_Pgbench(benchmark::State& state) {
  const fs::path script = g_work / "insert.sql";
  {
    // The statement the client prepares for a ledger insert, with the same keys: per
    // client ascending ((client + 1) << 40 | n), amounts uniform in [100, 100000].
    std::ofstream f(script);
    f << "\\set n :n + 1\n\\set id (:client_id + 1) * 1099511627776 + :n\n"
         "\\set amount random(100, 100000)\n"
         "INSERT INTO orders(id, amount) VALUES (:id, :amount);\n";
  }
  for (auto _ : state) {
    ResetTable();
    const fs::path log = g_work / "pgbench.log";
    fs::remove(log);
    ProcessOptions po;
    po.argv = {(g_target->options().bin_dir / "pgbench").string(),
               "-n",
               "-M",
               "prepared",
               "-c",
               std::to_string(g_clients),
               "-j",
               std::to_string(g_clients),
               "-T",
               std::to_string(static_cast<int>(g_seconds)),
               "-D",
               "n=0",
               "-f",
               script.string(),
               "-h",
               g_target->socket_dir().string(),
               "-p",
               std::to_string(g_target->port()),
               "-U",
               "postgres",
               "postgres"};
    po.log = log;
    po.env["PGPASSWORD"] = g_target->password();
    Process p = Process::Spawn(po);
    if (!p.WaitFor(Millis(static_cast<int64_t>(g_seconds * 1000) + 60000))) {
      state.SkipWithError("pgbench did not finish");
      return;
    }
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    std::smatch m;
    const std::string out = ss.str();
    if (out.find("aborted") != std::string::npos) {
      state.SkipWithError(("pgbench clients aborted: " + out).c_str());
      return;
    }
    if (!std::regex_search(out, m,
                           std::regex(R"(tps = ([0-9.]+) \(without initial connection time\))"))) {
      state.SkipWithError(("cannot parse pgbench output: " + out).c_str());
      return;
    }
    const double tps = std::stod(m[1]);
    g_pgbench_tps.push_back(tps);
    state.counters["tps"] = tps;
    state.SetIterationTime(g_seconds);
  }
}

void BM_Client(benchmark::State& state) {
  auto workload = MakeLedgerWorkload();
  for (auto _ : state) {
    ResetTable();
    History history;
    std::vector<std::unique_ptr<Client>> clients;
    std::vector<std::unique_ptr<OpGenerator>> gens;
    for (int w = 0; w < g_clients; ++w) {
      clients.push_back(g_target->NewClient(w));
      gens.push_back(
          workload->Generator(w, 1000 + static_cast<uint64_t>(w) + g_client_tps.size() * 100));
      gens.back()->BeginCycle(static_cast<uint32_t>(g_client_tps.size() + 100));
    }
    // Connect first (pgbench's tps excludes its connection time too).
    for (auto& c : clients) {
      Op probe;
      probe.kind = OpKind::kUpdate;
      probe.key = -1;
      (void)c->Apply(probe);  // an update of no row: connects and prepares, changes nothing
    }
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> ok{0};
    std::vector<std::thread> threads;
    const auto t0 = Clock::now();
    for (int w = 0; w < g_clients; ++w) {
      threads.emplace_back([&, w] {
        uint64_t mine = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          auto op = gens[w]->Next();
          const uint64_t i = history.Invoke(*op, 1);
          const Outcome o = clients[w]->Apply(*op);
          history.Complete(i, o);
          if (o == Outcome::kOk) ++mine;
        }
        ok += mine;
      });
    }
    std::this_thread::sleep_for(Secs(g_seconds));
    stop = true;
    for (auto& t : threads) t.join();
    const double secs = Secs(Clock::now() - t0).count();
    const double tps = static_cast<double>(ok.load()) / secs;
    g_client_tps.push_back(tps);
    state.counters["tps"] = tps;
    state.SetIterationTime(secs);
  }
}

// A crashlab kill cycle as the runner does it: clients connect, the first acknowledged
// op fires SIGKILL of the postmaster, recovery proves the old cluster gone, restarts and
// waits for a PQping, then the state is read back with amcheck and checked.
//
// The bare loop, on the same cluster: SIGKILL the postmaster, reap it, start a new one,
// PQping until ready (respawning if the orphaned backends still hold the old shared
// memory). No clients, no proof that the old processes are gone, no check.
//
// The two alternate in rounds of kCyclesPerRound, so that the disk's mood (other tests
// share it) hits both alike.
constexpr int kCyclesPerRound = 2;

void BM_CrashlabKillCycle(benchmark::State& state) {
  for (auto _ : state) {
    TempDir dir("crashlab-pgbench-cycles-", g_work);
    PostgresOptions o;
    o.dir = dir.path();
    PostgresTarget target(o);
    auto workload = MakeLedgerWorkload();
    auto fault = faults::MakeKillFault(faults::KillScope::kAll);
    double wall = 0;
    const int rounds = std::max(1, g_cycles / kCyclesPerRound);
    for (int round = 0; round < rounds; ++round) {
      RunOptions ro;
      ro.seed = 7 + static_cast<uint64_t>(round);
      ro.cycles = kCyclesPerRound;
      ro.workers = 1;
      ro.schedule = Schedule::AfterOps(1);
      CrashCycleRunner runner(target, *workload, *fault, ro);
      const RunReport r = runner.Run();  // Start (initdb the first time), cycles, Stop
      if (r.verdict != Validity::kValid) state.SkipWithError("crashlab verdict not valid");
      for (const auto& c : r.cycle_records) {
        g_cycle_ms.push_back(c.cycle_ms);
        g_recovery_ms.push_back(c.recovery_ms);
        wall += c.cycle_ms / 1000;
      }

      const ProcessOptions po = target.PostmasterOptions();
      const std::string conninfo = target.ConnInfo();
      auto start_ready = [&](Process& pm) {
        for (;;) {
          pm = Process::Spawn(po);
          for (;;) {
            const PGPing r = PQping(conninfo.c_str());
            if (r == PQPING_OK) return;
            if (!pm.Running()) break;
            std::this_thread::sleep_for(
                Millis(r == PQPING_REJECT ? kPingRejectedPauseMs : kPingPauseMs));
          }
          ++g_bare_respawns;
        }
      };
      Process pm;
      start_ready(pm);
      for (int i = 0; i < kCyclesPerRound; ++i) {
        const auto t0 = Clock::now();
        ::kill(-pm.pgid(), SIGKILL);
        pm.WaitFor(Millis(10000));
        const auto killed = Clock::now();
        start_ready(pm);
        const auto t1 = Clock::now();
        g_bare_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        g_bare_ready_ms.push_back(std::chrono::duration<double, std::milli>(t1 - killed).count());
      }
      {
        // The next round's runner starts a new history: it must find an empty ledger.
        PgConn c(conninfo);
        c.ExecOrThrow("TRUNCATE orders, markers");
      }
      pm.Stop(Millis(10000), SIGINT);
      target.KillCluster();
    }
    state.counters["cycle_ms"] = Mean(g_cycle_ms);
    state.counters["recovery_ms"] = Mean(g_recovery_ms);
    state.counters["bare_ms"] = Mean(g_bare_ms);
    state.SetIterationTime(wall);
  }
}

}  // namespace
}  // namespace crashlab::postgres

int main(int argc, char** argv) {
  using namespace crashlab::postgres;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&](const char* flag) -> const char* {
      const std::string f = std::string(flag) + "=";
      return a.rfind(f, 0) == 0 ? argv[i] + f.size() : nullptr;
    };
    if (const char* v = val("--pg_clients"))
      g_clients = std::atoi(v);
    else if (const char* v = val("--pg_seconds"))
      g_seconds = std::atof(v);
    else if (const char* v = val("--pg_rounds"))
      g_rounds = std::atoi(v);
    else if (const char* v = val("--pg_cycles"))
      g_cycles = std::atoi(v);
    else if (const char* v = val("--pg_summary"))
      g_summary = v;
    else
      rest.push_back(argv[i]);
  }
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  bool chosen = false;
  for (const char* a : rest)
    chosen = chosen || std::string(a).rfind("--benchmark_enable_random_interleaving", 0) == 0;
  if (!chosen) rest.push_back(interleave.data());
  int rargc = static_cast<int>(rest.size());
  benchmark::Initialize(&rargc, rest.data());
  const std::string missing = MissingPostgres();
  if (!missing.empty()) {
    std::cerr << "postgres_bench: skipped: " << missing << "\n";
    return 0;
  }
  crashlab::supervisor::Init();
  crashlab::TempDir work("crashlab-pgbench-");
  g_work = work.path();
  PostgresOptions o;
  o.dir = g_work;
  o.settings = {{"max_connections", "100"}};
  PostgresTarget target(o);
  target.Start();
  target.NewClient(0)->Prepare({});
  g_target = &target;

  // Rounds are Google Benchmark repetitions (compare.py's aggregates and U-test work on
  // them), run in random interleaved order so drift (checkpoints, cache) hits both sides
  // alike.
  const std::string suffix = "/clients:" + std::to_string(g_clients);
  benchmark::RegisterBenchmark(("pgbench_insert" + suffix).c_str(), BM_Pgbench)
      ->Iterations(1)
      ->Repetitions(g_rounds)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(("crashlab_client_insert" + suffix).c_str(), BM_Client)
      ->Iterations(1)
      ->Repetitions(g_rounds)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(("kill_cycles/cycles:" + std::to_string(g_cycles)).c_str(),
                               BM_CrashlabKillCycle)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  target.Stop();

  const double pg = Mean(g_pgbench_tps), cl = Mean(g_client_tps);
  const double cyc = Mean(g_cycle_ms), rec = Mean(g_recovery_ms), bare = Mean(g_bare_ms),
               bare_ready = Mean(g_bare_ready_ms);
  const double cyc50 = crashlab::Percentile(g_cycle_ms, 50),
               rec50 = crashlab::Percentile(g_recovery_ms, 50),
               bare50 = crashlab::Percentile(g_bare_ms, 50);
  const double tps50 = crashlab::Percentile(g_client_tps, 50),
               pg50 = crashlab::Percentile(g_pgbench_tps, 50);
  char buf[4096];
  std::snprintf(
      buf, sizeof buf,
      "\n== postgres_bench summary (clients %d, %g s per side per round, %d rounds) ==\n"
      "insert TPS: crashlab client %.0f  pgbench %.0f  ratio %.3f (target >= 0.9)\n"
      "kill cycle: crashlab cycle %.1f ms (recovery kill->ready %.1f ms)  bare kill+restart+ready "
      "%.1f ms (restart->ready %.1f ms, %d respawns)  ratio cycle/bare %.3f (target <= 1.2), "
      "recovery/bare %.3f\n"
      "medians: client %.0f / pgbench %.0f TPS = %.3f; cycle %.1f / bare %.1f ms = %.3f (recovery "
      "%.1f ms)\n",
      g_clients, g_seconds, g_rounds, cl, pg, pg > 0 ? cl / pg : 0, cyc, rec, bare, bare_ready,
      g_bare_respawns, bare > 0 ? cyc / bare : 0, bare > 0 ? rec / bare : 0, tps50, pg50,
      pg50 > 0 ? tps50 / pg50 : 0, cyc50, bare50, bare50 > 0 ? cyc50 / bare50 : 0, rec50);
  std::cerr << buf;  // stdout is Google Benchmark's (pure JSON with --benchmark_format=json)
  if (!g_summary.empty()) {
    std::ofstream f(g_summary);
    f << "{\"clients\":" << g_clients << ",\"client_tps\":" << cl << ",\"pgbench_tps\":" << pg
      << ",\"tps_ratio\":" << (pg > 0 ? cl / pg : 0) << ",\"crashlab_cycle_ms\":" << cyc
      << ",\"crashlab_recovery_ms\":" << rec << ",\"bare_cycle_ms\":" << bare
      << ",\"cycle_ratio\":" << (bare > 0 ? cyc / bare : 0)
      << ",\"bare_respawns\":" << g_bare_respawns << ",\"client_tps_rounds\":["
      << Join(g_client_tps) << "],\"pgbench_tps_rounds\":[" << Join(g_pgbench_tps)
      << "],\"crashlab_cycle_ms_each\":[" << Join(g_cycle_ms) << "],\"bare_cycle_ms_each\":["
      << Join(g_bare_ms) << "]}\n";
  }
  return 0;
}

// The bench harness's own cost (issue 12, Performance): the SQLite insert workload with
// one client, mean latency as `crashlab bench` measures it (A) against the same client
// loop timed with two clock reads and nothing else (B), on fresh stores of the same
// kind, interleaved A B A B so drift and order cannot bias the ratio.
// Usage: bench_overhead [--rounds N] [--duration S] [--storage disk|tmpfs]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/workload_gen.h"
#include "framework/process.h"

namespace {

using Clock = std::chrono::steady_clock;
using crashlab::bench::BenchRequest;

// B: the bare loop on a fresh store; mean latency in ns.
double BareLoop(const crashlab::ResolvedRequest& r, const BenchRequest& req) {
  crashlab::TempDir work("crashlab-bench-");
  crashlab::BuiltScenario b = crashlab::BuildScenario(r, work.path());
  b.target->Start();
  b.target->NewClient(0)->Prepare(b.workload->Model());
  auto client = b.target->NewClient(0);
  auto gen = crashlab::bench::MakeGenerator("insert", *b.workload, 0, 7, 1);
  const auto warm_end = Clock::now() + std::chrono::duration<double>(req.warmup_s);
  while (Clock::now() < warm_end) client->Apply(*gen->Next());
  const auto end = Clock::now() + std::chrono::duration<double>(req.duration_s);
  double sum = 0;
  uint64_t n = 0;
  for (;;) {
    const crashlab::Op op = *gen->Next();
    const auto t0 = Clock::now();
    if (t0 >= end) break;
    client->Apply(op);
    const auto t1 = Clock::now();
    sum += static_cast<double>((t1 - t0).count());
    ++n;
  }
  client.reset();
  b.target->Stop();
  return n ? sum / static_cast<double>(n) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  BenchRequest req;
  req.duration_s = 5;
  req.warmup_s = 1;
  std::string storage = "disk";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rounds"))
      rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--duration"))
      req.duration_s = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--storage"))
      storage = argv[i + 1];
  }
  crashlab::supervisor::Init();
  crashlab::ScenarioRequest sr;
  sr.scenario = "sqlite-kill";
  sr.workers = 1;
  sr.set = {{"workload", "ledger"}, {"storage", storage}};
  const crashlab::ResolvedRequest r = crashlab::Resolve(sr);
  std::vector<double> a, b, ratio;
  for (int i = 0; i < rounds; ++i) {
    const double ma = crashlab::bench::RunRepetition(r, req, 1, 7, nullptr).hist.Mean();
    const double mb = BareLoop(r, req);
    a.push_back(ma);
    b.push_back(mb);
    ratio.push_back(ma / mb);
    std::printf("round %d: harness %.1f us  bare loop %.1f us  ratio %.4f\n", i + 1, ma / 1e3,
                mb / 1e3, ma / mb);
  }
  std::printf(
      "median: harness %.1f us  bare loop %.1f us  ratio of medians %.4f  median ratio %.4f\n",
      crashlab::bench::Median(a) / 1e3, crashlab::bench::Median(b) / 1e3,
      crashlab::bench::Median(a) / crashlab::bench::Median(b), crashlab::bench::Median(ratio));
  return 0;
}

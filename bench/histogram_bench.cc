// Recording speed of the bench's latency histogram (issue: >= 50 M values/s on one core).
#include <benchmark/benchmark.h>

#include <random>

#include "bench/histogram.h"

static void BM_HistogramRecord(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(12.6, 1.2);
  std::vector<uint64_t> values(1 << 16);
  for (auto& v : values) v = static_cast<uint64_t>(d(rng));
  crashlab::bench::Histogram h(7);
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i++ & (values.size() - 1)]);
  }
  benchmark::DoNotOptimize(h.Count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

static void BM_HistogramMerge(benchmark::State& state) {
  crashlab::bench::Histogram a(7), b(7);
  for (uint64_t v = 1; v < 1000000; v += 7) b.Record(v);
  for (auto _ : state) a.Merge(b);
  benchmark::DoNotOptimize(a.Count());
}
BENCHMARK(BM_HistogramMerge);

BENCHMARK_MAIN();

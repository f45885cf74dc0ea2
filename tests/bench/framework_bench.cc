// Benchmarks of the framework's hot paths: history append and the durability check
// (target: >= 5 M ops/s each on one core, <= 64 bytes of history per op).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include "framework/checker.h"
#include "framework/history.h"

namespace crashlab {
namespace {

void BM_HistoryAppend(benchmark::State& state) {
  const int64_t n = state.range(0);
  double bytes_per_op = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const size_t before = mallinfo2().uordblks;
    auto h = std::make_unique<History>();
    state.ResumeTiming();
    Op op;
    op.kind = OpKind::kInsert;
    for (int64_t i = 0; i < n; ++i) {
      op.key = i;
      op.value = i;
      const uint64_t idx = h->Invoke(op, 1);
      h->Complete(idx, Outcome::kOk);
    }
    benchmark::DoNotOptimize(h->Size());
    state.PauseTiming();
    bytes_per_op = static_cast<double>(mallinfo2().uordblks - before) / static_cast<double>(n);
    h.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["bytes_per_op"] = bytes_per_op;
}
BENCHMARK(BM_HistoryAppend)->Arg(1 << 20)->Arg(5 << 20)->Unit(benchmark::kMillisecond);

// The rows + aggregate + marker check over n acknowledged inserts (1% unknown), with
// the observed state holding every row.
void BM_DurabilityCheck(benchmark::State& state) {
  const int64_t n = state.range(0);
  History h;
  ObservedState s;
  s.rows.reserve(static_cast<size_t>(n));
  Op op;
  op.kind = OpKind::kInsert;
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    op.key = (int64_t{1} << 40) | i;
    op.value = 100 + i % 1000;
    const uint64_t idx = h.Invoke(op, 1);
    h.Complete(idx, i % 100 == 0 ? Outcome::kUnknown : Outcome::kOk);
    s.rows.emplace_back(op.key, op.value);
    total += op.value;
  }
  s.row_count = n;
  s.row_total = total;
  auto rows = MakeRowsChecker();
  auto agg = MakeAggregateChecker();
  for (auto _ : state) {
    CheckInput in{h, s, false};
    CheckResult r = rows->Check(in);
    r.Merge(agg->Check(in));
    if (r.validity != Validity::kValid)
      state.SkipWithError("check found anomalies in a valid history");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_DurabilityCheck)->Arg(1 << 20)->Arg(5 << 20)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crashlab

BENCHMARK_MAIN();

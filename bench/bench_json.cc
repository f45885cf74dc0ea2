// bench.json (Google Benchmark's JSON format, so compare.py reads it) and histograms/.
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/bench.h"
#include "framework/version.h"

namespace crashlab::bench {
namespace {

using nlohmann::json;

double Us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

// The per-repetition figures, as Google Benchmark counters.
std::map<std::string, double> Counters(const Repetition& r) {
  const Histogram& h = r.hist;
  return {{"ops_per_s", r.OpsPerSec()},
          {"min_us", Us(h.Min())},
          {"p50_us", Us(h.Percentile(50))},
          {"p90_us", Us(h.Percentile(90))},
          {"p99_us", Us(h.Percentile(99))},
          {"p999_us", Us(h.Percentile(99.9))},
          {"p9999_us", Us(h.Percentile(99.99))},
          {"max_us", Us(h.Max())},
          {"mean_us", h.Mean() / 1e3},
          {"stddev_us", h.Stddev() / 1e3},
          {"cv", h.Mean() > 0 ? h.Stddev() / h.Mean() : 0},
          {"failed", static_cast<double>(r.fail)},
          {"unknown", static_cast<double>(r.unknown)}};
}

json Iteration(const CombinationResult& c, const std::string& name, size_t family, size_t rep) {
  const Repetition& r = c.reps[rep];
  json j = {{"name", name},
            {"family_index", family},
            {"per_family_instance_index", 0},
            {"run_name", name},
            {"run_type", "iteration"},
            {"repetitions", c.reps.size()},
            {"repetition_index", rep},
            {"threads", c.combo.clients},
            {"iterations", r.ok},
            {"real_time", r.hist.Mean() / 1e3},
            {"cpu_time", r.cpu_ns_per_op / 1e3},
            {"time_unit", "us"}};
  for (const auto& [k, v] : Counters(r)) j[k] = v;
  return j;
}

// Google Benchmark's aggregates over the repetitions: mean, median, stddev, cv.
std::vector<json> Aggregates(const CombinationResult& c, const std::string& name, size_t family) {
  std::map<std::string, std::vector<double>> series;
  for (const auto& r : c.reps) {
    series["real_time"].push_back(r.hist.Mean() / 1e3);
    series["cpu_time"].push_back(r.cpu_ns_per_op / 1e3);
    for (const auto& [k, v] : Counters(r)) series[k].push_back(v);
  }
  std::vector<json> out;
  for (const std::string agg : {"mean", "median", "stddev", "cv"}) {
    json j = {{"name", name + "_" + agg},
              {"family_index", family},
              {"per_family_instance_index", 0},
              {"run_name", name},
              {"run_type", "aggregate"},
              {"repetitions", c.reps.size()},
              {"threads", c.combo.clients},
              {"aggregate_name", agg},
              {"aggregate_unit", agg == "cv" ? "percentage" : "time"},
              {"iterations", c.reps.size()},
              {"time_unit", "us"}};
    for (const auto& [k, v] : series) {
      const double m = Mean(v);
      j[k] = agg == "mean"     ? m
             : agg == "median" ? Median(v)
             : agg == "stddev" ? Stddev(v)
                               : (m != 0 ? Stddev(v) / m : 0);
    }
    out.push_back(j);
  }
  return out;
}

json FigureJson(const Figure& f) {
  return {
      {"median", f.median}, {"ci95", {f.ci.low, f.ci.high}}, {"cv", f.cv}, {"per_rep", f.per_rep}};
}

json Figures(const CombinationResult& c, uint64_t seed) {
  std::map<std::string, std::vector<double>> series;
  for (const auto& r : c.reps) {
    for (const auto& [k, v] : Counters(r)) series[k].push_back(v);
  }
  json j = json::object();
  uint64_t i = 0;
  for (const auto& [k, v] : series) j[k] = FigureJson(Summarize(v, seed + ++i));
  return j;
}

json RepDetail(const Repetition& r) {
  json windows = json::array();
  for (const auto& w : r.windows) {
    windows.push_back({w.t_s, w.ok, w.fail, w.unknown, Us(w.p50_ns), Us(w.p99_ns), Us(w.max_ns)});
  }
  json faults = json::array();
  for (const auto& f : r.faults) {
    faults.push_back({{"fault", f.fault},
                      {"at_s", f.at_s},
                      {"first_ok_ms", f.first_ok_ms},
                      {"p99_back_ms", f.p99_back_ms},
                      {"pre_fault_p99_us", f.pre_p99_us}});
  }
  return {{"ok", r.ok},
          {"failed", r.fail},
          {"unknown", r.unknown},
          {"seconds", r.elapsed_s},
          {"window_s", r.window_s},
          {"windows_columns", {"t_s", "ok", "failed", "unknown", "p50_us", "p99_us", "max_us"}},
          {"windows", windows},
          {"span_p50_us", r.span_p50_us},
          {"span_p99_us", r.span_p99_us},
          {"faults", faults}};
}

json Interval2(Interval i) { return {i.low, i.high}; }

json ComparisonJson(const Comparison& c, const BenchResult& r) {
  const std::string wl = r.request.workload;
  return {{"baseline", r.combos[c.a].combo.Name(wl)},
          {"contender", r.combos[c.b].combo.Name(wl)},
          {"axis", c.axis},
          {"p50_ratio", c.p50_ratio},
          {"p50_ratio_ci95", Interval2(c.p50_ci)},
          {"p50_utest_p", c.p50_test.p},
          {"p99_ratio", c.p99_ratio},
          {"p99_ratio_ci95", Interval2(c.p99_ci)},
          {"p99_utest_p", c.p99_test.p},
          {"sentence", c.Sentence(r.combos)}};
}

json Crashlab(const BenchResult& r) {
  const BenchRequest& q = r.request;
  json combos = json::array();
  for (const auto& c : r.combos) {
    json reps = json::array();
    for (const auto& rep : c.reps) reps.push_back(RepDetail(rep));
    combos.push_back({{"name", c.combo.Name(q.workload)},
                      {"store", c.combo.store},
                      {"storage", c.combo.storage.name},
                      {"deploy", c.combo.deploy},
                      {"clients", c.combo.clients},
                      {"config", c.config},
                      {"skipped", c.skipped},
                      {"error", c.error},
                      {"figures", Figures(c, q.seed)},
                      {"repetitions", reps}});
  }
  json comps = json::array();
  for (const auto& c : r.comparisons) comps.push_back(ComparisonJson(c, r));
  return {{"version", kVersion},
          {"command", q.command_line},
          {"workload", q.workload},
          {"duration_s", q.duration_s},
          {"warmup_s", q.warmup_s},
          {"repetitions", q.repetitions},
          {"rate", q.rate},
          {"loop", q.rate > 0 ? "open" : "closed"},
          {"seed", q.seed},
          {"fault", q.fault},
          {"every_s", q.every_s},
          {"kernel", r.host.kernel},
          {"cpu_model", r.host.cpu_model},
          {"storage_devices", r.host.storage_devices},
          {"clock_overhead_ns", r.clock_overhead_ns},
          {"harness_overhead_ns_per_op", r.harness_overhead_ns},
          {"comparison_samples", "p50/p99 of consecutive ~1 s spans of every repetition"},
          {"combinations", combos},
          {"comparisons", comps},
          {"warnings", r.warnings}};
}

std::string FileName(std::string name) {
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
  }
  return name;
}

json HistogramJson(const Histogram& h) {
  json b = json::array();
  for (const auto& x : h.Buckets()) b.push_back({x.low, x.width, x.count});
  return {{"count", h.Count()},
          {"min", h.Min()},
          {"max", h.Max()},
          {"sum", h.Sum()},
          {"sum_sq", h.SumSquares()},
          {"buckets_columns", {"low", "width", "count"}},
          {"buckets", b}};
}

void WriteFile(const std::filesystem::path& file, const json& j) {
  std::ofstream out(file);
  out << j.dump(1) << "\n";
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

void WriteBenchJson(const BenchResult& r, const std::filesystem::path& file) {
  json benchmarks = json::array();
  size_t family = 0;
  for (const auto& c : r.combos) {
    if (c.reps.empty()) continue;
    const std::string name = c.combo.Name(r.request.workload);
    for (size_t i = 0; i < c.reps.size(); ++i) benchmarks.push_back(Iteration(c, name, family, i));
    for (auto& a : Aggregates(c, name, family)) benchmarks.push_back(std::move(a));
    ++family;
  }
  json context = {{"date", r.host.date},
                  {"host_name", r.host.host},
                  {"executable", "crashlab bench"},
                  {"num_cpus", r.host.cpus},
                  {"mhz_per_cpu", static_cast<int>(r.host.mhz)},
                  {"cpu_scaling_enabled", false},
                  {"caches", json::array()},
                  {"load_avg", {r.host.load_avg[0], r.host.load_avg[1], r.host.load_avg[2]}},
                  {"library_build_type", "release"},
                  {"json_schema_version", 1}};
  WriteFile(file, {{"context", context}, {"benchmarks", benchmarks}, {"crashlab", Crashlab(r)}});
}

void WriteHistograms(const BenchResult& r, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& c : r.combos) {
    if (c.reps.empty()) continue;
    json reps = json::array();
    for (const auto& rep : c.reps) reps.push_back(HistogramJson(rep.hist));
    const std::string name = c.combo.Name(r.request.workload);
    WriteFile(dir / (FileName(name) + ".json"),
              {{"name", name},
               {"unit", "ns"},
               {"precision_bits", c.merged.precision_bits()},
               {"relative_error", "bucket midpoints: at most 2^-(precision_bits+1)"},
               {"merged", HistogramJson(c.merged)},
               {"repetitions", reps}});
  }
}

}  // namespace crashlab::bench

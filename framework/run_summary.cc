// The report's figures computed from the history, and anomalies.jsonl.
#include "framework/run_summary.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace crashlab {

void StampRunMetadata(RunReport& report) {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  report.started_at = buf;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) report.hostname = host;
  struct utsname u {};
  if (::uname(&u) == 0) report.kernel = std::string(u.sysname) + " " + u.release;
}

double TimelineBucketMs(double span_ms, size_t max_buckets) {
  const double want = std::max(1.0, span_ms / static_cast<double>(max_buckets));
  double p = std::pow(10.0, std::floor(std::log10(want)));
  for (;; p *= 10) {
    for (const double m : {1.0, 2.0, 5.0}) {
      if (m * p >= want) return m * p;
    }
  }
}

namespace {

// The percentile of a bucket's latencies (reorders them).
float BucketPercentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// CDF points: every percent, then the tail (99.5 .. 99.99 %) and the maximum.
std::vector<std::pair<double, double>> Cdf(std::vector<float> lat) {
  std::vector<std::pair<double, double>> out;
  if (lat.empty()) return out;
  std::sort(lat.begin(), lat.end());
  std::vector<double> fractions;
  for (int i = 0; i <= 100; ++i) fractions.push_back(i / 100.0);
  for (const double f : {0.995, 0.999, 0.9995, 0.9999}) fractions.push_back(f);
  std::sort(fractions.begin(), fractions.end());
  for (const double f : fractions) {
    const size_t k = std::min(lat.size() - 1, static_cast<size_t>(f * (lat.size() - 1) + 0.5));
    out.emplace_back(lat[k], f);
  }
  return out;
}

}  // namespace

void SummarizeHistory(const History& history, RunReport& report) {
  const uint64_t n = history.Size();
  int64_t end_ns = 0;
  for (uint64_t i = 0; i < n; ++i) end_ns = std::max(end_ns, history[i].complete_ns);
  const double span_ms = end_ns / 1e6;
  report.timeline_bucket_ms = TimelineBucketMs(span_ms);
  const size_t buckets = static_cast<size_t>(span_ms / report.timeline_bucket_ms) + 1;
  report.timeline.assign(buckets, {});
  std::vector<std::vector<float>> lat(buckets);
  std::vector<float> all;
  all.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const Entry& e = history[i];
    if (e.outcome == Outcome::kPending) continue;
    const size_t b =
        std::min(buckets - 1, static_cast<size_t>(e.complete_ns / 1e6 / report.timeline_bucket_ms));
    auto& p = report.timeline[b];
    if (e.outcome == Outcome::kOk) {
      ++p.ok;
      const float us = static_cast<float>((e.complete_ns - e.invoke_ns) / 1000.0);
      lat[b].push_back(us);
      all.push_back(us);
    } else if (e.outcome == Outcome::kFail) {
      ++p.fail;
    } else {
      ++p.unknown;
    }
  }
  for (size_t b = 0; b < buckets; ++b) {
    auto& p = report.timeline[b];
    p.t_ms = static_cast<double>(b) * report.timeline_bucket_ms;
    if (lat[b].empty()) continue;
    p.lat_max_us = *std::max_element(lat[b].begin(), lat[b].end());
    p.lat_p99_us = BucketPercentile(lat[b], 99);
    p.lat_p50_us = BucketPercentile(lat[b], 50);
  }
  report.latency_cdf = Cdf(all);
  if (!all.empty()) {
    report.latency_max_us = *std::max_element(all.begin(), all.end());
    std::vector<double> d(all.begin(), all.end());
    report.latency_p50_us = Percentile(d, 50);
    report.latency_p99_us = Percentile(std::move(d), 99);
  }
}

namespace {

// The fault instant (ms on the history's clock) of cycle `cycle`; `rec` is the cycle
// just checked (not yet in the report).
double FaultMsOf(uint32_t cycle, const CycleRecord& rec, const RunReport& report) {
  if (cycle == rec.cycle) return rec.fault_ms;
  if (cycle >= 1 && cycle <= report.cycle_records.size() &&
      report.cycle_records[cycle - 1].cycle == cycle)
    return report.cycle_records[cycle - 1].fault_ms;
  for (const auto& c : report.cycle_records) {
    if (c.cycle == cycle) return c.fault_ms;
  }
  return rec.fault_ms;
}

nlohmann::json AnomalyLine(const Anomaly& a, uint32_t cycle) {
  return {{"cycle", cycle}, {"kind", a.kind}, {"detail", a.detail}};
}

}  // namespace

void RecordAnomalies(History& history, const CycleRecord& rec, std::vector<Anomaly> anomalies,
                     RunReport& report, const std::filesystem::path& jsonl) {
  std::ofstream out;
  if (!jsonl.empty()) {
    out.open(jsonl, std::ios::app);
    if (!out) throw std::runtime_error("cannot append to " + jsonl.string());
  }
  std::map<std::string, size_t> kept;
  for (const auto& a : report.anomalies) ++kept[a.kind];
  for (auto& a : anomalies) {
    nlohmann::json line = AnomalyLine(a, rec.cycle);
    const bool lost = a.kind == anomaly::kLost, phantom = a.kind == anomaly::kPhantom;
    if (a.op_id && *a.op_id < history.Size()) {
      Entry& e = history[*a.op_id];
      const uint32_t op_cycle = e.cycle != 0 ? e.cycle : rec.cycle;
      const double rel = e.complete_ns / 1e6 - FaultMsOf(op_cycle, rec, report);
      line["op"] = *a.op_id;
      line["op_cycle"] = op_cycle;
      line["op_kind"] = std::string(ToString(e.op.kind));
      line["key"] = e.op.key;
      line["outcome"] = std::string(ToString(e.outcome));
      line["completed_ms_from_fault"] = std::round(rel * 1000) / 1000;
      if (lost || phantom) {
        report.losses.push_back({op_cycle, *a.op_id, rel, phantom});
        e.finding = lost ? Entry::Finding::kLost : Entry::Finding::kPhantom;
      }
    }
    if (out.is_open())
      out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    a.cycle = rec.cycle;
    if (kept[a.kind]++ < kReportDetailsPerKind) {
      a.detail = "cycle " + std::to_string(rec.cycle) + ": " + a.detail;
      report.anomalies.push_back(std::move(a));
    }
  }
  if (out.is_open() && !out.flush()) throw std::runtime_error("cannot write " + jsonl.string());
}

}  // namespace crashlab

// What a run report shows that the runner computes from its history: the timeline with
// latency per bucket, the latency CDF, the lost/phantom ops on their cycle's fault clock
// (anomalies.jsonl), and where and when the run happened.
#pragma once

#include <filesystem>
#include <vector>

#include "framework/runner.h"

namespace crashlab {

// Anomaly details the report keeps per kind; the rest are counted in anomalies_omitted
// and kept only in anomalies.jsonl.
inline constexpr size_t kReportDetailsPerKind = 100;

// started_at (now, UTC), hostname and kernel.
void StampRunMetadata(RunReport& report);
// Bucket width for a run of `span_ms`: 1, 2 or 5 times a power of ten, at least 1 ms,
// giving at most `max_buckets` buckets.
double TimelineBucketMs(double span_ms, size_t max_buckets = 400);
// The timeline (counts and ok-op latency percentiles per bucket), latency p50/p99/max
// and the latency CDF, from every completed op of `history`.
void SummarizeHistory(const History& history, RunReport& report);
// Takes the anomalies a check found after the fault of `rec` into the report: counts
// stay the checker's; details are capped per kind; every lost/phantom op naming an op
// becomes a loss point and is marked in the history; every anomaly is appended as one
// JSON line to `jsonl` (unless empty).
void RecordAnomalies(History& history, const CycleRecord& rec, std::vector<Anomaly> anomalies,
                     RunReport& report, const std::filesystem::path& jsonl);

}  // namespace crashlab

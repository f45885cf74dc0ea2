// Run reports: report.json (machine), junit.xml (CI), report.html (people), the verdict
// table (terminal), and reading a report directory back.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "framework/runner.h"

namespace crashlab {

// report.json's text. Never throws on odd text: invalid UTF-8 becomes U+FFFD.
std::string ReportJson(const RunReport& report);
// junit.xml (valid against Jenkins' junit-10.xsd): one test suite named after the
// scenario and the knobs the user set, one test case per cycle (a failure per anomaly
// kind), an error test case for an interrupted run, a skipped one for a run that could
// not start.
std::string ReportJunit(const RunReport& report);
// A self-contained page (inline SVG, no script, no network): verdict and summary,
// latency and throughput over time with fault windows shaded, the loss timeline, cycles,
// anomalies, latency CDF and the run's metadata.
std::string ReportHtml(const RunReport& report);
// One plain-language paragraph saying what the run found.
std::string SummarySentence(const RunReport& report);
// Anomalies counted but not detailed in report.anomalies (anomalies.jsonl has them).
uint64_t OmittedAnomalies(const RunReport& report);
// The suite name CI sees: the scenario plus the knobs the user set, e.g.
// "sqlite-powercut[synchronous=off]".
std::string SuiteName(const RunReport& report);
// Writes report.json, junit.xml and report.html into `dir` (created if needed). Throws
// std::runtime_error if the directory is not writable.
void WriteReports(const RunReport& report, const std::filesystem::path& dir);
// Writes only report.html into `dir`.
void WriteHtmlReport(const RunReport& report, const std::filesystem::path& dir);
// Reads a report directory written by WriteReports back (report.json, and the loss
// points from anomalies.jsonl if present). Throws std::runtime_error with one line if
// it is not one.
RunReport ReadReport(const std::filesystem::path& dir);
// The human verdict table; `color`: ANSI colours for the verdict.
void PrintVerdict(const RunReport& report, std::ostream& out, bool color = false);
// Throws UsageError-style std::runtime_error if `dir` cannot be created or written.
void EnsureWritableDir(const std::filesystem::path& dir);

}  // namespace crashlab

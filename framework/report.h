// Run reports: report.json (machine), junit.xml (CI), and the verdict table (humans).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "framework/runner.h"

namespace crashlab {

std::string ReportJson(const RunReport& report);
std::string ReportJunit(const RunReport& report);
// A self-contained page: verdict, anomalies, per-cycle table and a throughput plot with
// every fault window (fault instant to ready again) shaded, as Jepsen's reports do.
std::string ReportHtml(const RunReport& report);
// Writes report.json, junit.xml and report.html into `dir` (created if needed). Throws
// std::runtime_error if the directory is not writable.
void WriteReports(const RunReport& report, const std::filesystem::path& dir);
// The human verdict table.
void PrintVerdict(const RunReport& report, std::ostream& out);
// Throws UsageError-style std::runtime_error if `dir` cannot be created or written.
void EnsureWritableDir(const std::filesystem::path& dir);

}  // namespace crashlab

// CrashTest: running scenarios and custom targets from GoogleTest, with replay info.
#include "framework/testing/crash_test.h"

#include "framework/process.h"
#include "framework/report.h"

namespace crashlab::testing {

std::string MissingPrerequisite(const std::string& scenario) {
  if (!Registry::Global().Find(scenario))
    return "scenario " + scenario + " is not registered in this binary";
  return crashlab::MissingPrerequisite(scenario);
}

void CrashTest::SetUp() { supervisor::Init(); }

uint64_t CrashTest::Seed(uint64_t fallback) {
  const char* s = std::getenv("CRASHLAB_SEED");
  // ParseSeed throws UsageError: CRASHLAB_SEED=abc fails the test, it is not seed 0.
  return s && *s ? ParseSeed(s) : fallback;
}

std::filesystem::path CrashTest::ReportDir() {
  const char* dir = std::getenv("CRASHLAB_REPORT_DIR");
  if (dir == nullptr || *dir == 0) return {};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return std::filesystem::path(dir) / name;
}

RunReport CrashTest::RunScenario(ScenarioRequest request) {
  if (const char* seed = std::getenv("CRASHLAB_SEED"); seed && *seed)
    request.seed = ParseSeed(seed);
  if (request.report_dir.empty()) request.report_dir = ReportDir();
  RunReport report = crashlab::RunScenario(request);
  Record(report);
  return report;
}

RunReport CrashTest::RunCycles(Target& target, Workload& workload, Fault& fault, RunOptions options,
                               const std::string& name) {
  if (options.report_dir.empty()) options.report_dir = ReportDir();
  if (!options.report_dir.empty()) EnsureWritableDir(options.report_dir);  // created if absent
  CrashCycleRunner runner(target, workload, fault, options);
  RunReport report = runner.Run();
  report.scenario = name;
  report.replay = "CRASHLAB_SEED=" + std::to_string(options.seed) + " " +
                  ::testing::internal::GetArgvs()[0] + " --gtest_filter=" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "." +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name();
  if (!options.report_dir.empty()) WriteReports(report, options.report_dir);
  Record(report);
  return report;
}

void CrashTest::Record(const RunReport& r) {
  RecordProperty("seed", std::to_string(r.seed));
  RecordProperty("cycles", static_cast<int>(r.cycles));
  RecordProperty("ops_ok", std::to_string(r.ok));
  RecordProperty("ops_unknown", std::to_string(r.unknown));
  RecordProperty("verdict", std::string(ToString(r.verdict)));
  for (const auto& [k, n] : r.anomaly_counts) RecordProperty("anomalies_" + k, std::to_string(n));
  RecordProperty("recovery_p50_ms", std::to_string(r.recovery_p50_ms));
  RecordProperty("replay", r.replay);
}

namespace {
std::string Summary(const RunReport& r) {
  std::string s = r.scenario + " seed " + std::to_string(r.seed) + ": verdict " +
                  std::string(ToString(r.verdict)) + ", " + std::to_string(r.cycles) +
                  " cycles, ok " + std::to_string(r.ok) + ", unknown " + std::to_string(r.unknown);
  for (const auto& [k, n] : r.anomaly_counts) {
    if (n) s += ", " + k + " " + std::to_string(n);
  }
  for (size_t i = 0; i < r.anomalies.size() && i < 5; ++i) s += "\n  " + r.anomalies[i].detail;
  return s + "\nreplay: " + r.replay;
}
}  // namespace

void CrashTest::ExpectValid(const RunReport& r) {
  EXPECT_EQ(r.verdict, Validity::kValid) << Summary(r);
  EXPECT_GT(r.cycles, 0u) << "no crash cycle completed\n" << Summary(r);
  EXPECT_GT(r.ok, 0u) << "no op was acknowledged: nothing was tested\n" << Summary(r);
}

void CrashTest::ExpectInvalid(const RunReport& r, const std::string& kind) {
  EXPECT_EQ(r.verdict, Validity::kInvalid) << Summary(r);
  auto it = r.anomaly_counts.find(kind);
  EXPECT_TRUE(it != r.anomaly_counts.end() && it->second > 0)
      << "expected '" << kind << "' anomalies, the checkers found none\n"
      << Summary(r);
}

void PrintTo(const ScenarioCase& c, std::ostream* os) { *os << c.name; }

std::string CaseName(const ::testing::TestParamInfo<ScenarioCase>& info) { return info.param.name; }

RunReport ScenarioTest::RunCase(const std::string& scenario, uint64_t seed) {
  const ScenarioCase& c = GetParam();
  ScenarioRequest req;
  req.scenario = scenario;
  req.seed = Seed(seed);
  if (c.cycles) req.cycles = c.cycles;
  if (c.workers) req.workers = c.workers;
  req.set = c.set;
  RunReport r = RunScenario(req);
  if (c.cycles && r.verdict == Validity::kValid) {
    EXPECT_EQ(r.cycles, c.cycles) << "a valid run stopped early";
  }
  return r;
}

}  // namespace crashlab::testing

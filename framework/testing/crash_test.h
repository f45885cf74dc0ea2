// crashlab::testing::CrashTest — the GoogleTest fixture users derive their suites from.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "framework/fault.h"
#include "framework/runner.h"
#include "framework/scenario.h"
#include "framework/target.h"
#include "framework/workload.h"

namespace crashlab::testing {

// Why a registered scenario cannot run on this machine ("" if it can).
std::string MissingPrerequisite(const std::string& scenario);

// Skips the current test (with the reason) when a scenario's prerequisites are missing.
#define CRASHLAB_SKIP_IF_MISSING(scenario)                                       \
  do {                                                                           \
    const std::string why_ = ::crashlab::testing::MissingPrerequisite(scenario); \
    if (!why_.empty()) GTEST_SKIP() << why_;                                     \
  } while (0)

// A crash test. One crash run is one test body: never split "write" and "verify" into
// tests that must run in order. The seed comes from $CRASHLAB_SEED when set (replay),
// else from the test; seed, cycles, anomaly counts and the replay command go into the
// JUnit XML via RecordProperty, and a failing verdict prints the command that replays it.
class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // The seed to use: $CRASHLAB_SEED if set, else `fallback`.
  static uint64_t Seed(uint64_t fallback = 1);

  // Runs a registered scenario (the same registry as the CLI) and records properties.
  // Report files go to $CRASHLAB_REPORT_DIR/<test name>/ when that is set.
  RunReport RunScenario(ScenarioRequest request);

  // Runs your own target / workload / fault through the cycle runner. Reports (and
  // history.jsonl) go to options.report_dir, else $CRASHLAB_REPORT_DIR/<test name>/ when
  // that is set; the directory is created.
  RunReport RunCycles(Target& target, Workload& workload, Fault& fault, RunOptions options,
                      const std::string& name = "custom");

  // Expectations with the replay command in the failure message.
  void ExpectValid(const RunReport& report);
  // Passes only if the checkers really found anomalies of `kind` (e.g. "lost").
  void ExpectInvalid(const RunReport& report, const std::string& kind);

 private:
  // $CRASHLAB_REPORT_DIR/<suite>.<test>, or empty.
  static std::filesystem::path ReportDir();
  void Record(const RunReport& report);
};

// One configuration of a registered scenario, for value-parameterized suites.
struct ScenarioCase {
  std::string name;                        // the test's name suffix
  std::map<std::string, std::string> set;  // --set knobs
  int workers = 0;                         // 0: the scenario's default
  uint32_t cycles = 0;                     // 0: the scenario's default
};
// What gtest prints for a case: its name, not its bytes.
void PrintTo(const ScenarioCase& c, std::ostream* os);
// The name generator for INSTANTIATE_TEST_SUITE_P.
std::string CaseName(const ::testing::TestParamInfo<ScenarioCase>& info);

// A suite written once and instantiated over configurations:
//   class SqliteKill : public ScenarioTest {};
//   TEST_P(SqliteKill, AckedWritesSurvive) { ExpectValid(RunCase("sqlite-kill", 42)); }
//   INSTANTIATE_TEST_SUITE_P(Configs, SqliteKill, Values(ScenarioCase{...}), CaseName);
class ScenarioTest : public CrashTest, public ::testing::WithParamInterface<ScenarioCase> {
 protected:
  // Runs `scenario` with the case's knobs (seed: $CRASHLAB_SEED or `seed`). Check
  // prerequisites first with CRASHLAB_SKIP_IF_MISSING.
  RunReport RunCase(const std::string& scenario, uint64_t seed);
};

}  // namespace crashlab::testing

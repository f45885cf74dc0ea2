// The SQLite kill suite: one contract (every acknowledged write survives SIGKILL of the
// writers) instantiated over journal modes, sync settings, workloads and writer counts.
// ctest: labels=suite;sqlite;fast timeout=300
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

using testing::ScenarioCase;

class SqliteKill : public testing::ScenarioTest {};

TEST_P(SqliteKill, AckedWritesSurvive) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-kill");
  const RunReport r = RunCase("sqlite-kill", 42);
  ExpectValid(r);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, SqliteKill,
    ::testing::Values(
        ScenarioCase{"WalFullLedger", {}, 2, 10},
        ScenarioCase{"WalNormalLedger", {{"synchronous", "normal"}}, 2, 10},
        ScenarioCase{"DeleteFullLedger", {{"journal_mode", "delete"}}, 1, 10},
        ScenarioCase{"WalFullBank", {{"workload", "bank"}}, 3, 10},
        ScenarioCase{"WalFullKv", {{"workload", "kv"}}, 2, 8},
        // Seed 000: several writer processes on one WAL database, one killed at a time.
        ScenarioCase{"WalMultiWriterKillOne", {{"kill_scope", "one"}}, 4, 10},
        // Under SIGKILL even synchronous=OFF keeps acknowledged writes: they reached the
        // kernel. (A power cut is what loses them: see the powercut suite.)
        ScenarioCase{"WalOffLedger", {{"synchronous", "off"}}, 2, 10},
        // The same contract on tmpfs (storage knob from faults/powercut).
        ScenarioCase{"WalFullTmpfs", {{"storage", "tmpfs"}}, 2, 10}),
    testing::CaseName);

}  // namespace
}  // namespace crashlab

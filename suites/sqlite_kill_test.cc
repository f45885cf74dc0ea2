// The SQLite kill suite: one contract (every acknowledged write survives SIGKILL of the
// writers) instantiated over journal modes, sync settings, workloads and writer counts.
// ctest: labels=suite;sqlite;fast timeout=300
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

struct SqliteKillCase {
  std::string name;
  std::map<std::string, std::string> set;
  int workers;
  uint32_t cycles;
};

class SqliteKill : public testing::CrashTest, public ::testing::WithParamInterface<SqliteKillCase> {};

TEST_P(SqliteKill, AckedWritesSurvive) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-kill");
  ScenarioRequest req;
  req.scenario = "sqlite-kill";
  req.seed = Seed(42);
  req.cycles = GetParam().cycles;
  req.workers = GetParam().workers;
  req.set = GetParam().set;
  const RunReport r = RunScenario(req);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, GetParam().cycles);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, SqliteKill,
    ::testing::Values(
        SqliteKillCase{"WalFullLedger", {}, 2, 10},
        SqliteKillCase{"WalNormalLedger", {{"synchronous", "normal"}}, 2, 10},
        SqliteKillCase{"DeleteFullLedger", {{"journal_mode", "delete"}}, 1, 10},
        SqliteKillCase{"WalFullBank", {{"workload", "bank"}}, 3, 10},
        SqliteKillCase{"WalFullKv", {{"workload", "kv"}}, 2, 8},
        // Seed 000: several writer processes on one WAL database, one killed at a time.
        SqliteKillCase{"WalMultiWriterKillOne", {{"kill_scope", "one"}}, 4, 10},
        // Under SIGKILL even synchronous=OFF keeps acknowledged writes: they reached the
        // kernel. (A power cut is what loses them: see the powercut suite.)
        SqliteKillCase{"WalOffLedger", {{"synchronous", "off"}}, 2, 10}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace crashlab

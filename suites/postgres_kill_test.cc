// The PostgreSQL kill suite: every acknowledged transaction survives SIGKILL of the
// postmaster, over the ledger (seed 004), bank transfers and seed 002's critical mix.
// ctest: labels=suite;postgres;fast timeout=300
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

struct PostgresKillCase {
  std::string name;
  std::map<std::string, std::string> set;
  int workers;
  uint32_t cycles;
};

class PostgresKill : public testing::CrashTest,
                     public ::testing::WithParamInterface<PostgresKillCase> {};

TEST_P(PostgresKill, AckedTransactionsSurvive) {
  CRASHLAB_SKIP_IF_MISSING("postgres-kill");
  ScenarioRequest req;
  req.scenario = "postgres-kill";
  req.seed = Seed(3);
  req.cycles = GetParam().cycles;
  req.workers = GetParam().workers;
  req.set = GetParam().set;
  const RunReport r = RunScenario(req);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, GetParam().cycles);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
  EXPECT_GT(r.ok, 0u);
  for (const auto& c : r.cycle_records) {
    EXPECT_GE(c.recovery_ms, 0) << "cycle " << c.cycle << " has no recovery time";
  }
  if (GetParam().set.count("workload") && GetParam().set.at("workload") == "bank") {
    // The total is conserved in every cycle, not only at the end.
    for (const auto& c : r.cycle_records) {
      ASSERT_TRUE(c.stats.count("bank_total")) << "cycle " << c.cycle;
      EXPECT_EQ(c.stats.at("bank_total"), 8 * 1000) << "cycle " << c.cycle;
    }
  }
}

// About 80 s in all on two cores (initdb ~1 s, recovery ~0.5 s per cycle).
INSTANTIATE_TEST_SUITE_P(
    Fast, PostgresKill,
    ::testing::Values(
        PostgresKillCase{"LedgerDefaults", {}, 4, 5},
        // Seed 004: "force checkpoint", then SIGKILL.
        PostgresKillCase{"LedgerCheckpointBeforeKill", {{"checkpoint_before_kill", "true"}}, 4, 4},
        PostgresKillCase{"BankTransfers", {{"workload", "bank"}}, 4, 5},
        // Seed 002: create/update/read/delete over related tables, 10 connections.
        PostgresKillCase{"CriticalOps10Connections",
                         {{"workload", "critical"}, {"schedule", "ops:100-400"}}, 10, 4},
        // Under SIGKILL of the server alone, asynchronous commit loses nothing that was
        // acknowledged: the WAL reached the kernel before the reply (power cuts differ).
        PostgresKillCase{"LedgerAsyncCommit", {{"synchronous_commit", "off"}}, 4, 4}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace crashlab

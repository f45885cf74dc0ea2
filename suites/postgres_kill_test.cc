// The PostgreSQL kill suite: every acknowledged transaction survives SIGKILL of the
// postmaster, over the ledger (seed 004), bank transfers and seed 002's critical mix.
// ctest: labels=suite;postgres;fast timeout=300
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

using testing::ScenarioCase;

class PostgresKill : public testing::ScenarioTest {};

TEST_P(PostgresKill, AckedTransactionsSurvive) {
  CRASHLAB_SKIP_IF_MISSING("postgres-kill");
  const RunReport r = RunCase("postgres-kill", 3);
  ExpectValid(r);
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
    ::testing::Values(ScenarioCase{"LedgerDefaults", {}, 4, 5},
                      // Seed 004: "force checkpoint", then SIGKILL.
                      ScenarioCase{
                          "LedgerCheckpointBeforeKill", {{"checkpoint_before_kill", "true"}}, 4, 4},
                      ScenarioCase{"BankTransfers", {{"workload", "bank"}}, 4, 5},
                      // Seed 002: create/update/read/delete over related tables, 10 connections.
                      ScenarioCase{"CriticalOps10Connections",
                                   {{"workload", "critical"}, {"schedule", "ops:100-400"}},
                                   10,
                                   4},
                      // Every process of the cluster killed at once: backends die mid-commit.
                      ScenarioCase{"LedgerKillWholeCluster", {{"kill_scope", "cluster"}}, 4, 4},
                      // fsync=off survives a process kill (the kernel keeps the page cache; a power
                      // cut is what loses it).
                      ScenarioCase{"LedgerFsyncOff", {{"fsync", "false"}}, 4, 4}),
    testing::CaseName);

class PostgresKillFindsLoss : public testing::CrashTest {};

// synchronous_commit=off acknowledges a commit whose WAL is still in shared memory: a
// SIGKILL of the server loses it (the WAL writer dies with the postmaster). The checkers
// must say so: this is the suite's proof that it fails when durability breaks.
TEST_F(PostgresKillFindsLoss, AsyncCommitLosesAcknowledgedCommits) {
  CRASHLAB_SKIP_IF_MISSING("postgres-kill");
  ScenarioRequest req;
  req.scenario = "postgres-kill";
  req.seed = Seed(3);
  req.cycles = 10;  // stops at the first invalid cycle, almost always the first
  req.workers = 4;
  req.set = {{"synchronous_commit", "off"}, {"kill_scope", "cluster"}};
  const RunReport r = RunScenario(req);
  ExpectInvalid(r, "lost");
}

}  // namespace
}  // namespace crashlab

// The long PostgreSQL kill runs: many cycles, every workload and sync setting, bigger
// loads between kills. Nightly only.
// ctest: labels=suite;postgres;nightly timeout=3600
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

using testing::ScenarioCase;

class PostgresKillLong : public testing::ScenarioTest {};

TEST_P(PostgresKillLong, AckedTransactionsSurvive) {
  CRASHLAB_SKIP_IF_MISSING("postgres-kill");
  const RunReport r = RunCase("postgres-kill", 20240);
  ExpectValid(r);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Nightly, PostgresKillLong,
    ::testing::Values(
        ScenarioCase{"Ledger", {{"schedule", "ops:100-3000"}}, 8, 100},
        ScenarioCase{"LedgerCheckpointBeforeKill",
                     {{"checkpoint_before_kill", "true"}, {"schedule", "ops:100-3000"}},
                     8,
                     50},
        ScenarioCase{"LedgerTimeTriggered", {{"schedule", "time:50-1500"}}, 8, 100},
        ScenarioCase{"LedgerKillWholeCluster", {{"kill_scope", "cluster"}}, 8, 100},
        ScenarioCase{
            "BankKillWholeCluster", {{"workload", "bank"}, {"kill_scope", "cluster"}}, 8, 100},
        ScenarioCase{"CriticalKillWholeCluster",
                     {{"workload", "critical"}, {"kill_scope", "cluster"}},
                     10,
                     100},
        ScenarioCase{"LedgerNoFullPageWrites", {{"full_page_writes", "false"}}, 4, 50},
        ScenarioCase{"LedgerOpenDatasync", {{"wal_sync_method", "open_datasync"}}, 4, 50},
        ScenarioCase{"LedgerSmallSharedBuffers", {{"shared_buffers", "16MB"}}, 8, 50},
        ScenarioCase{"BankManyAccounts", {{"workload", "bank"}, {"accounts", "64"}}, 8, 100},
        ScenarioCase{"BankHotAccounts", {{"workload", "bank"}, {"accounts", "2"}}, 8, 50},
        ScenarioCase{
            "Critical", {{"workload", "critical"}, {"schedule", "ops:100-2000"}}, 10, 100}),
    testing::CaseName);

}  // namespace
}  // namespace crashlab

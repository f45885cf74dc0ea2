// The long PostgreSQL kill runs: many cycles, every workload and sync setting, bigger
// loads between kills. Nightly only.
// ctest: labels=suite;postgres;nightly timeout=3600
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

struct PostgresKillLongCase {
  std::string name;
  std::map<std::string, std::string> set;
  int workers;
  uint32_t cycles;
};
// What ctest and gtest print for a case: its name, not its bytes.
void PrintTo(const PostgresKillLongCase& c, std::ostream* os) { *os << c.name; }

class PostgresKillLong : public testing::CrashTest,
                         public ::testing::WithParamInterface<PostgresKillLongCase> {};

TEST_P(PostgresKillLong, AckedTransactionsSurvive) {
  CRASHLAB_SKIP_IF_MISSING("postgres-kill");
  ScenarioRequest req;
  req.scenario = "postgres-kill";
  req.seed = Seed(20240);
  req.cycles = GetParam().cycles;
  req.workers = GetParam().workers;
  req.set = GetParam().set;
  const RunReport r = RunScenario(req);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, GetParam().cycles);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Nightly, PostgresKillLong,
    ::testing::Values(
        PostgresKillLongCase{"Ledger", {{"schedule", "ops:100-3000"}}, 8, 100},
        PostgresKillLongCase{"LedgerCheckpointBeforeKill",
                             {{"checkpoint_before_kill", "true"}, {"schedule", "ops:100-3000"}}, 8, 50},
        PostgresKillLongCase{"LedgerTimeTriggered", {{"schedule", "time:50-1500"}}, 8, 100},
        PostgresKillLongCase{"LedgerKillWholeCluster", {{"kill", "cluster"}}, 8, 100},
        PostgresKillLongCase{"BankKillWholeCluster", {{"workload", "bank"}, {"kill", "cluster"}}, 8, 100},
        PostgresKillLongCase{"CriticalKillWholeCluster", {{"workload", "critical"}, {"kill", "cluster"}}, 10, 100},
        PostgresKillLongCase{"LedgerNoFullPageWrites", {{"full_page_writes", "false"}}, 4, 50},
        PostgresKillLongCase{"LedgerOpenDatasync", {{"wal_sync_method", "open_datasync"}}, 4, 50},
        PostgresKillLongCase{"LedgerSmallSharedBuffers", {{"shared_buffers", "16MB"}}, 8, 50},
        PostgresKillLongCase{"BankManyAccounts", {{"workload", "bank"}, {"accounts", "64"}}, 8, 100},
        PostgresKillLongCase{"BankHotAccounts", {{"workload", "bank"}, {"accounts", "2"}}, 8, 50},
        PostgresKillLongCase{"Critical", {{"workload", "critical"}, {"schedule", "ops:100-2000"}}, 10, 100}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace crashlab

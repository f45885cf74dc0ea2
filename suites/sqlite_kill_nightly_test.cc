// Long SQLite kill runs for the nightly chaos job: many cycles, several seeds, several
// writers. The seed of the night comes from $CRASHLAB_SEED (ci/nightly.sh sets none: 1000+).
// ctest: labels=suite;sqlite;nightly timeout=3600
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

class SqliteKillNightly : public testing::CrashTest,
                          public ::testing::WithParamInterface<std::map<std::string, std::string>> {
};

TEST_P(SqliteKillNightly, AckedWritesSurviveLongRuns) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-kill");
  for (uint64_t seed : {Seed(1001), Seed(1001) + 1, Seed(1001) + 2}) {
    ScenarioRequest req;
    req.scenario = "sqlite-kill";
    req.seed = seed;
    req.cycles = 300;
    req.workers = 4;
    req.set = GetParam();
    ExpectValid(RunScenario(req));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configs, SqliteKillNightly,
    ::testing::Values(std::map<std::string, std::string>{},
                      std::map<std::string, std::string>{{"kill_scope", "one"}},
                      std::map<std::string, std::string>{{"workload", "bank"}},
                      std::map<std::string, std::string>{{"journal_mode", "delete"}},
                      std::map<std::string, std::string>{{"workload", "kv"},
                                                         {"synchronous", "normal"}}));

}  // namespace
}  // namespace crashlab

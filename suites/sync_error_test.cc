// Failing fsyncs and full disks: PostgreSQL must PANIC and recover, SQLite and Redis must
// keep everything they acknowledged; and the SQLite crash-point sweep over crashfs.
// ctest: labels=suite;powercut;fast timeout=600
#include <gtest/gtest.h>

#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

class SyncError : public testing::CrashTest {
 protected:
  RunReport Run(const std::string& scenario, std::map<std::string, std::string> set,
                uint32_t cycles, bool keep_going = false) {
    ScenarioRequest req;
    req.scenario = scenario;
    req.seed = Seed(11);
    req.cycles = cycles;
    req.set = std::move(set);
    req.keep_going = keep_going;
    RunReport r = RunScenario(req);
    for (const auto& c : r.cycle_records) {
      std::printf("  cycle %u: %s, %s\n", c.cycle, std::string(ToString(c.validity)).c_str(),
                  c.event.detail.c_str());
    }
    return r;
  }
  static bool AnyEvent(const RunReport& r, const std::string& key, const std::string& needle) {
    for (const auto& c : r.cycle_records) {
      auto it = c.event.extra.find(key);
      if (it != c.event.extra.end() && it->second.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(SyncError, PostgresPanicsOnFailedFsyncAndRecovers) {
  CRASHLAB_SKIP_IF_MISSING("postgres-fsync-eio");
  const RunReport r = Run("postgres-fsync-eio", {}, 2);
  ExpectValid(r);
  EXPECT_TRUE(AnyEvent(r, "store_log", "PANIC")) << "PostgreSQL did not PANIC on a failed fsync";
  EXPECT_EQ(r.cycles, 2u);
}

TEST_F(SyncError, SqliteSyncfaultEioKeepsAcked) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-fsync-eio");
  const RunReport r = Run("sqlite-fsync-eio", {}, 2);
  ExpectValid(r);
  EXPECT_TRUE(AnyEvent(r, "store_log", "disk I/O error"));
}

TEST_F(SyncError, SqliteFiuEioKeepsAcked) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-enospc");  // needs fiu-run
  const RunReport r = Run("sqlite-fsync-eio", {{"via", "fiu"}}, 2);
  ExpectValid(r);
  EXPECT_TRUE(AnyEvent(r, "store_log", "disk I/O error"));
}

TEST_F(SyncError, SqliteCrashfsEioKeepsAcked) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-powercut");
  const RunReport r = Run("sqlite-fsync-eio", {{"via", "crashfs"}, {"storage", "crashfs"}}, 2);
  ExpectValid(r);
}

TEST_F(SyncError, SqliteEnospcKeepsAcked) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-enospc");
  const RunReport r = Run("sqlite-enospc", {}, 2);
  ExpectValid(r);
  EXPECT_TRUE(AnyEvent(r, "store_log", "full"));
}

TEST_F(SyncError, RedisAlwaysExitsOnFailedFsyncAndKeepsAcked) {
  CRASHLAB_SKIP_IF_MISSING("redis-fsync-eio");
  const RunReport r = Run("redis-fsync-eio", {}, 2);
  ExpectValid(r);
  EXPECT_TRUE(AnyEvent(r, "store_exited", "redis-server exited"));
}

TEST_F(SyncError, RedisFiuEioKeepsAcked) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-enospc");  // needs fiu-run
  CRASHLAB_SKIP_IF_MISSING("redis-fsync-eio");
  const RunReport r = Run("redis-fsync-eio", {{"via", "fiu"}}, 2);
  ExpectValid(r);
}

// Every crash point of a DELETE-journal, synchronous=EXTRA workload keeps what was acked.
TEST_F(SyncError, SqliteCrashPointsExtraAllValid) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-crashpoints");
  const RunReport r = Run("sqlite-crashpoints", {}, 18, true);
  ExpectValid(r);
  ASSERT_EQ(r.cycle_records.size(), 18u);
  for (const auto& c : r.cycle_records)
    EXPECT_EQ(c.event.extra.at("reached"), "yes") << c.event.detail;
}

// With synchronous=FULL the journal unlink is not made durable: from some crash point
// on, the last acknowledged commit is rolled back. The report names each k.
TEST_F(SyncError, SqliteCrashPointsFullFindsRolledBackCommit) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-crashpoints");
  const RunReport r = Run("sqlite-crashpoints", {{"synchronous", "full"}}, 18, true);
  ExpectInvalid(r, "lost");
  EXPECT_EQ(r.anomaly_counts.at("integrity"), 0u);
}

}  // namespace
}  // namespace crashlab

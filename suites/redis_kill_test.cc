// The Redis kill suite: what each persistence setting promises when redis-server is
// SIGKILLed, checked on a real server, plus the target's own contracts (secret password,
// no hang on a frozen server).
// ctest: labels=suite;redis;fast timeout=300
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "framework/report.h"
#include "framework/testing/crash_test.h"
#include "workloads/redis/loss_window.h"
#include "workloads/redis/redis_target.h"

namespace crashlab {
namespace {

class RedisKill : public testing::CrashTest {
 protected:
  RunReport Run(std::map<std::string, std::string> set, uint32_t cycles = 10, int workers = 4) {
    ScenarioRequest req;
    req.scenario = "redis-kill";
    req.seed = Seed(7);
    req.cycles = cycles;
    req.workers = workers;
    req.set = std::move(set);
    return RunScenario(req);
  }
};

TEST_F(RedisKill, AppendfsyncAlwaysKeepsEveryAcknowledgedWrite) {
  CRASHLAB_SKIP_IF_MISSING("redis-kill");
  const RunReport r = Run({{"appendfsync", "always"}});
  ExpectValid(r);
  EXPECT_EQ(r.cycles, 10u);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
}

TEST_F(RedisKill, AppendfsyncAlwaysLedgerAndBank) {
  CRASHLAB_SKIP_IF_MISSING("redis-kill");
  const RunReport ledger = Run({{"workload", "ledger"}}, 5);
  ExpectValid(ledger);
  EXPECT_EQ(ledger.anomaly_counts.at("lost"), 0u);
  const RunReport bank = Run({{"workload", "bank"}}, 5);
  ExpectValid(bank);
  EXPECT_EQ(bank.anomaly_counts.at("invariant"), 0u);
}

// No AOF, no RDB: a restarted server is empty. This passes only because the checkers
// found the acknowledged writes missing.
TEST_F(RedisKill, NoPersistenceLosesAcknowledgedWrites) {
  CRASHLAB_SKIP_IF_MISSING("redis-kill");
  const RunReport r = Run({{"appendonly", "no"}, {"save", ""}}, 3);
  ExpectInvalid(r, "lost");
  EXPECT_GT(r.anomaly_counts.at("lost"), 0u);
  EXPECT_GT(r.ok, 0u);
}

// everysec writes the AOF to the kernel before replying and fsyncs once a second, so a
// SIGKILL of the server (the kernel survives) loses little or nothing: the window stat
// is reported (normally 0). The window checker matters for power cuts, where the page
// cache is lost too.
TEST_F(RedisKill, EverysecUnderSigkillReportsTheLossWindow) {
  CRASHLAB_SKIP_IF_MISSING("redis-kill");
  const RunReport r = Run({{"appendfsync", "everysec"}});
  ExpectValid(r);
  ASSERT_FALSE(r.cycle_records.empty());
  double worst = 0;
  for (const auto& c : r.cycle_records) {
    ASSERT_TRUE(c.stats.count(redis::loss_window::kWindowMs)) << "cycle " << c.cycle;
    EXPECT_EQ(c.stats.at(redis::loss_window::kEstimated), 0) << "the fault instant was recorded";
    EXPECT_EQ(c.stats.at(redis::loss_window::kBoundMs), 1500);
    worst = std::max(worst, c.stats.at(redis::loss_window::kWindowMs));
  }
  RecordProperty("loss_window_ms_max", std::to_string(worst));
  EXPECT_LE(worst, 1500);
}

TEST_F(RedisKill, ABadSaveScheduleIsAUsageError) {
  CRASHLAB_SKIP_IF_MISSING("redis-kill");
  EXPECT_THROW(Run({{"save", "900 x"}}, 1), UsageError);
  EXPECT_THROW(Run({{"save", "900"}}, 1), UsageError);
}

class RedisTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = redis::MissingRedisServer();
    if (!why.empty()) GTEST_SKIP() << why;
    supervisor::Init();
  }
};

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(RedisTargetTest, PasswordStaysOutOfArgvLogsAndConfig) {
  TempDir dir("crashlab-redis-secret-");
  redis::RedisOptions o;
  o.work_dir = dir.path();
  redis::RedisTarget t(o);
  t.Start();
  const std::string pw = t.endpoint().password;
  ASSERT_GE(pw.size(), 32u);
  // The server asks for it.
  {
    redis::Endpoint wrong = t.endpoint();
    wrong.password = "not-the-password";
    auto c = redis::MakeRedisClient(wrong);
    Op op;
    op.kind = OpKind::kInsert;
    op.key = 1;
    op.value = 1;
    EXPECT_EQ(c->Apply(op), Outcome::kFail);
    auto good = t.NewClient(0);
    EXPECT_EQ(good->Apply(op), Outcome::kOk);
  }
  std::string cmdline = Slurp("/proc/" + std::to_string(t.pid()) + "/cmdline");
  EXPECT_EQ(cmdline.find(pw), std::string::npos);
  struct stat st{};
  ASSERT_EQ(::stat(t.ConfigPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& [k, v] : t.Config()) EXPECT_EQ(v.find(pw), std::string::npos) << k;
  t.Recover();  // a restart logs again
  t.Stop();
  EXPECT_EQ(Slurp(t.LogPath()).find(pw), std::string::npos);
  EXPECT_NE(Slurp(t.LogPath()).find("Ready to accept connections"), std::string::npos);
  RunReport r;
  r.config = t.Config();
  EXPECT_EQ(ReportJson(r).find(pw), std::string::npos);
}

// A frozen server (SIGSTOP) costs a client its command timeout and gives unknown.
TEST_F(RedisTargetTest, FrozenServerGivesUnknownNotAHang) {
  TempDir dir("crashlab-redis-frozen-");
  redis::RedisOptions o;
  o.work_dir = dir.path();
  o.command_timeout = std::chrono::milliseconds(300);
  redis::RedisTarget t(o);
  t.Start();
  auto c = t.NewClient(0);
  Op op;
  op.kind = OpKind::kIncrement;
  op.key = 0;
  op.value = 1;
  ASSERT_EQ(c->Apply(op), Outcome::kOk);
  t.Processes()[0]->SignalGroup(SIGSTOP);
  const auto start = Clock::now();
  EXPECT_EQ(c->Apply(op), Outcome::kUnknown);
  const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
  EXPECT_GE(waited, 250);
  EXPECT_LT(waited, 3000);
  t.Processes()[0]->SignalGroup(SIGCONT);
  EXPECT_EQ(c->Apply(op), Outcome::kOk);  // reconnects
  const ObservedState s = t.NewClient(0)->ReadState();
  ASSERT_EQ(s.counters.size(), 1u);
  EXPECT_GE(s.counters[0].second, 2);  // the unknown one may or may not have applied
  EXPECT_LE(s.counters[0].second, 3);
  EXPECT_TRUE(s.integrity_ok) << s.integrity_detail;
  t.Stop();
}

TEST_F(RedisTargetTest, RecoverProvesTheOldServerGone) {
  TempDir dir("crashlab-redis-recover-");
  redis::RedisOptions o;
  o.work_dir = dir.path();
  redis::RedisTarget t(o);
  t.Start();
  const pid_t old = t.pid();
  t.Processes()[0]->SignalGroup(SIGKILL);
  t.Recover();
  EXPECT_TRUE(PidGone(old));
  EXPECT_NE(t.pid(), old);
  EXPECT_TRUE(t.NewClient(0)->ReadState().integrity_ok);
  t.Stop();
}

}  // namespace
}  // namespace crashlab

// The Redis kill suite: what each persistence setting promises when redis-server is
// SIGKILLed, checked on a real server, plus the target's own contracts (secret password,
// no hang on a frozen server).
// ctest: labels=suite;redis;fast timeout=300
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "faults/process/process_fault.h"
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

// everysec normally writes the AOF to the kernel before replying and fsyncs once a
// second, so a SIGKILL (the kernel survives) loses little or nothing: the window stat is
// reported, usually 0. Not always 0: while a background fsync is still running Redis
// postpones the write() (up to 2 s) but keeps replying, so a kill can lose the last few
// milliseconds of acknowledged writes (busy disk). The window checker matters most for
// power cuts, where the page cache is lost too (see RedisTornTail below).
TEST_F(RedisKill, EverysecUnderSigkillReportsTheLossWindow) {
  CRASHLAB_SKIP_IF_MISSING("redis-kill");
  // Cycles of 1.2-2 s, so that every kill comes after at least one background fsync.
  const RunReport r = Run({{"appendfsync", "everysec"}, {"schedule", "time:1200-2000"}}, 4);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, 4u);
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

// A stand-in for a power cut under everysec, until a filesystem layer does it for real:
// SIGKILL, then cut the AOF back to the size it had `lag` before the kill, as if the
// kernel had lost the writes of that last stretch. Samples the AOF size every 2 ms.
class TornAofTail : public Fault {
 public:
  explicit TornAofTail(Millis lag) : lag_(lag) {}
  ~TornAofTail() override { StopSampling(); }
  std::string Name() const override { return "torn-aof-tail"; }
  void Setup(Target& t) override {
    dir_ = t.DataDir() / "appendonlydir";
    sampler_ = std::thread([this] {
      while (!stop_.load()) {
        Sample();
        std::this_thread::sleep_for(Millis(2));
      }
    });
  }
  FaultEvent Inject(Target& t, Rng&) override {
    const auto now = Clock::now();
    for (Process* p : t.Processes()) {
      p->SignalGroup(SIGKILL);
      p->WaitFor(Millis(5000));
    }
    FaultEvent ev;
    ev.fault = Name();
    std::lock_guard lock(mu_);
    for (auto it = samples_.rbegin(); it != samples_.rend(); ++it) {
      if (it->at <= now - lag_) {
        std::filesystem::resize_file(it->path, it->size);
        ev.detail = "cut " + it->path.filename().string() + " to " + std::to_string(it->size);
        ++cuts_;
        break;
      }
    }
    samples_.clear();
    return ev;
  }
  void Teardown(Target&) override { StopSampling(); }
  int cuts() const { return cuts_; }

 private:
  struct SampleRec {
    Clock::time_point at;
    std::filesystem::path path;
    uintmax_t size;
  };
  void Sample() {
    std::error_code ec;
    std::filesystem::path latest;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
      const auto name = e.path().filename().string();
      if (name.size() > 9 && name.ends_with(".incr.aof") && e.path() > latest) latest = e.path();
    }
    if (latest.empty()) return;
    const auto size = std::filesystem::file_size(latest, ec);
    if (ec) return;
    std::lock_guard lock(mu_);
    samples_.push_back({Clock::now(), latest, size});
    while (samples_.size() > 5000) samples_.pop_front();
  }
  void StopSampling() {
    stop_.store(true);
    if (sampler_.joinable()) sampler_.join();
  }
  Millis lag_;
  std::filesystem::path dir_;
  std::thread sampler_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<SampleRec> samples_;
  int cuts_ = 0;
};

// The kv workload judged by the loss-window checker.
class WindowKv : public Workload {
 public:
  WindowKv(double bound_ms, std::shared_ptr<redis::FaultClock> clock)
      : bound_ms_(bound_ms), clock_(std::move(clock)) {}
  std::string Name() const override { return "kv"; }
  DataModel Model() const override { return kv_->Model(); }
  std::unique_ptr<OpGenerator> Generator(int w, uint64_t seed) override {
    return kv_->Generator(w, seed);
  }
  std::unique_ptr<Checker> MakeChecker() const override {
    return redis::MakeLossWindowChecker(kv_->MakeChecker(), bound_ms_, redis::InstantOf(clock_));
  }

 private:
  std::unique_ptr<Workload> kv_ = MakeKeyValueWorkload();
  double bound_ms_;
  std::shared_ptr<redis::FaultClock> clock_;
};

class RedisTornTail : public testing::CrashTest {
 protected:
  RunReport Run(Millis lag, const std::string& schedule, uint32_t cycles) {
    TempDir dir("crashlab-redis-torn-");
    redis::RedisOptions o;
    o.work_dir = dir.path();
    o.appendfsync = "everysec";
    redis::RedisTarget target(o);
    auto clock = std::make_shared<redis::FaultClock>();
    WindowKv workload(1500, clock);
    auto torn = std::make_unique<TornAofTail>(lag);
    TornAofTail* raw = torn.get();
    auto fault = redis::RecordFaultInstant(std::move(torn), clock);
    RunOptions opt;
    opt.seed = Seed(11);
    opt.cycles = cycles;
    opt.workers = 4;
    opt.schedule = Schedule::Parse(schedule);
    const RunReport r = RunCycles(target, workload, *fault, opt, "redis-torn-aof-tail");
    EXPECT_EQ(raw->cuts(), static_cast<int>(r.cycles)) << "every fault must have cut the AOF";
    return r;
  }
};

// The last 300 ms of AOF writes vanish: the checker sees the loss, measures a window of
// about 300 ms and, within the 1500 ms bound, reports it as a stat, not an anomaly.
TEST_F(RedisTornTail, LossInsideTheWindowIsAStat) {
  if (!redis::MissingRedisServer().empty()) GTEST_SKIP() << redis::MissingRedisServer();
  const RunReport r = Run(Millis(300), "time:800-1200", 3);
  ExpectValid(r);
  for (const auto& c : r.cycle_records) {
    RecordProperty("cycle" + std::to_string(c.cycle) + "_loss_window_ms",
                   std::to_string(c.stats.at(redis::loss_window::kWindowMs)));
    RecordProperty("cycle" + std::to_string(c.cycle) + "_lost_in_window",
                   std::to_string(c.stats.at(redis::loss_window::kLostInWindow)));
    EXPECT_GT(c.stats.at(redis::loss_window::kLostInWindow), 0) << "cycle " << c.cycle;
    EXPECT_GE(c.stats.at(redis::loss_window::kWindowMs), 250) << "cycle " << c.cycle;
    EXPECT_LE(c.stats.at(redis::loss_window::kWindowMs), 700) << "cycle " << c.cycle;
  }
}

// 2.5 s of AOF writes vanish: beyond the 1500 ms bound, so acknowledged writes are lost.
TEST_F(RedisTornTail, LossBeyondTheWindowIsLost) {
  if (!redis::MissingRedisServer().empty()) GTEST_SKIP() << redis::MissingRedisServer();
  const RunReport r = Run(Millis(2500), "time:3200", 1);
  ExpectInvalid(r, "lost");
  ASSERT_EQ(r.cycle_records.size(), 1u);
  RecordProperty("loss_window_ms",
                 std::to_string(r.cycle_records[0].stats.at(redis::loss_window::kWindowMs)));
  RecordProperty("lost_beyond_window",
                 std::to_string(r.cycle_records[0].stats.at(redis::loss_window::kLostBeyond)));
  EXPECT_GE(r.cycle_records[0].stats.at(redis::loss_window::kWindowMs), 2400);
  EXPECT_GT(r.cycle_records[0].stats.at(redis::loss_window::kLostInWindow), 0);
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
  struct stat st {};
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

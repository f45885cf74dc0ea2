// The bench's measuring loop against an in-process fake store (no processes): open loop
// counts queueing (no coordinated omission), faults park and reconnect the clients and
// their outage is measured. Runs under TSan in ci/sanitize.sh.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "bench/bench.h"
#include "framework/fault.h"

namespace crashlab::bench {
namespace {

using namespace std::chrono_literals;

// A store: ops take `op_time`; one op stalls `stall` once when the stall is armed;
// while down, ops fail at once.
struct FakeState {
  std::atomic<bool> down{false};
  std::atomic<bool> stall_armed{false};
  std::chrono::microseconds op_time{200};
  std::chrono::milliseconds stall{0};
  std::atomic<int> clients_made{0};
};

class FakeClient : public Client {
 public:
  explicit FakeClient(FakeState& s) : s_(s) {}
  Outcome Apply(const Op&) override {
    if (s_.down.load()) return Outcome::kFail;
    bool armed = true;
    if (s_.stall_armed.compare_exchange_strong(armed, false)) std::this_thread::sleep_for(s_.stall);
    std::this_thread::sleep_for(s_.op_time);
    return Outcome::kOk;
  }
  ObservedState ReadState() override { return {}; }

 private:
  FakeState& s_;
};

class FakeTarget : public Target {
 public:
  explicit FakeTarget(FakeState& s) : s_(s) {}
  std::string Name() const override { return "fake"; }
  void Start() override {}
  void Stop() override {}
  void Recover() override {
    std::this_thread::sleep_for(30ms);
    s_.down.store(false);
  }
  std::filesystem::path DataDir() const override { return "/nonexistent"; }
  std::unique_ptr<Client> NewClient(int) override {
    ++s_.clients_made;
    return std::make_unique<FakeClient>(s_);
  }

 private:
  FakeState& s_;
};

class DownFault : public Fault {
 public:
  explicit DownFault(FakeState& s) : s_(s) {}
  std::string Name() const override { return "down"; }
  FaultEvent Inject(Target&, Rng&) override {
    s_.down.store(true);
    return {"down", "", {}};
  }

 private:
  FakeState& s_;
};

BuiltScenario Fake(FakeState& s) {
  BuiltScenario b;
  b.target = std::make_unique<FakeTarget>(s);
  b.workload = MakeLedgerWorkload();
  b.fault = std::make_unique<DownFault>(s);
  return b;
}

BenchRequest Req(double duration) {
  BenchRequest r;
  r.duration_s = duration;
  r.warmup_s = 0.1;
  return r;
}

TEST(Measure, ClosedLoopRecordsEveryAcknowledgedOp) {
  FakeState s;
  BuiltScenario b = Fake(s);
  const Repetition r = MeasureOn(b, Req(0.5), 3, 1);
  EXPECT_GT(r.ok, 500u);
  EXPECT_EQ(r.fail + r.unknown, 0u);
  EXPECT_EQ(r.hist.Count(), r.ok);
  EXPECT_GE(r.hist.Percentile(50), 200'000u);  // every op takes at least op_time
  uint64_t in_windows = 0;
  for (const auto& w : r.windows) in_windows += w.ok;
  EXPECT_EQ(in_windows, r.ok);
}

// One op stalls 200 ms. Closed loop: one slow op, the p99 stays low. Open loop at 1000
// ops/s: the ops due during the stall wait behind it and their latency counts from when
// they were due, so about 200 of them are slow (what a user's requests would see).
TEST(Measure, OpenLoopCountsQueueingBehindAStall) {
  for (bool open : {false, true}) {
    FakeState s;
    s.stall = 200ms;
    BuiltScenario b = Fake(s);
    BenchRequest req = Req(2.0);
    if (open) req.rate = 1000;
    std::thread arm([&] {
      std::this_thread::sleep_for(600ms);
      s.stall_armed.store(true);
    });
    const Repetition r = MeasureOn(b, req, 1, 1);
    arm.join();
    uint64_t slow = 0;
    for (const auto& bk : r.hist.Buckets()) {
      if (bk.low >= 50'000'000) slow += bk.count;
    }
    if (open) {
      EXPECT_GT(slow, 100u) << "queued ops must count their wait";
      EXPECT_NEAR(r.OpsPerSec(), 1000, 150);
    } else {
      EXPECT_EQ(slow, 1u) << "closed loop: only the stalled op itself";
    }
  }
}

TEST(Measure, FaultsParkRecoverAndReconnect) {
  FakeState s;
  BuiltScenario b = Fake(s);
  BenchRequest req = Req(1.3);
  req.fault = "down";
  req.every_s = 0.4;
  const Repetition r = MeasureOn(b, req, 3, 1);
  ASSERT_EQ(r.faults.size(), 3u);
  for (const auto& f : r.faults) {
    EXPECT_EQ(f.fault, "down");
    EXPECT_GE(f.first_ok_ms, 30) << "the outage lasts at least the recovery";
    EXPECT_LT(f.first_ok_ms, 300);
  }
  EXPECT_EQ(s.clients_made.load(), 3 + 3 * 3);  // the first three, then three per fault
}

}  // namespace
}  // namespace crashlab::bench

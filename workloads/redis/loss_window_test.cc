// Unit tests of the loss-window checker on hand-made histories (no server involved).
#include "workloads/redis/loss_window.h"

#include <gtest/gtest.h>

#include <thread>

#include "framework/workload.h"

namespace crashlab::redis {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kFault = 10'000 * kMs;  // the fault fires 10 s into the history

class LossWindowTest : public ::testing::Test {
 protected:
  // Appends an op acknowledged (or completed) at `at_ms` on the history's clock.
  uint64_t Add(OpKind kind, int64_t key, int64_t value, Outcome outcome, int64_t at_ms,
               uint16_t cycle = 1) {
    Op op;
    op.kind = kind;
    op.key = key;
    op.value = value;
    const uint64_t i = h_.Invoke(op, cycle);
    h_.Complete(i, outcome);
    h_[i].invoke_ns = at_ms * kMs - 50'000;
    h_[i].complete_ns = at_ms * kMs;
    return i;
  }

  std::unique_ptr<Checker> Make(double bound_ms = 1500, std::optional<int64_t> fault = kFault) {
    FaultInstantFn fn;
    if (fault) fn = [this](const History&) { return fault_; };
    fault_ = fault.value_or(0);
    return MakeLossWindowChecker(MakeKeyValueWorkload()->MakeChecker(), bound_ms, fn);
  }

  CheckResult Run(Checker& c, bool resolve = true) {
    CheckInput in{h_, state_, resolve};
    return c.Check(in);
  }

  History h_;
  ObservedState state_;
  int64_t fault_ = kFault;
};

TEST_F(LossWindowTest, NothingLostIsValidWithAZeroWindow) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 9000);
  Add(OpKind::kIncrement, 0, 5, Outcome::kOk, 9100);
  Add(OpKind::kAppend, 0, 77, Outcome::kOk, 9200);
  Add(OpKind::kMarker, 1, 0, Outcome::kOk, 9300);
  state_.rows = {{1, 11}};
  state_.counters = {{0, 5}};
  state_.lists = {{0, {77}}};
  state_.markers = {1};
  auto c = Make();
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.stats.at(loss_window::kWindowMs), 0);
  EXPECT_EQ(r.stats.at(loss_window::kLostInWindow), 0);
  EXPECT_EQ(r.stats.at(loss_window::kEstimated), 0);
}

TEST_F(LossWindowTest, LossesInsideTheWindowAreAStatNotAnAnomaly) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 5000);  // survived
  Add(OpKind::kInsert, 2, 22, Outcome::kOk, 9200);  // lost, 800 ms before the fault
  Add(OpKind::kAppend, 0, 77, Outcome::kOk, 9500);  // lost, 500 ms
  Add(OpKind::kMarker, 3, 0, Outcome::kOk, 9900);   // lost, 100 ms
  state_.rows = {{1, 11}};
  auto c = Make();
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.Count(anomaly::kLost), 0u);
  EXPECT_EQ(r.stats.at(loss_window::kLostInWindow), 3);
  EXPECT_DOUBLE_EQ(r.stats.at(loss_window::kWindowMs), 800);
  EXPECT_DOUBLE_EQ(r.stats.at(loss_window::kBoundMs), 1500);
}

TEST_F(LossWindowTest, LossBeyondTheBoundIsLost) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 7000);  // lost, 3000 ms before the fault
  Add(OpKind::kInsert, 2, 22, Outcome::kOk, 9800);  // lost, 200 ms: inside
  auto c = Make();
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kLost), 1u);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].op_id, 0u);
  EXPECT_NE(r.anomalies[0].detail.find("3000.0 ms before the fault"), std::string::npos)
      << r.anomalies[0].detail;
  EXPECT_DOUBLE_EQ(r.stats.at(loss_window::kWindowMs), 3000);
  EXPECT_EQ(r.stats.at(loss_window::kLostInWindow), 1);
  EXPECT_EQ(r.stats.at(loss_window::kLostBeyond), 1);
}

TEST_F(LossWindowTest, TheBoundIsConfigurable) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 7000);
  auto c = Make(/*bound_ms=*/5000);
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_DOUBLE_EQ(r.stats.at(loss_window::kWindowMs), 3000);
}

TEST_F(LossWindowTest, CounterDeficitIsAttributedToTheLatestIncrements) {
  Add(OpKind::kIncrement, 0, 1, Outcome::kOk, 1000);
  Add(OpKind::kIncrement, 0, 2, Outcome::kOk, 9000);
  Add(OpKind::kIncrement, 0, 4, Outcome::kOk, 9600);
  state_.counters = {{0, 1}};  // 6 missing: the increments at 9000 and 9600
  auto c = Make();
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.stats.at(loss_window::kLostInWindow), 2);
  EXPECT_DOUBLE_EQ(r.stats.at(loss_window::kWindowMs), 1000);
  // The same counter at 0 loses the increment acknowledged 9 s before: beyond.
  state_.counters = {};
  auto c2 = Make();
  const CheckResult r2 = Run(*c2, /*resolve=*/false);
  EXPECT_EQ(r2.validity, Validity::kInvalid);
  EXPECT_EQ(r2.Count(anomaly::kLost), 1u);
  EXPECT_DOUBLE_EQ(r2.stats.at(loss_window::kWindowMs), 9000);
}

TEST_F(LossWindowTest, UnknownAndFailedOpsMayBeMissing) {
  Add(OpKind::kInsert, 1, 11, Outcome::kUnknown, 2000);
  Add(OpKind::kInsert, 2, 22, Outcome::kFail, 2000);
  Add(OpKind::kIncrement, 0, 3, Outcome::kUnknown, 2000);
  Add(OpKind::kAppend, 0, 5, Outcome::kUnknown, 2000);
  auto c = Make();
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.stats.at(loss_window::kLostInWindow), 0);
}

TEST_F(LossWindowTest, PhantomsFromTheGenericCheckersStay) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 9900);  // lost inside the window
  Add(OpKind::kInsert, 2, 22, Outcome::kFail, 9000);
  state_.rows = {{2, 22}, {99, 1}};  // a failed write and one never written
  auto c = Make();
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kPhantom), 2u);
  EXPECT_EQ(r.Count(anomaly::kLost), 0u);  // the generic "lost" is judged by the window
}

TEST_F(LossWindowTest, ALossIsJudgedOnceAcrossCycles) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 9900, 1);
  auto c = Make();
  EXPECT_EQ(Run(*c).validity, Validity::kValid);
  // Cycle 2 faults 20 s later; the row lost in cycle 1 is still absent.
  Add(OpKind::kInsert, 2, 22, Outcome::kOk, 29000, 2);
  state_.rows = {{2, 22}};
  fault_ = 30'000 * kMs;
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.stats.at(loss_window::kLostInWindow), 0);
  EXPECT_EQ(r.stats.at(loss_window::kWindowMs), 0);
}

TEST_F(LossWindowTest, AnOldWriteLostLaterIsBeyondTheWindow) {
  // Survived cycle 1's check, vanished by cycle 2's: acknowledged 20 s before that fault.
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 9900, 1);
  state_.rows = {{1, 11}};
  auto c = Make();
  EXPECT_EQ(Run(*c).validity, Validity::kValid);
  state_.rows = {};
  fault_ = 30'000 * kMs;
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kLost), 1u);
}

TEST_F(LossWindowTest, WithoutAClockTheInstantIsTheLastAcknowledgement) {
  Add(OpKind::kInsert, 1, 11, Outcome::kOk, 8000);  // lost
  Add(OpKind::kInsert, 2, 22, Outcome::kOk, 9000);  // survived: the last ack
  Add(OpKind::kInsert, 3, 33, Outcome::kUnknown, 9999);
  state_.rows = {{2, 22}};
  auto c = Make(1500, std::nullopt);
  const CheckResult r = Run(*c);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.stats.at(loss_window::kEstimated), 1);
  EXPECT_DOUBLE_EQ(r.stats.at(loss_window::kWindowMs), 1000);
}

TEST(FaultClock, MarksOnTheHistoryClock) {
  History h;
  auto clock = std::make_shared<FaultClock>();
  EXPECT_FALSE(clock->InstantOn(h).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t before = h.Now();
  clock->Mark();
  const int64_t after = h.Now();
  const auto at = InstantOf(clock)(h);
  ASSERT_TRUE(at.has_value());
  EXPECT_GE(*at, before - 1000);
  EXPECT_LE(*at, after + 1000);
}

}  // namespace
}  // namespace crashlab::redis

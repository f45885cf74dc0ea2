// Unit tests of History (concurrent appends, demotion after a power cut, streaming),
// Schedule (determinism, parsing) and Rng.
#include "framework/history.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "framework/process.h"
#include "framework/rng.h"
#include "framework/schedule.h"

namespace crashlab {
namespace {

TEST(History, ConcurrentAppendsKeepEveryEntry) {
  History h;
  constexpr int kThreads = 4, kPer = 100000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        Op op;
        op.worker = static_cast<uint16_t>(t);
        op.key = i;
        const uint64_t idx = h.Invoke(op);
        h.Complete(idx, i % 3 == 0 ? Outcome::kUnknown : Outcome::kOk);
      }
    });
  }
  for (auto& t : ts) t.join();
  ASSERT_EQ(h.Size(), uint64_t{kThreads} * kPer);
  std::vector<int> seen(kThreads * kPer, 0);
  for (uint64_t i = 0; i < h.Size(); ++i) {
    EXPECT_EQ(h[i].op.id, i);
    ++seen[h[i].op.worker * kPer + h[i].op.key];
    EXPECT_NE(h[i].outcome, Outcome::kPending);
    EXPECT_LE(h[i].invoke_ns, h[i].complete_ns);
  }
  for (int s : seen) ASSERT_EQ(s, 1);
  EXPECT_EQ(h.ok() + h.unknown(), h.Size());
}

TEST(History, DemoteAfterMakesLateAcksAndPendingUnknown) {
  History h;
  Op op;
  const uint64_t a = h.Invoke(op);
  h.Complete(a, Outcome::kOk);
  const int64_t instant = h.Now();
  const uint64_t b = h.Invoke(op);
  h.Complete(b, Outcome::kOk);
  const uint64_t d = h.Invoke(op);
  h.Complete(d, Outcome::kFail);    // a definite rejection after the instant
  const uint64_t c = h.Invoke(op);  // never completed
  EXPECT_EQ(h.DemoteAfter(instant), 2u);
  EXPECT_EQ(h[a].outcome, Outcome::kOk);
  EXPECT_EQ(h[b].outcome, Outcome::kUnknown);
  EXPECT_EQ(h[c].outcome, Outcome::kUnknown);
  EXPECT_EQ(h[d].outcome, Outcome::kFail) << "a power cut cannot make a rejected op appear";
  EXPECT_EQ(h.ok(), 1u);
  EXPECT_EQ(h.fail(), 1u);
  EXPECT_EQ(h.unknown(), 2u);
}

TEST(History, FlushStreamsJsonLinesIncrementally) {
  TempDir dir("history-test-");
  History h;
  Op op;
  op.kind = OpKind::kTransfer;
  h.Complete(h.Invoke(op), Outcome::kOk);
  h.FlushTo(dir.path() / "h.jsonl");
  h.Complete(h.Invoke(op), Outcome::kFail);
  h.FlushTo(dir.path() / "h.jsonl");
  std::ifstream in(dir.path() / "h.jsonl");
  std::string l1, l2, l3;
  ASSERT_TRUE(std::getline(in, l1));
  ASSERT_TRUE(std::getline(in, l2));
  EXPECT_FALSE(std::getline(in, l3));
  EXPECT_NE(l1.find("\"outcome\":\"ok\""), std::string::npos) << l1;
  EXPECT_NE(l2.find("\"outcome\":\"fail\""), std::string::npos) << l2;
  EXPECT_NE(l2.find("\"kind\":\"transfer\""), std::string::npos) << l2;
}

TEST(Schedule, SameSeedSameTriggersDifferentSeedDifferent) {
  const Schedule s = Schedule::RandomOps(20, 200);
  std::vector<uint64_t> a, b, c;
  for (uint32_t cycle = 1; cycle <= 50; ++cycle) {
    a.push_back(s.ForCycle(7, cycle).after_ops);
    b.push_back(s.ForCycle(7, cycle).after_ops);
    c.push_back(s.ForCycle(8, cycle).after_ops);
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (uint64_t v : a) {
    EXPECT_GE(v, 20u);
    EXPECT_LE(v, 200u);
  }
}

TEST(Schedule, ParsesAndRejects) {
  EXPECT_EQ(Schedule::Parse("ops:100").ToString(), "ops:100");
  EXPECT_EQ(Schedule::Parse("ops:5-10").ToString(), "ops:5-10");
  EXPECT_EQ(Schedule::Parse("time:250").ForCycle(1, 1).after_ms, 250);
  for (const char* bad :
       {"", "ops", "ops:", "ops:0", "ops:10-5", "ops:x", "time:-1", "later:5", "ops:5-"}) {
    EXPECT_THROW(Schedule::Parse(bad), std::invalid_argument) << bad;
  }
}

TEST(Rng, SubSeedsAreIndependentAndStable) {
  EXPECT_EQ(SubSeed(1, 2, 3), SubSeed(1, 2, 3));
  EXPECT_NE(SubSeed(1, 2, 3), SubSeed(1, 2, 4));
  Rng r(5);
  for (int i = 0; i < 1000; ++i) {
    const int64_t v = r.Uniform(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
  }
}

}  // namespace
}  // namespace crashlab

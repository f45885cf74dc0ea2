// Unit tests of the generic checkers on hand-made histories and states.
#include "framework/checker.h"

#include <gtest/gtest.h>

#include "framework/history.h"
#include "framework/rng.h"

namespace crashlab {
namespace {

// Builds a history one op at a time.
struct H {
  History h;
  uint64_t Add(OpKind kind, int64_t key, int64_t value, Outcome out, int32_t key2 = 0) {
    Op op;
    op.kind = kind;
    op.key = key;
    op.value = value;
    op.key2 = key2;
    const uint64_t i = h.Invoke(op, 1);
    h.Complete(i, out);
    return i;
  }
};

CheckResult Check(Checker& c, History& h, const ObservedState& s) {
  CheckInput in{h, s, true};
  return c.Check(in);
}

TEST(RowsChecker, AllAckedPresentIsValid) {
  H t;
  t.Add(OpKind::kInsert, 1, 10, Outcome::kOk);
  t.Add(OpKind::kInsert, 2, 20, Outcome::kOk);
  ObservedState s;
  s.rows = {{1, 10}, {2, 20}};
  auto c = MakeRowsChecker();
  EXPECT_EQ(Check(*c, t.h, s).validity, Validity::kValid);
}

// The self-test of the issue: an acknowledged op absent from the store is caught, named.
TEST(RowsChecker, AckedButAbsentIsLostAndNamed) {
  H t;
  t.Add(OpKind::kInsert, 1, 10, Outcome::kOk);
  const uint64_t lost = t.Add(OpKind::kInsert, 2, 20, Outcome::kOk);
  ObservedState s;
  s.rows = {{1, 10}};
  auto c = MakeRowsChecker();
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  ASSERT_EQ(r.Count(anomaly::kLost), 1u);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].op_id, lost);
  EXPECT_NE(r.anomalies[0].detail.find("op " + std::to_string(lost)), std::string::npos)
      << r.anomalies[0].detail;
  EXPECT_NE(r.anomalies[0].detail.find("key 2"), std::string::npos);
}

TEST(RowsChecker, WrongValueIsLost) {
  H t;
  t.Add(OpKind::kInsert, 1, 10, Outcome::kOk);
  ObservedState s;
  s.rows = {{1, 11}};
  auto c = MakeRowsChecker();
  EXPECT_EQ(Check(*c, t.h, s).Count(anomaly::kLost), 1u);
}

TEST(RowsChecker, NeverWrittenRowIsPhantom) {
  H t;
  t.Add(OpKind::kInsert, 1, 10, Outcome::kOk);
  ObservedState s;
  s.rows = {{1, 10}, {99, 5}};
  auto c = MakeRowsChecker();
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kPhantom), 1u);
}

TEST(RowsChecker, FailedOpPresentIsPhantom) {
  H t;
  t.Add(OpKind::kInsert, 1, 10, Outcome::kFail);
  ObservedState s;
  s.rows = {{1, 10}};
  auto c = MakeRowsChecker();
  EXPECT_EQ(Check(*c, t.h, s).Count(anomaly::kPhantom), 1u);
}

TEST(RowsChecker, UnknownPresentIsValidAndResolvedOk) {
  H t;
  const uint64_t u = t.Add(OpKind::kInsert, 1, 10, Outcome::kUnknown);
  ObservedState s;
  s.rows = {{1, 10}};
  auto c = MakeRowsChecker();
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(r.stats.at("unknown_present"), 1);
  EXPECT_EQ(t.h[u].resolved, Outcome::kOk);
  // Once seen after a recovery, the write must stay: losing it later is a loss.
  ObservedState later;
  EXPECT_EQ(Check(*c, t.h, later).Count(anomaly::kLost), 1u);
}

TEST(RowsChecker, UnknownAbsentIsValidAndResolvedFail) {
  H t;
  const uint64_t u = t.Add(OpKind::kInsert, 1, 10, Outcome::kUnknown);
  ObservedState s;
  auto c = MakeRowsChecker();
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.validity, Validity::kValid);
  EXPECT_EQ(t.h[u].resolved, Outcome::kFail);
  // ... and it must not come back later.
  ObservedState later;
  later.rows = {{1, 10}};
  EXPECT_EQ(Check(*c, t.h, later).Count(anomaly::kPhantom), 1u);
}

TEST(RowsChecker, UpdatesAndDeletesFollowTheLastAckedOp) {
  H t;
  t.Add(OpKind::kInsert, 1, 10, Outcome::kOk);
  t.Add(OpKind::kUpdate, 1, 11, Outcome::kOk);
  t.Add(OpKind::kUpdate, 1, 12, Outcome::kUnknown);
  t.Add(OpKind::kInsert, 2, 20, Outcome::kOk);
  t.Add(OpKind::kDelete, 2, 0, Outcome::kOk);
  auto c = MakeRowsChecker();
  for (int64_t v : {11, 12}) {
    ObservedState s;
    s.rows = {{1, v}};
    EXPECT_EQ(Check(*c, t.h, s).validity, Validity::kValid) << v;
  }
  ObservedState stale;
  stale.rows = {{1, 10}};  // the acknowledged update to 11 was lost
  EXPECT_EQ(Check(*c, t.h, stale).Count(anomaly::kLost), 1u);
  ObservedState resurrected;
  resurrected.rows = {{1, 11}, {2, 20}};  // acknowledged delete undone
  EXPECT_EQ(Check(*c, t.h, resurrected).validity, Validity::kInvalid);
}

TEST(AggregateChecker, CountAndTotalWithinUnknownBounds) {
  H t;
  t.Add(OpKind::kInsert, 1, 100, Outcome::kOk);
  t.Add(OpKind::kInsert, 2, 50, Outcome::kUnknown);
  auto c = MakeAggregateChecker();
  ObservedState without;
  without.rows = {{1, 100}};
  without.row_count = 1;
  without.row_total = 100;
  EXPECT_EQ(Check(*c, t.h, without).validity, Validity::kValid);
  ObservedState with;
  with.rows = {{1, 100}, {2, 50}};
  with.row_count = 2;
  with.row_total = 150;
  EXPECT_EQ(Check(*c, t.h, with).validity, Validity::kValid);
}

TEST(AggregateChecker, TotalsOutOfBoundsAreInvariantViolations) {
  H t;
  t.Add(OpKind::kInsert, 1, 100, Outcome::kOk);
  t.Add(OpKind::kInsert, 2, 50, Outcome::kOk);
  auto c = MakeAggregateChecker();
  ObservedState low;  // one acknowledged order missing from count and total
  low.rows = {{1, 100}};
  low.row_count = 1;
  low.row_total = 100;
  EXPECT_EQ(Check(*c, t.h, low).Count(anomaly::kInvariant), 2u);
  ObservedState high;  // the store's own sum disagrees with its rows
  high.rows = {{1, 100}, {2, 50}};
  high.row_count = 2;
  high.row_total = 999;
  const CheckResult r = Check(*c, t.h, high);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_GE(r.Count(anomaly::kInvariant), 1u);
}

TEST(MarkerChecker, AckedMarkerMustBePresent) {
  H t;
  t.Add(OpKind::kMarker, 1, 0, Outcome::kOk);
  t.Add(OpKind::kMarker, 2, 0, Outcome::kUnknown);
  t.Add(OpKind::kMarker, 3, 0, Outcome::kFail);
  auto c = MakeMarkerChecker();
  ObservedState ok;
  ok.markers = {1};
  EXPECT_EQ(Check(*c, t.h, ok).validity, Validity::kValid);
  ObservedState missing;
  EXPECT_EQ(Check(*c, t.h, missing).Count(anomaly::kLost), 1u);
  ObservedState failed_present;
  failed_present.markers = {1, 3};
  EXPECT_EQ(Check(*c, t.h, failed_present).Count(anomaly::kPhantom), 1u);
}

TEST(BankChecker, ConservedTotalIsValid) {
  auto c = MakeBankChecker(3, 100);
  H t;
  ObservedState s;
  s.accounts = {{0, 50}, {1, 150}, {2, 100}};
  EXPECT_EQ(Check(*c, t.h, s).validity, Validity::kValid);
}

TEST(BankChecker, TornTransferBreaksTheTotal) {
  auto c = MakeBankChecker(3, 100);
  H t;
  ObservedState s;  // debit applied, credit lost
  s.accounts = {{0, 50}, {1, 100}, {2, 100}};
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kInvariant), 1u);
}

TEST(BankChecker, NegativeBalanceAndMissingAccount) {
  auto c = MakeBankChecker(3, 100);
  H t;
  ObservedState s;
  s.accounts = {{0, -10}, {1, 310}};
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.Count(anomaly::kInvariant), 1u);  // the negative balance (sum is 300)
  EXPECT_EQ(r.Count(anomaly::kLost), 1u);       // account 2
}

TEST(CounterChecker, BoundsFromOkAndUnknownIncrements) {
  H t;
  t.Add(OpKind::kIncrement, 0, 5, Outcome::kOk);
  t.Add(OpKind::kIncrement, 0, 3, Outcome::kUnknown);
  t.Add(OpKind::kIncrement, 0, 7, Outcome::kFail);
  auto c = MakeCounterChecker();
  for (int64_t v : {5, 8}) {
    ObservedState s;
    s.counters = {{0, v}};
    EXPECT_EQ(Check(*c, t.h, s).validity, Validity::kValid) << v;
  }
  ObservedState low;
  low.counters = {{0, 4}};
  EXPECT_EQ(Check(*c, t.h, low).Count(anomaly::kLost), 1u);
  ObservedState high;
  high.counters = {{0, 15}};
  EXPECT_EQ(Check(*c, t.h, high).Count(anomaly::kPhantom), 1u);
}

TEST(ListChecker, OkElementsPresentNoDuplicates) {
  H t;
  t.Add(OpKind::kAppend, 0, 1, Outcome::kOk);
  t.Add(OpKind::kAppend, 0, 2, Outcome::kOk);
  t.Add(OpKind::kAppend, 0, 3, Outcome::kUnknown);
  auto c = MakeListChecker();
  ObservedState ok;
  ok.lists = {{0, {1, 2}}};
  EXPECT_EQ(Check(*c, t.h, ok).validity, Validity::kValid);
  ObservedState lost;
  lost.lists = {{0, {1}}};
  EXPECT_EQ(Check(*c, t.h, lost).Count(anomaly::kLost), 1u);
  ObservedState dup;
  dup.lists = {{0, {1, 2, 2}}};
  EXPECT_EQ(Check(*c, t.h, dup).Count(anomaly::kInvariant), 1u);
}

TEST(IntegrityChecker, CorruptStoreIsInvalid) {
  H t;
  ObservedState s;
  s.integrity_ok = false;
  s.integrity_detail = "*** in database main *** Page 3 is never used";
  auto c = MakeIntegrityChecker();
  const CheckResult r = Check(*c, t.h, s);
  EXPECT_EQ(r.Count(anomaly::kIntegrity), 1u);
}

TEST(CheckResult, DetailsAreCappedButEveryAnomalyCounted) {
  CheckResult r;
  for (int i = 0; i < 1000; ++i) r.Add({anomaly::kLost, "x", std::nullopt});
  EXPECT_EQ(r.Count(anomaly::kLost), 1000u);
  EXPECT_EQ(r.anomalies.size(), CheckResult::kMaxDetailsPerKind);
}

TEST(CheckResult, EveryAnomalyNamingAnOpKeepsItsDetail) {
  CheckResult r;
  for (uint64_t i = 0; i < 1000; ++i) r.Add({anomaly::kLost, "x", i});
  EXPECT_EQ(r.Count(anomaly::kLost), 1000u);
  EXPECT_EQ(r.anomalies.size(), 1000u);
}

// Both key layouts of the rows checker: dense runs (blocks) and random ids (hash map).
TEST(RowsChecker, DenseAndSparseKeysFindTheSameLoss) {
  for (const bool sparse : {false, true}) {
    H t;
    Rng rng(3);
    ObservedState s;
    uint64_t lost_id = 0;
    for (int i = 0; i < 5000; ++i) {
      const int64_t key = sparse ? static_cast<int64_t>(rng.Next() >> 1) : (int64_t{1} << 40) | i;
      const uint64_t id = t.Add(OpKind::kInsert, key, i, Outcome::kOk);
      if (i == 2500)
        lost_id = id;
      else
        s.rows.emplace_back(key, i);
    }
    auto c = MakeRowsChecker();
    const CheckResult r = Check(*c, t.h, s);
    ASSERT_EQ(r.Count(anomaly::kLost), 1u) << (sparse ? "sparse" : "dense");
    EXPECT_EQ(r.anomalies[0].op_id, lost_id);
    EXPECT_EQ(r.Count(anomaly::kPhantom), 0u);
  }
}

}  // namespace
}  // namespace crashlab

// Unit tests of the checkers the PostgreSQL scenarios rely on, on hand-made observed
// states: a torn transfer must fail the bank checker; a torn summary transaction must fail
// the critical-operations invariants.
#include <gtest/gtest.h>

#include "framework/workload.h"
#include "workloads/postgres/critical_workload.h"

namespace crashlab::postgres {
namespace {

CheckResult CheckWith(Workload& w, History& h, const ObservedState& s) {
  auto checker = w.MakeChecker();
  CheckInput in{h, s, true};
  return checker->Check(in);
}

uint64_t Transfer(History& h, int64_t from, int32_t to, int64_t amount, Outcome out) {
  Op op;
  op.kind = OpKind::kTransfer;
  op.key = from;
  op.key2 = to;
  op.value = amount;
  const uint64_t i = h.Invoke(op, 1);
  h.Complete(i, out);
  return i;
}

ObservedState Accounts(std::vector<int64_t> balances) {
  ObservedState s;
  for (size_t i = 0; i < balances.size(); ++i)
    s.accounts.emplace_back(static_cast<int64_t>(i), balances[i]);
  return s;
}

TEST(BankChecker, ConservedTotalPasses) {
  auto w = MakeBankWorkload(4, 1000);
  History h;
  Transfer(h, 0, 1, 100, Outcome::kOk);
  const CheckResult r = CheckWith(*w, h, Accounts({900, 1100, 1000, 1000}));
  EXPECT_EQ(r.validity, Validity::kValid);
}

TEST(BankChecker, TornTransferFails) {
  // The debit of an acknowledged transfer survived, its credit did not: 100 vanished.
  auto w = MakeBankWorkload(4, 1000);
  History h;
  Transfer(h, 0, 1, 100, Outcome::kOk);
  const CheckResult r = CheckWith(*w, h, Accounts({900, 1000, 1000, 1000}));
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kInvariant), 1u);
  ASSERT_FALSE(r.anomalies.empty());
  EXPECT_NE(r.anomalies[0].detail.find("torn transfer"), std::string::npos)
      << r.anomalies[0].detail;
}

TEST(BankChecker, TornTransferCreatingMoneyFails) {
  // The credit survived without its debit (an in-flight transfer half applied).
  auto w = MakeBankWorkload(4, 1000);
  History h;
  Transfer(h, 2, 3, 50, Outcome::kUnknown);
  const CheckResult r = CheckWith(*w, h, Accounts({1000, 1000, 1000, 1050}));
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_EQ(r.Count(anomaly::kInvariant), 1u);
}

TEST(BankChecker, NegativeBalanceAndMissingAccountFail) {
  auto w = MakeBankWorkload(4, 1000);
  History h;
  const CheckResult neg = CheckWith(*w, h, Accounts({-10, 1010, 1000, 2000}));
  EXPECT_EQ(neg.Count(anomaly::kInvariant), 1u);
  const CheckResult missing = CheckWith(*w, h, Accounts({1000, 1000, 1000}));
  EXPECT_EQ(missing.Count(anomaly::kLost), 1u);
}

TEST(BankChecker, CorruptStoreFails) {
  auto w = MakeBankWorkload(2, 1000);
  History h;
  ObservedState s = Accounts({1000, 1000});
  s.integrity_ok = false;
  s.integrity_detail = "bt_index_check(accounts_pkey): index is corrupt";
  EXPECT_EQ(CheckWith(*w, h, s).Count(anomaly::kIntegrity), 1u);
}

// A user (worker 0) with one acknowledged summary.
struct CriticalFixture {
  History h;
  ObservedState s;
  int64_t user = UserKey(0);
  int64_t summary = SummaryKey(0, 1);
  CriticalFixture() {
    Op u;
    u.kind = OpKind::kInsert;
    u.key = user;
    u.value = 2;
    h.Complete(h.Invoke(u, 1), Outcome::kOk);
    Op sm;
    sm.kind = OpKind::kInsert;
    sm.key = summary;
    sm.value = 77;
    sm.key2 = 5;
    h.Complete(h.Invoke(sm, 1), Outcome::kOk);
    s.rows = {{user, 2}, {summary, 77}};
    s.counters = {{user, 1}};
    s.lists = {{user, {summary}}};
  }
};

TEST(CriticalChecker, ConsistentStatePasses) {
  CriticalFixture f;
  auto w = MakeCriticalWorkload();
  const CheckResult r = CheckWith(*w, f.h, f.s);
  EXPECT_EQ(r.validity, Validity::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].detail);
}

TEST(CriticalChecker, TornSummaryTransactionFails) {
  // The summary and its usage event survived, the user's counter increment did not.
  CriticalFixture f;
  f.s.counters = {{f.user, 0}};
  auto w = MakeCriticalWorkload();
  const CheckResult r = CheckWith(*w, f.h, f.s);
  EXPECT_EQ(r.validity, Validity::kInvalid);
  EXPECT_GE(r.Count(anomaly::kInvariant), 1u);
  EXPECT_EQ(r.Count(anomaly::kLost), 1u);  // below the acknowledged summaries
}

TEST(CriticalChecker, SummaryWithoutEventFails) {
  CriticalFixture f;
  f.s.lists.clear();
  f.s.counters = {{f.user, 0}};
  auto w = MakeCriticalWorkload();
  const CheckResult r = CheckWith(*w, f.h, f.s);
  EXPECT_GE(r.Count(anomaly::kInvariant), 1u);
}

TEST(CriticalChecker, EventOfFailedInsertFails) {
  CriticalFixture f;
  Op dup;  // same video as the first summary: the unique constraint rejected it
  dup.kind = OpKind::kInsert;
  dup.key = SummaryKey(0, 2);
  dup.value = 9;
  dup.key2 = 5;
  f.h.Complete(f.h.Invoke(dup, 1), Outcome::kFail);
  f.s.lists = {{f.user, {f.summary, dup.key}}};
  f.s.counters = {{f.user, 2}};
  auto w = MakeCriticalWorkload();
  const CheckResult r = CheckWith(*w, f.h, f.s);
  EXPECT_GE(r.Count(anomaly::kPhantom), 2u);  // the event, and the count above ok + unknown
}

TEST(CriticalChecker, DuplicateUniqueKeysFail) {
  CriticalFixture f;
  Op second;  // same (user, video) reported unknown, yet present next to the first
  second.kind = OpKind::kInsert;
  second.key = SummaryKey(0, 2);
  second.value = 9;
  second.key2 = 5;
  f.h.Complete(f.h.Invoke(second, 1), Outcome::kUnknown);
  f.s.rows.push_back({second.key, 9});
  f.s.lists = {{f.user, {f.summary, second.key}}};
  f.s.counters = {{f.user, 2}};
  Op l1, l2;
  l1.kind = l2.kind = OpKind::kInsert;
  l1.key = LinkKey(0, 1);
  l2.key = LinkKey(0, 2);
  l1.value = l2.value = 42;
  f.h.Complete(f.h.Invoke(l1, 1), Outcome::kOk);
  f.h.Complete(f.h.Invoke(l2, 1), Outcome::kUnknown);
  f.s.rows.push_back({l1.key, 42});
  f.s.rows.push_back({l2.key, 42});
  auto w = MakeCriticalWorkload();
  const CheckResult r = CheckWith(*w, f.h, f.s);
  EXPECT_EQ(r.Count(anomaly::kInvariant), 2u);  // video 5 twice, slug s42 twice
}

}  // namespace
}  // namespace crashlab::postgres

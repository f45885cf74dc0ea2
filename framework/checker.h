// Checkers: compare what the history says was acknowledged with what survived.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/history.h"
#include "framework/target.h"

namespace crashlab {

enum class Validity { kValid, kInvalid, kUnknown };
std::string_view ToString(Validity v);
// Invalid beats unknown beats valid.
Validity Combine(Validity a, Validity b);

// Anomaly kinds the report counts. More may be added; these are always present.
namespace anomaly {
inline constexpr const char* kLost = "lost";                    // an ok op's effect is missing
inline constexpr const char* kPhantom = "phantom";              // present but never ok/unknown
inline constexpr const char* kInvariant = "invariant";          // count/total/balance bounds broken
inline constexpr const char* kIntegrity = "integrity";          // the store says it is corrupt
inline constexpr const char* kUnrecoverable = "unrecoverable";  // did not come back
}  // namespace anomaly

struct Anomaly {
  std::string kind;
  std::string detail;             // one line a human can act on, naming the op
  std::optional<uint64_t> op_id;  // the op concerned, if any
  uint32_t cycle = 0;             // the cycle whose check found it (set by the runner)
};

struct CheckResult {
  // At most this many anomalies of one kind that name no op keep their detail; all are
  // counted, and every anomaly naming an op is kept.
  static constexpr size_t kMaxDetailsPerKind = 100;

  Validity validity = Validity::kValid;
  std::vector<Anomaly> anomalies;          // details (see kMaxDetailsPerKind)
  std::map<std::string, uint64_t> counts;  // every anomaly, by kind
  std::map<std::string, double> stats;     // e.g. "unknown_present": 3

  void Add(Anomaly a);
  void Merge(CheckResult other);
  uint64_t Count(const std::string& kind) const;
};

// What a checker sees: the whole history so far and the state read after recovery.
// `resolve` lets a checker record what it learned about unknown ops (Entry::resolved),
// so an in-flight write that survived recovery k must still be there after recovery k+1.
struct CheckInput {
  History& history;
  const ObservedState& state;
  bool resolve = true;
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string Name() const = 0;
  virtual CheckResult Check(CheckInput& in) = 0;
};

// The effective outcome of an entry: what it completed with, or what a previous check
// resolved an unknown to.
inline Outcome Effective(const Entry& e) {
  return e.outcome == Outcome::kUnknown && e.resolved != Outcome::kPending ? e.resolved : e.outcome;
}

// Rows (insert/update/delete; one writer per key): every key holds the value of its
// last ok op, or of an unknown op after it; a deleted key is absent; a key with no ok op
// is absent or holds an unknown op's value; fail ops never show; nothing else exists.
std::unique_ptr<Checker> MakeRowsChecker();
// Count and total the store reports: within [ok, ok + unknown] of inserts (and equal to
// what `rows` holds). Amounts must be non-negative.
std::unique_ptr<Checker> MakeAggregateChecker();
// Markers: every ok marker present, no fail marker, no marker never invoked.
std::unique_ptr<Checker> MakeMarkerChecker();
// Accounts: balances sum to accounts * initial_balance, none negative, all present.
std::unique_ptr<Checker> MakeBankChecker(int32_t accounts, int64_t initial_balance);
// Counters: each within [sum of ok increments, sum of ok + unknown increments]
// (increments are positive).
std::unique_ptr<Checker> MakeCounterChecker();
// Lists: every ok element present, no fail or never-invoked element, no duplicates.
std::unique_ptr<Checker> MakeListChecker();
// Store integrity: ObservedState::integrity_ok.
std::unique_ptr<Checker> MakeIntegrityChecker();

// Runs several checkers and merges their results.
class CompositeChecker : public Checker {
 public:
  explicit CompositeChecker(std::vector<std::unique_ptr<Checker>> checkers)
      : checkers_(std::move(checkers)) {}
  std::string Name() const override { return "composite"; }
  CheckResult Check(CheckInput& in) override;

 private:
  std::vector<std::unique_ptr<Checker>> checkers_;
};

}  // namespace crashlab

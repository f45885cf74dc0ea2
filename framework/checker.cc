// The generic checkers: rows, aggregates, markers, bank, counters, lists, integrity.
#include "framework/checker.h"

#include <algorithm>
#include <set>
#include <string>
#include <unordered_map>

#include "framework/flat_map.h"

namespace crashlab {

std::string_view ToString(Validity v) {
  switch (v) {
    case Validity::kValid:
      return "valid";
    case Validity::kInvalid:
      return "invalid";
    case Validity::kUnknown:
      return "unknown";
  }
  return "?";
}

Validity Combine(Validity a, Validity b) {
  if (a == Validity::kInvalid || b == Validity::kInvalid) return Validity::kInvalid;
  if (a == Validity::kUnknown || b == Validity::kUnknown) return Validity::kUnknown;
  return Validity::kValid;
}

void CheckResult::Add(Anomaly a) {
  validity = Validity::kInvalid;
  // An anomaly naming an op is always kept: the report's anomalies.jsonl and loss
  // timeline need every lost and phantom op.
  if (counts[a.kind]++ < kMaxDetailsPerKind || a.op_id) anomalies.push_back(std::move(a));
}

void CheckResult::Merge(CheckResult other) {
  validity = Combine(validity, other.validity);
  for (auto& a : other.anomalies) anomalies.push_back(std::move(a));
  for (const auto& [k, n] : other.counts) counts[k] += n;
  for (const auto& [k, v] : other.stats) stats[k] += v;
}

uint64_t CheckResult::Count(const std::string& kind) const {
  auto it = counts.find(kind);
  return it == counts.end() ? 0 : it->second;
}

CheckResult CompositeChecker::Check(CheckInput& in) {
  CheckResult r;
  for (auto& c : checkers_) r.Merge(c->Check(in));
  return r;
}

namespace {

std::string OpName(const Entry& e) {
  return "op " + std::to_string(e.op.id) + " (" + std::string(ToString(e.op.kind)) + " key " +
         std::to_string(e.op.key) + " value " + std::to_string(e.op.value) + ", worker " +
         std::to_string(e.op.worker) + ", cycle " + std::to_string(e.cycle) + ", " +
         std::string(ToString(e.outcome)) + ")";
}

bool IsRowOp(OpKind k) {
  return k == OpKind::kInsert || k == OpKind::kUpdate || k == OpKind::kDelete;
}

// The rows checker's per-key model: the last ok op, and the unknown ops after it.
struct Candidate {
  uint64_t entry;
  int32_t next;
};
struct KeyState {
  uint64_t last_ok = 0;     // entry index of the last ok op (valid iff has_ok)
  int32_t candidates = -1;  // head of the list of unknown ops after last_ok
  uint16_t ops = 0;         // ops seen for the key (saturating)
  bool has_ok = false;
  bool seen = false;  // present in the observed state
};

// Where the rows checker keeps its per-key state. Workload keys are usually dense runs
// ((worker + 1) << 40 | sequence), so keys are grouped in blocks of 64 Ki and a block's
// states sit in one array: a key costs one cached block lookup and no hashing. Sparse
// keys (random ids) fall back to an open-addressing map.
class KeyIndex {
 public:
  static constexpr int kBlockBits = 16;
  static constexpr int64_t kBlockSize = int64_t{1} << kBlockBits;

  KeyIndex(const History& h, uint64_t n) {
    FlatMap<uint32_t> blocks(64);
    int64_t last = INT64_MIN;
    uint64_t keys = 0;
    for (uint64_t i = 0; i < n; ++i) {
      const Entry& e = h[i];
      if (!IsRowOp(e.op.kind)) continue;
      ++keys;
      const int64_t b = e.op.key >> kBlockBits;
      if (b == last) continue;
      last = b;
      bool inserted = false;
      uint32_t& slot = blocks.FindOrInsert(b, &inserted);
      if (inserted) {
        slot = static_cast<uint32_t>(block_ids_.size());
        block_ids_.push_back(b);
      }
      if (block_ids_.size() * kBlockSize > 4 * keys + 16 * kBlockSize) break;  // too sparse
    }
    // Dense only where it pays: blocks at least a quarter full, and enough keys that a
    // block's 1 MiB is worth allocating (small histories hash faster).
    dense_ = keys >= kBlockSize && block_ids_.size() * kBlockSize <= 4 * keys;
    if (dense_) {
      blocks_ = std::move(blocks);
      states_.resize(block_ids_.size() * kBlockSize);
    } else {
      block_ids_.clear();
      sparse_ = FlatMap<KeyState>(keys + 16);
    }
  }

  KeyState& Insert(int64_t key) {
    if (!dense_) return sparse_.FindOrInsert(key);
    return states_[Block(key) * kBlockSize + (key & (kBlockSize - 1))];
  }
  // nullptr if the key was never written.
  KeyState* Find(int64_t key) {
    if (!dense_) return sparse_.Find(key);
    uint32_t* b = blocks_.Find(key >> kBlockBits);
    if (b == nullptr) return nullptr;
    KeyState& k = states_[*b * kBlockSize + (key & (kBlockSize - 1))];
    return k.ops == 0 ? nullptr : &k;
  }
  template <typename F>
  void ForEach(F&& f) {
    if (!dense_) {
      sparse_.ForEach(f);
      return;
    }
    for (size_t b = 0; b < block_ids_.size(); ++b) {
      for (int64_t o = 0; o < kBlockSize; ++o) {
        KeyState& k = states_[b * kBlockSize + o];
        if (k.ops != 0) f((block_ids_[b] << kBlockBits) | o, k);
      }
    }
  }

 private:
  size_t Block(int64_t key) {
    const int64_t b = key >> kBlockBits;
    if (b != last_block_) {
      last_block_ = b;
      last_index_ = *blocks_.Find(b);
    }
    return last_index_;
  }
  bool dense_ = false;
  FlatMap<uint32_t> blocks_{16};
  std::vector<int64_t> block_ids_;
  std::vector<KeyState> states_;
  FlatMap<KeyState> sparse_{16};
  int64_t last_block_ = INT64_MIN;
  size_t last_index_ = 0;
};

class RowsChecker : public Checker {
 public:
  std::string Name() const override { return "rows"; }
  CheckResult Check(CheckInput& in) override {
    History& h = in.history;
    const uint64_t n = h.Size();
    KeyIndex keys(h, n);
    std::vector<Candidate> cands;
    for (uint64_t i = 0; i < n; ++i) {
      const Entry& e = h[i];
      if (!IsRowOp(e.op.kind)) continue;
      KeyState& k = keys.Insert(e.op.key);
      if (k.ops < UINT16_MAX) ++k.ops;
      switch (Effective(e)) {
        case Outcome::kOk:
          k.has_ok = true;
          k.last_ok = i;
          k.candidates = -1;
          break;
        case Outcome::kFail:
          break;
        default:  // unknown or pending
          cands.push_back({i, k.candidates});
          k.candidates = static_cast<int32_t>(cands.size() - 1);
      }
    }
    CheckResult r;
    uint64_t unknown_present = 0, unknown_absent = 0;
    for (const auto& [key, value] : in.state.rows) {
      KeyState* k = keys.Find(key);
      if (k == nullptr) {
        r.Add({anomaly::kPhantom,
               "row key " + std::to_string(key) + " value " + std::to_string(value) +
                   " was never written",
               std::nullopt});
        continue;
      }
      if (k->seen) {
        r.Add({anomaly::kInvariant, "row key " + std::to_string(key) + " appears twice",
               std::nullopt});
        continue;
      }
      k->seen = true;
      bool allowed = false;
      if (k->has_ok) {
        const Entry& ok = h[k->last_ok];
        allowed = ok.op.kind != OpKind::kDelete && ok.op.value == value;
      }
      for (int32_t c = k->candidates; c >= 0 && !allowed; c = cands[c].next) {
        const Entry& u = h[cands[c].entry];
        if (u.op.kind != OpKind::kDelete && u.op.value == value) {
          allowed = true;
          ++unknown_present;
          if (in.resolve && k->ops == 1) h[cands[c].entry].resolved = Outcome::kOk;
        }
      }
      if (allowed) continue;
      if (k->has_ok) {
        const Entry& ok = h[k->last_ok];
        r.Add({anomaly::kLost,
               "acknowledged " + OpName(ok) + " lost: row holds value " + std::to_string(value),
               ok.op.id});
      } else {
        r.Add({anomaly::kPhantom,
               "row key " + std::to_string(key) + " holds value " + std::to_string(value) +
                   " that no ok or unknown op wrote (failed ops must be absent)",
               std::nullopt});
      }
    }
    keys.ForEach([&](int64_t key, KeyState& k) {
      if (k.seen) return;
      bool absent_allowed = !k.has_ok || h[k.last_ok].op.kind == OpKind::kDelete;
      for (int32_t c = k.candidates; c >= 0; c = cands[c].next) {
        const Entry& u = h[cands[c].entry];
        if (u.op.kind == OpKind::kDelete) absent_allowed = true;
        if (!k.has_ok && k.ops == 1 && u.op.kind == OpKind::kInsert) {
          ++unknown_absent;
          if (in.resolve) h[cands[c].entry].resolved = Outcome::kFail;
        }
      }
      if (!absent_allowed) {
        r.Add({anomaly::kLost, "acknowledged " + OpName(h[k.last_ok]) + " lost: row is absent",
               h[k.last_ok].op.id});
      }
    });
    r.stats["unknown_present"] += static_cast<double>(unknown_present);
    r.stats["unknown_absent"] += static_cast<double>(unknown_absent);
    r.stats["rows_checked"] += static_cast<double>(in.state.rows.size());
    return r;
  }
};

class AggregateChecker : public Checker {
 public:
  std::string Name() const override { return "aggregate"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    const History& h = in.history;
    int64_t ok_count = 0, unknown_count = 0, ok_total = 0, unknown_total = 0;
    const uint64_t n = h.Size();
    for (uint64_t i = 0; i < n; ++i) {
      const Entry& e = h[i];
      if (e.op.kind != OpKind::kInsert) continue;
      const Outcome o = Effective(e);
      if (o == Outcome::kOk) {
        ++ok_count;
        ok_total += e.op.value;
      } else if (o != Outcome::kFail) {
        ++unknown_count;
        unknown_total += e.op.value;
      }
    }
    const auto& s = in.state;
    const int64_t rows_count = static_cast<int64_t>(s.rows.size());
    int64_t rows_total = 0;
    for (const auto& [k, v] : s.rows) rows_total += v;
    const int64_t count = s.row_count.value_or(rows_count);
    const int64_t total = s.row_total.value_or(rows_total);
    const auto bounds = [](int64_t lo, int64_t hi) {
      return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    };
    if (count < ok_count || count > ok_count + unknown_count) {
      r.Add({anomaly::kInvariant,
             "row count " + std::to_string(count) + " outside " +
                 bounds(ok_count, ok_count + unknown_count) + " allowed by the history",
             std::nullopt});
    }
    if (total < ok_total || total > ok_total + unknown_total) {
      r.Add({anomaly::kInvariant,
             "total " + std::to_string(total) + " outside " +
                 bounds(ok_total, ok_total + unknown_total) + " allowed by the history",
             std::nullopt});
    }
    if (count != rows_count || total != rows_total) {
      r.Add({anomaly::kInvariant,
             "store's own count/total (" + std::to_string(count) + ", " + std::to_string(total) +
                 ") disagree with the rows it returns (" + std::to_string(rows_count) + ", " +
                 std::to_string(rows_total) + ")",
             std::nullopt});
    }
    r.stats["count"] = static_cast<double>(count);
    r.stats["total"] = static_cast<double>(total);
    return r;
  }
};

class MarkerChecker : public Checker {
 public:
  std::string Name() const override { return "markers"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    History& h = in.history;
    std::unordered_map<int64_t, uint64_t> invoked;  // marker key -> entry index
    const uint64_t n = h.Size();
    for (uint64_t i = 0; i < n; ++i) {
      if (h[i].op.kind == OpKind::kMarker) invoked[h[i].op.key] = i;
    }
    std::set<int64_t> present(in.state.markers.begin(), in.state.markers.end());
    for (int64_t m : present) {
      auto it = invoked.find(m);
      if (it == invoked.end()) {
        r.Add({anomaly::kPhantom, "marker " + std::to_string(m) + " was never written",
               std::nullopt});
      } else if (Effective(h[it->second]) == Outcome::kFail) {
        r.Add({anomaly::kPhantom, "failed " + OpName(h[it->second]) + " is present",
               h[it->second].op.id});
      } else if (in.resolve && h[it->second].outcome == Outcome::kUnknown) {
        h[it->second].resolved = Outcome::kOk;
      }
    }
    for (const auto& [m, i] : invoked) {
      if (present.count(m)) continue;
      const Outcome o = Effective(h[i]);
      if (o == Outcome::kOk) {
        r.Add({anomaly::kLost, "acknowledged marker " + OpName(h[i]) + " is missing", h[i].op.id});
      } else if (in.resolve && o == Outcome::kUnknown) {
        h[i].resolved = Outcome::kFail;
      }
    }
    r.stats["markers"] = static_cast<double>(present.size());
    return r;
  }
};

class BankChecker : public Checker {
 public:
  BankChecker(int32_t accounts, int64_t initial) : accounts_(accounts), initial_(initial) {}
  std::string Name() const override { return "bank"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    int64_t sum = 0;
    std::set<int64_t> seen;
    for (const auto& [acct, bal] : in.state.accounts) {
      sum += bal;
      seen.insert(acct);
      if (bal < 0) {
        r.Add({anomaly::kInvariant,
               "account " + std::to_string(acct) + " has negative balance " + std::to_string(bal),
               std::nullopt});
      }
      if (acct < 0 || acct >= accounts_) {
        r.Add({anomaly::kPhantom, "account " + std::to_string(acct) + " was never created",
               std::nullopt});
      }
    }
    if (static_cast<int32_t>(seen.size()) != accounts_) {
      r.Add({anomaly::kLost,
             std::to_string(accounts_ - static_cast<int32_t>(seen.size())) + " of " +
                 std::to_string(accounts_) + " accounts are missing",
             std::nullopt});
    }
    const int64_t expected = int64_t{accounts_} * initial_;
    if (sum != expected) {
      r.Add({anomaly::kInvariant,
             "bank total " + std::to_string(sum) + " != " + std::to_string(expected) +
                 " (money created or destroyed: a torn transfer)",
             std::nullopt});
    }
    r.stats["bank_total"] = static_cast<double>(sum);
    return r;
  }

 private:
  int32_t accounts_;
  int64_t initial_;
};

class CounterChecker : public Checker {
 public:
  std::string Name() const override { return "counters"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    const History& h = in.history;
    std::map<int64_t, std::pair<int64_t, int64_t>> bounds;  // counter -> [ok, ok+unknown]
    const uint64_t n = h.Size();
    for (uint64_t i = 0; i < n; ++i) {
      const Entry& e = h[i];
      if (e.op.kind != OpKind::kIncrement) continue;
      auto& b = bounds[e.op.key];
      const Outcome o = Effective(e);
      if (o == Outcome::kOk) {
        b.first += e.op.value;
        b.second += e.op.value;
      } else if (o != Outcome::kFail) {
        b.second += e.op.value;
      }
    }
    std::map<int64_t, int64_t> observed(in.state.counters.begin(), in.state.counters.end());
    for (const auto& [c, v] : observed) {
      if (!bounds.count(c)) {
        r.Add({anomaly::kPhantom, "counter " + std::to_string(c) + " was never incremented",
               std::nullopt});
      }
    }
    for (const auto& [c, b] : bounds) {
      auto it = observed.find(c);
      const int64_t v = it == observed.end() ? 0 : it->second;
      if (v < b.first) {
        r.Add({anomaly::kLost,
               "counter " + std::to_string(c) + " = " + std::to_string(v) +
                   " but acknowledged increments sum to " + std::to_string(b.first) + " (" +
                   std::to_string(b.first - v) + " lost)",
               std::nullopt});
      } else if (v > b.second) {
        r.Add({anomaly::kPhantom,
               "counter " + std::to_string(c) + " = " + std::to_string(v) +
                   " exceeds ok+unknown increments " + std::to_string(b.second),
               std::nullopt});
      }
    }
    return r;
  }
};

class ListChecker : public Checker {
 public:
  std::string Name() const override { return "lists"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    History& h = in.history;
    std::map<int64_t, std::unordered_map<int64_t, uint64_t>> appended;  // list -> element -> entry
    const uint64_t n = h.Size();
    for (uint64_t i = 0; i < n; ++i) {
      if (h[i].op.kind == OpKind::kAppend) appended[h[i].op.key][h[i].op.value] = i;
    }
    std::map<int64_t, std::set<int64_t>> present;
    for (const auto& [list, elems] : in.state.lists) {
      auto& p = present[list];
      for (int64_t v : elems) {
        if (!p.insert(v).second) {
          r.Add({anomaly::kInvariant,
                 "list " + std::to_string(list) + " holds element " + std::to_string(v) + " twice",
                 std::nullopt});
          continue;
        }
        auto lit = appended.find(list);
        auto eit = lit == appended.end() ? decltype(lit->second.end()){} : lit->second.find(v);
        if (lit == appended.end() || eit == lit->second.end()) {
          r.Add({anomaly::kPhantom,
                 "list " + std::to_string(list) + " element " + std::to_string(v) +
                     " was never appended",
                 std::nullopt});
        } else if (Effective(h[eit->second]) == Outcome::kFail) {
          r.Add({anomaly::kPhantom, "failed " + OpName(h[eit->second]) + " is present",
                 h[eit->second].op.id});
        } else if (in.resolve && h[eit->second].outcome == Outcome::kUnknown) {
          h[eit->second].resolved = Outcome::kOk;
        }
      }
    }
    for (const auto& [list, elems] : appended) {
      const auto& p = present[list];
      for (const auto& [v, i] : elems) {
        if (p.count(v)) continue;
        const Outcome o = Effective(h[i]);
        if (o == Outcome::kOk) {
          r.Add({anomaly::kLost, "acknowledged " + OpName(h[i]) + " is missing from the list",
                 h[i].op.id});
        } else if (in.resolve && o == Outcome::kUnknown) {
          h[i].resolved = Outcome::kFail;
        }
      }
    }
    return r;
  }
};

class IntegrityChecker : public Checker {
 public:
  std::string Name() const override { return "integrity"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    if (!in.state.integrity_ok) {
      r.Add({anomaly::kIntegrity, "store integrity check failed: " + in.state.integrity_detail,
             std::nullopt});
    }
    return r;
  }
};

}  // namespace

std::unique_ptr<Checker> MakeRowsChecker() { return std::make_unique<RowsChecker>(); }
std::unique_ptr<Checker> MakeAggregateChecker() { return std::make_unique<AggregateChecker>(); }
std::unique_ptr<Checker> MakeMarkerChecker() { return std::make_unique<MarkerChecker>(); }
std::unique_ptr<Checker> MakeBankChecker(int32_t accounts, int64_t initial_balance) {
  return std::make_unique<BankChecker>(accounts, initial_balance);
}
std::unique_ptr<Checker> MakeCounterChecker() { return std::make_unique<CounterChecker>(); }
std::unique_ptr<Checker> MakeListChecker() { return std::make_unique<ListChecker>(); }
std::unique_ptr<Checker> MakeIntegrityChecker() { return std::make_unique<IntegrityChecker>(); }

}  // namespace crashlab

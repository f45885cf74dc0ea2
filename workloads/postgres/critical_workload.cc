// The critical-operations mix of seed 002 and the invariants that tie its tables together.
#include "workloads/postgres/critical_workload.h"

#include <map>
#include <set>
#include <unordered_map>
#include <vector>

namespace crashlab::postgres {
namespace {

class CriticalGenerator : public OpGenerator {
 public:
  CriticalGenerator(int worker, uint64_t seed, int32_t videos, int32_t slugs)
      : worker_(worker), rng_(seed), videos_(videos), slugs_(slugs) {}
  void BeginCycle(uint32_t) override { user_due_ = true; }
  std::optional<Op> Next() override {
    Op op;
    op.worker = static_cast<uint16_t>(worker_);
    if (user_due_) {
      // Upsert of the worker's user first: it may not exist yet (a crash took it) and
      // summaries and links reference it.
      user_due_ = false;
      op.kind = OpKind::kInsert;
      op.key = UserKey(worker_);
      op.value = rng_.Uniform(1, 3);
      return op;
    }
    const int64_t dice = rng_.Uniform(0, 99);
    if (dice < 30 || (dice < 56 && live_.empty())) {
      op.kind = OpKind::kInsert;
      op.key = SummaryKey(worker_, ++summary_seq_);
      op.value = rng_.Uniform(1, 1'000'000);
      op.key2 = static_cast<int32_t>(rng_.Uniform(0, videos_ - 1));
      live_.push_back(op.key);
      if (live_.size() > 256) live_.erase(live_.begin());
    } else if (dice < 48) {
      op.kind = OpKind::kUpdate;
      op.key = live_[static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(live_.size()) - 1))];
      op.value = rng_.Uniform(1, 1'000'000);
    } else if (dice < 56) {
      op.kind = OpKind::kDelete;
      const size_t i = static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(live_.size()) - 1));
      op.key = live_[i];
      live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (dice < 66) {
      op.kind = OpKind::kInsert;
      op.key = LinkKey(worker_, ++link_seq_);
      op.value = rng_.Uniform(0, slugs_ - 1);
    } else if (dice < 76) {
      op.kind = OpKind::kUpdate;
      op.key = UserKey(worker_);
      op.value = rng_.Uniform(1, 3);
    } else {
      op.kind = OpKind::kRead;
      const bool by_slug = dice < 88;
      op.key = by_slug ? LinkKey(worker_, 0) : UserKey(worker_);
      op.value = by_slug ? rng_.Uniform(0, slugs_ - 1) : 0;
    }
    return op;
  }

 private:
  int worker_;
  Rng rng_;
  int32_t videos_, slugs_;
  bool user_due_ = false;
  uint64_t summary_seq_ = 0, link_seq_ = 0;
  std::vector<int64_t> live_;  // summaries this worker inserted and did not delete
};

class CriticalInvariantChecker : public Checker {
 public:
  std::string Name() const override { return "critical-invariants"; }
  CheckResult Check(CheckInput& in) override {
    CheckResult r;
    const History& h = in.history;
    struct Bounds {
      int64_t ok = 0, maybe = 0;
    };
    std::map<int64_t, Bounds> usage;                   // user -> summary inserts
    std::unordered_map<int64_t, uint64_t> summary_op;  // summary key -> insert entry
    for (uint64_t i = 0; i < h.Size(); ++i) {
      const Entry& e = h[i];
      if (e.op.kind != OpKind::kInsert || TableOf(e.op.key) != Table::kSummary) continue;
      summary_op[e.op.key] = i;
      const Outcome o = Effective(e);
      auto& b = usage[UserKey(e.op.worker)];
      if (o == Outcome::kOk) ++b.ok;
      if (o != Outcome::kFail) ++b.maybe;
    }
    const auto& s = in.state;
    std::set<int64_t> users;
    std::set<std::pair<int64_t, int32_t>> user_videos;
    std::map<int64_t, int64_t> slugs;  // slug -> link key
    std::vector<int64_t> summaries;
    for (const auto& [key, value] : s.rows) {
      if (TableOf(key) == Table::kUser) users.insert(key);
    }
    for (const auto& [key, value] : s.rows) {
      if (TableOf(key) == Table::kLink) {
        if (!users.count(UserKey(static_cast<int>((key >> 40) & 0xffff)))) {
          r.Add({anomaly::kInvariant,
                 "share link " + std::to_string(key) + " references a missing user", std::nullopt});
        }
        auto [it, fresh] = slugs.emplace(value, key);
        if (!fresh) {
          r.Add({anomaly::kInvariant,
                 "slug s" + std::to_string(value) + " held by links " + std::to_string(it->second) +
                     " and " + std::to_string(key) + " (unique constraint broken)",
                 std::nullopt});
        }
      } else if (TableOf(key) == Table::kSummary) {
        summaries.push_back(key);
      }
    }
    std::map<int64_t, std::set<int64_t>> events;
    for (const auto& [user, list] : s.lists) {
      auto& ev = events[user];
      for (int64_t sid : list) {
        if (!ev.insert(sid).second) {
          r.Add({anomaly::kInvariant, "summary " + std::to_string(sid) + " has two usage events",
                 std::nullopt});
        }
        auto it = summary_op.find(sid);
        if (it == summary_op.end() || UserKey(h[it->second].op.worker) != user) {
          r.Add({anomaly::kPhantom,
                 "usage event of user " + std::to_string(user) + " for summary " +
                     std::to_string(sid) + " that user never inserted",
                 std::nullopt});
        } else if (Effective(h[it->second]) == Outcome::kFail) {
          r.Add({anomaly::kPhantom,
                 "usage event for summary " + std::to_string(sid) +
                     " whose insert failed (a torn transaction)",
                 h[it->second].op.id});
        }
      }
    }
    for (int64_t key : summaries) {
      auto it = summary_op.find(key);
      if (it == summary_op.end()) continue;  // the rows checker reports it as a phantom
      const Op& op = h[it->second].op;
      const int64_t user = UserKey(op.worker);
      if (!users.count(user)) {
        r.Add({anomaly::kInvariant, "summary " + std::to_string(key) + " references a missing user",
               op.id});
      }
      if (!user_videos.insert({user, op.key2}).second) {
        r.Add({anomaly::kInvariant,
               "user " + std::to_string(user) + " has two summaries of video " +
                   std::to_string(op.key2) + " (unique constraint broken)",
               op.id});
      }
      if (!events[user].count(key)) {
        r.Add({anomaly::kInvariant,
               "summary " + std::to_string(key) +
                   " survived without its usage event (a torn transaction)",
               op.id});
      }
    }
    for (const auto& [user, count] : s.counters) {
      const size_t n = events[user].size();
      if (static_cast<size_t>(count) != n) {
        r.Add({anomaly::kInvariant,
               "user " + std::to_string(user) + " usage_count " + std::to_string(count) + " but " +
                   std::to_string(n) + " usage events (a torn transaction)",
               std::nullopt});
      }
      const Bounds b = usage.count(user) ? usage[user] : Bounds{};
      if (count < b.ok) {
        r.Add({anomaly::kLost,
               "user " + std::to_string(user) + " usage_count " + std::to_string(count) +
                   " below its " + std::to_string(b.ok) + " acknowledged summaries",
               std::nullopt});
      } else if (count > b.maybe) {
        r.Add({anomaly::kPhantom,
               "user " + std::to_string(user) + " usage_count " + std::to_string(count) +
                   " above its " + std::to_string(b.maybe) + " ok + unknown summaries",
               std::nullopt});
      }
    }
    r.stats["critical_summaries"] = static_cast<double>(summaries.size());
    r.stats["critical_links"] = static_cast<double>(slugs.size());
    return r;
  }
};

class CriticalWorkload : public Workload {
 public:
  CriticalWorkload(int32_t videos, int32_t slugs) : videos_(videos), slugs_(slugs) {}
  std::string Name() const override { return "critical"; }
  std::unique_ptr<OpGenerator> Generator(int worker, uint64_t seed) override {
    return std::make_unique<CriticalGenerator>(worker, seed, videos_, slugs_);
  }
  std::unique_ptr<Checker> MakeChecker() const override {
    std::vector<std::unique_ptr<Checker>> c;
    c.push_back(MakeRowsChecker());  // first: it resolves unknown ops the others rely on
    c.push_back(MakeCriticalInvariantChecker());
    c.push_back(MakeIntegrityChecker());
    return std::make_unique<CompositeChecker>(std::move(c));
  }

 private:
  int32_t videos_, slugs_;
};

}  // namespace

std::unique_ptr<Workload> MakeCriticalWorkload(int32_t videos, int32_t slugs) {
  return std::make_unique<CriticalWorkload>(videos, slugs);
}
std::unique_ptr<Checker> MakeCriticalInvariantChecker() {
  return std::make_unique<CriticalInvariantChecker>();
}

}  // namespace crashlab::postgres

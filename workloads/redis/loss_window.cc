// The loss-window checker: which acknowledged ops are missing, and how long before the
// fault they were acknowledged.
#include "workloads/redis/loss_window.h"

#include <time.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace crashlab::redis {

namespace {

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

class InstantRecordingFault : public FaultWrapper {
 public:
  InstantRecordingFault(std::unique_ptr<Fault> inner, std::shared_ptr<FaultClock> clock)
      : FaultWrapper(std::move(inner)), clock_(std::move(clock)) {}
  void BeginCycle(Target& t, uint32_t cycle, std::function<void()> fire) override {
    marked_at_trigger_ = false;
    FaultWrapper::BeginCycle(t, cycle, std::move(fire));
  }
  // An op-based trigger's acknowledgement is the fault's instant (a power cut freezes
  // its storage there), not the later Inject.
  void AtTrigger(Target& t) override {
    clock_->Mark();
    marked_at_trigger_ = true;
    FaultWrapper::AtTrigger(t);
  }
  FaultEvent Inject(Target& t, Rng& rng) override {
    if (!marked_at_trigger_.exchange(false)) clock_->Mark();
    return FaultWrapper::Inject(t, rng);
  }

 private:
  std::shared_ptr<FaultClock> clock_;
  std::atomic<bool> marked_at_trigger_{false};
};

std::string Describe(const Entry& e) {
  std::string s = "op " + std::to_string(e.op.id) + " (" + std::string(ToString(e.op.kind)) +
                  " key " + std::to_string(e.op.key);
  if (e.op.kind != OpKind::kMarker) s += " value " + std::to_string(e.op.value);
  return s + ", worker " + std::to_string(e.op.worker) + ", cycle " + std::to_string(e.cycle) + ")";
}

bool IsRowOp(OpKind k) {
  return k == OpKind::kInsert || k == OpKind::kUpdate || k == OpKind::kDelete;
}

class LossWindowChecker : public Checker {
 public:
  LossWindowChecker(std::unique_ptr<Checker> inner, double bound_ms, FaultInstantFn instant)
      : inner_(std::move(inner)), bound_ms_(bound_ms), instant_(std::move(instant)) {}
  std::string Name() const override { return "loss-window"; }

  CheckResult Check(CheckInput& in) override {
    CheckResult inner = inner_ ? inner_->Check(in) : CheckResult{};
    // Everything the inner checkers found except losses: those are judged here.
    CheckResult r;
    r.stats = std::move(inner.stats);
    for (auto& a : inner.anomalies) {
      if (a.kind != anomaly::kLost) r.anomalies.push_back(std::move(a));
    }
    for (const auto& [kind, n] : inner.counts) {
      if (kind != anomaly::kLost && n > 0) r.counts[kind] = n;
    }
    r.validity = !r.counts.empty()                      ? Validity::kInvalid
                 : inner.validity == Validity::kUnknown ? Validity::kUnknown
                                                        : Validity::kValid;

    History& h = in.history;
    bool estimated = false;
    std::optional<int64_t> fault_ns = instant_ ? instant_(h) : std::nullopt;
    if (!fault_ns) {
      fault_ns = EstimateInstant(h);
      estimated = true;
    }
    std::vector<uint64_t> lost = FindLost(in);
    double window_ms = 0;
    uint64_t within = 0, beyond = 0;
    for (uint64_t i : lost) {
      const double age_ms = static_cast<double>(*fault_ns - h[i].complete_ns) / 1e6;
      window_ms = std::max(window_ms, age_ms);
      if (age_ms <= bound_ms_) {
        ++within;
      } else {
        ++beyond;
        r.Add({anomaly::kLost,
               "acknowledged " + Describe(h[i]) + " lost: acknowledged " + Ms(age_ms) +
                   " ms before the fault, beyond the " + Ms(bound_ms_) + " ms loss window",
               h[i].op.id});
      }
      if (in.resolve) forgiven_.insert(i);
    }
    r.stats[loss_window::kWindowMs] = window_ms;
    r.stats[loss_window::kLostInWindow] = static_cast<double>(within);
    r.stats[loss_window::kLostBeyond] = static_cast<double>(beyond);
    r.stats[loss_window::kBoundMs] = bound_ms_;
    r.stats[loss_window::kEstimated] = estimated ? 1 : 0;
    return r;
  }

 private:
  static std::string Ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ms);
    return buf;
  }

  // The last acknowledgement of the latest cycle: no ack can follow a SIGKILL, and a
  // power cut demotes later ones, so the fault came at or after it.
  static int64_t EstimateInstant(const History& h) {
    const uint64_t n = h.Size();
    uint16_t cycle = 0;
    for (uint64_t i = 0; i < n; ++i) cycle = std::max(cycle, h[i].cycle);
    int64_t last_ack = -1, last_invoke = 0;
    for (uint64_t i = 0; i < n; ++i) {
      const Entry& e = h[i];
      if (e.cycle != cycle) continue;
      last_invoke = std::max(last_invoke, e.invoke_ns);
      if (e.outcome == Outcome::kOk) last_ack = std::max(last_ack, e.complete_ns);
    }
    return last_ack >= 0 ? last_ack : last_invoke;
  }

  // Acknowledged ops (not forgiven before) whose effect is missing from the state.
  Outcome Eff(const Entry& e, uint64_t i) const {
    return forgiven_.count(i) ? Outcome::kUnknown : Effective(e);
  }

  std::vector<uint64_t> FindLost(const CheckInput& in) const {
    const History& h = in.history;
    const ObservedState& s = in.state;
    const uint64_t n = h.Size();
    std::vector<uint64_t> lost;

    // Rows: the last acknowledged op of a key must show, unless an unknown op after it
    // explains what is there.
    struct KeyOps {
      int64_t last_ok = -1;
      std::vector<uint64_t> unknown_after;
    };
    std::unordered_map<int64_t, KeyOps> keys;
    std::unordered_map<int64_t, uint64_t> markers;                      // marker -> entry
    std::map<int64_t, std::unordered_map<int64_t, uint64_t>> appended;  // list -> elem -> entry
    std::map<int64_t, std::vector<uint64_t>> increments;                // counter -> ok entries
    for (uint64_t i = 0; i < n; ++i) {
      const Entry& e = h[i];
      const Outcome o = Eff(e, i);
      if (IsRowOp(e.op.kind)) {
        KeyOps& k = keys[e.op.key];
        if (o == Outcome::kOk) {
          k.last_ok = static_cast<int64_t>(i);
          k.unknown_after.clear();
        } else if (o != Outcome::kFail) {
          k.unknown_after.push_back(i);
        }
      } else if (e.op.kind == OpKind::kMarker) {
        markers[e.op.key] = i;
      } else if (e.op.kind == OpKind::kAppend) {
        appended[e.op.key][e.op.value] = i;
      } else if (e.op.kind == OpKind::kIncrement && o == Outcome::kOk) {
        increments[e.op.key].push_back(i);
      }
    }

    std::unordered_map<int64_t, int64_t> rows(s.rows.begin(), s.rows.end());
    for (const auto& [key, k] : keys) {
      if (k.last_ok < 0) continue;
      const Entry& ok = h[static_cast<uint64_t>(k.last_ok)];
      auto it = rows.find(key);
      auto explains = [&](const Entry& e) {
        if (e.op.kind == OpKind::kDelete) return it == rows.end();
        return it != rows.end() && it->second == e.op.value;
      };
      if (explains(ok)) continue;
      bool explained = false;
      for (uint64_t u : k.unknown_after) explained = explained || explains(h[u]);
      if (!explained) lost.push_back(static_cast<uint64_t>(k.last_ok));
    }

    std::unordered_set<int64_t> present_markers(s.markers.begin(), s.markers.end());
    for (const auto& [m, i] : markers) {
      if (!present_markers.count(m) && Eff(h[i], i) == Outcome::kOk) lost.push_back(i);
    }

    std::map<int64_t, std::unordered_set<int64_t>> present_elems;
    for (const auto& [list, elems] : s.lists)
      present_elems[list].insert(elems.begin(), elems.end());
    for (const auto& [list, elems] : appended) {
      const auto& p = present_elems[list];
      for (const auto& [v, i] : elems) {
        if (!p.count(v) && Eff(h[i], i) == Outcome::kOk) lost.push_back(i);
      }
    }

    // Counters: a deficit below the acknowledged sum is attributed to the latest
    // acknowledged increments, the smallest window consistent with the value.
    std::map<int64_t, int64_t> counters(s.counters.begin(), s.counters.end());
    for (auto& [c, oks] : increments) {
      int64_t sum = 0;
      for (uint64_t i : oks) sum += h[i].op.value;
      auto it = counters.find(c);
      int64_t deficit = sum - (it == counters.end() ? 0 : it->second);
      if (deficit <= 0) continue;
      std::sort(oks.begin(), oks.end(),
                [&](uint64_t a, uint64_t b) { return h[a].complete_ns > h[b].complete_ns; });
      for (uint64_t i : oks) {
        if (deficit <= 0) break;
        lost.push_back(i);
        deficit -= h[i].op.value;
      }
    }
    return lost;
  }

  std::unique_ptr<Checker> inner_;
  double bound_ms_;
  FaultInstantFn instant_;
  std::unordered_set<uint64_t> forgiven_;  // entries already judged lost
};

}  // namespace

void FaultClock::Mark() { monotonic_ns_.store(MonotonicNs(), std::memory_order_release); }

std::optional<int64_t> FaultClock::InstantOn(const History& history) const {
  const int64_t mark = monotonic_ns_.load(std::memory_order_acquire);
  if (mark < 0) return std::nullopt;
  const int64_t start = MonotonicNs() - history.Now();  // the history's epoch
  return mark - start;
}

std::unique_ptr<Fault> RecordFaultInstant(std::unique_ptr<Fault> inner,
                                          std::shared_ptr<FaultClock> clock) {
  return std::make_unique<InstantRecordingFault>(std::move(inner), std::move(clock));
}

FaultInstantFn InstantOf(std::shared_ptr<const FaultClock> clock) {
  return [clock = std::move(clock)](const History& h) { return clock->InstantOn(h); };
}

std::unique_ptr<Checker> MakeLossWindowChecker(std::unique_ptr<Checker> inner, double bound_ms,
                                               FaultInstantFn instant) {
  return std::make_unique<LossWindowChecker>(std::move(inner), bound_ms, std::move(instant));
}

}  // namespace crashlab::redis

// A checker for stores that promise durability only up to a time window before a crash
// (Redis appendfsync everysec: "at most about one second of writes"), and a fault
// wrapper that records when the fault fired. Store-independent: usable with any target
// and any fault (SIGKILL, a power cut by a filesystem layer).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "framework/checker.h"
#include "framework/fault.h"
#include "framework/history.h"

namespace crashlab::redis {

// Where a fault's instant is kept between the fault (which marks it) and the checker
// (which reads it on the history's clock). Thread-safe.
class FaultClock {
 public:
  // Records "now" as the instant of the latest fault.
  void Mark();
  // The latest marked instant in ns on `history`'s clock (that of Entry::complete_ns);
  // nullopt if no fault was marked yet.
  std::optional<int64_t> InstantOn(const History& history) const;

 private:
  std::atomic<int64_t> monotonic_ns_{-1};
};

// Forwards everything to `inner`; Inject first marks `clock`.
std::unique_ptr<Fault> RecordFaultInstant(std::unique_ptr<Fault> inner,
                                          std::shared_ptr<FaultClock> clock);

// The instant of the latest fault on the history's clock, or nullopt if unknown.
using FaultInstantFn = std::function<std::optional<int64_t>(const History&)>;
FaultInstantFn InstantOf(std::shared_ptr<const FaultClock> clock);

// Stat names the loss-window checker reports (every cycle, 0 when nothing was lost).
namespace loss_window {
inline constexpr const char* kWindowMs = "loss_window_ms";  // oldest lost ack, ms before the fault
inline constexpr const char* kLostInWindow = "lost_in_window";    // lost ops within the bound
inline constexpr const char* kLostBeyond = "lost_beyond_window";  // lost ops beyond it (anomalies)
inline constexpr const char* kBoundMs = "loss_window_bound_ms";
inline constexpr const char* kEstimated = "fault_instant_estimated";  // 1: no FaultClock mark
}  // namespace loss_window

// Runs `inner` (the generic checkers: phantoms, invariants, integrity) but judges loss
// itself: an acknowledged op whose effect is missing (rows, markers, list elements,
// counter increments) is allowed iff it was acknowledged at most `bound_ms` before the
// fault; the window (acknowledgement time of the oldest lost op, relative to the fault)
// is a stat, and only ops beyond the bound are "lost" anomalies. The inner checkers'
// own "lost" anomalies are replaced by this judgement, so pass checkers that do not
// count losses some other way (no aggregate count/total checker).
//
// Counter increments carry no identity in the store: the deficit is attributed to the
// most recent acknowledged increments (the smallest window consistent with the value).
// An op found lost stays forgiven in later cycles (treated as unknown), so one loss is
// reported once. The fault instant comes from `instant`; without one (or before any
// mark) it is estimated as the last acknowledgement of the latest cycle, which can only
// make the window look smaller (stat fault_instant_estimated = 1).
std::unique_ptr<Checker> MakeLossWindowChecker(std::unique_ptr<Checker> inner, double bound_ms,
                                               FaultInstantFn instant = {});

}  // namespace crashlab::redis

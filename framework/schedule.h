// When faults fire: after N acknowledged ops, after a duration, or drawn from the seed.
#pragma once

#include <cstdint>
#include <string>

namespace crashlab {

// The trigger of one cycle's fault. Op-based triggers are exact: the runner fires as
// soon as it has seen `after_ops` acknowledgements in the cycle, whatever the timing.
struct Trigger {
  enum class Kind { kAfterOps, kAfterTime } kind = Kind::kAfterOps;
  uint64_t after_ops = 0;  // kAfterOps
  int64_t after_ms = 0;    // kAfterTime
  std::string Describe() const;
};

// A seeded schedule. Fixed: every cycle fires at the same point. Random: each cycle
// draws from [min, max] with the cycle's sub-seed, so cycle k of seed s always fires at
// the same point, whatever the other cycles did.
class Schedule {
 public:
  static Schedule AfterOps(uint64_t n);
  static Schedule AfterTime(int64_t ms);
  static Schedule RandomOps(uint64_t min_ops, uint64_t max_ops);
  static Schedule RandomTime(int64_t min_ms, int64_t max_ms);
  // Parses "ops:N", "ops:MIN-MAX", "time:MS", "time:MIN-MAX" (ms); throws
  // std::invalid_argument with a one-line message on bad input.
  static Schedule Parse(const std::string& text);

  Trigger ForCycle(uint64_t seed, uint32_t cycle) const;
  std::string ToString() const;

 private:
  Trigger::Kind kind_ = Trigger::Kind::kAfterOps;
  int64_t lo_ = 100, hi_ = 100;
};

}  // namespace crashlab

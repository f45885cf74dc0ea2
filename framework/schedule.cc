// Schedule: seeded per-cycle triggers and their textual form.
#include "framework/schedule.h"

#include <charconv>
#include <stdexcept>

#include "framework/rng.h"

namespace crashlab {

std::string Trigger::Describe() const {
  return kind == Kind::kAfterOps ? "after " + std::to_string(after_ops) + " acked ops"
                                 : "after " + std::to_string(after_ms) + " ms";
}

Schedule Schedule::AfterOps(uint64_t n) { return RandomOps(n, n); }
Schedule Schedule::AfterTime(int64_t ms) { return RandomTime(ms, ms); }
Schedule Schedule::RandomOps(uint64_t min_ops, uint64_t max_ops) {
  Schedule s;
  s.kind_ = Trigger::Kind::kAfterOps;
  s.lo_ = static_cast<int64_t>(min_ops);
  s.hi_ = static_cast<int64_t>(max_ops);
  if (s.lo_ > s.hi_ || s.lo_ < 1) throw std::invalid_argument("schedule: need 1 <= min <= max");
  return s;
}
Schedule Schedule::RandomTime(int64_t min_ms, int64_t max_ms) {
  Schedule s;
  s.kind_ = Trigger::Kind::kAfterTime;
  s.lo_ = min_ms;
  s.hi_ = max_ms;
  if (s.lo_ > s.hi_ || s.lo_ < 0) throw std::invalid_argument("schedule: need 0 <= min <= max");
  return s;
}

Schedule Schedule::Parse(const std::string& text) {
  const auto bad = [&] {
    return std::invalid_argument("bad schedule '" + text +
                                 "': expected ops:N, ops:MIN-MAX, time:MS or time:MIN-MAX");
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw bad();
  const std::string kind = text.substr(0, colon);
  const std::string range = text.substr(colon + 1);
  int64_t lo = 0, hi = 0;
  const char* p = range.data();
  const char* end = range.data() + range.size();
  auto r = std::from_chars(p, end, lo);
  if (r.ec != std::errc()) throw bad();
  hi = lo;
  if (r.ptr != end) {
    if (*r.ptr != '-') throw bad();
    auto r2 = std::from_chars(r.ptr + 1, end, hi);
    if (r2.ec != std::errc() || r2.ptr != end) throw bad();
  }
  if (kind == "ops") {
    if (lo < 1 || hi < lo) throw bad();
    return RandomOps(lo, hi);
  }
  if (kind == "time") {
    if (lo < 0 || hi < lo) throw bad();
    return RandomTime(lo, hi);
  }
  throw bad();
}

Trigger Schedule::ForCycle(uint64_t seed, uint32_t cycle) const {
  Rng rng(SubSeed(seed, 0x5c4ed01e, cycle));
  Trigger t;
  t.kind = kind_;
  const int64_t v = rng.Uniform(lo_, hi_);
  if (kind_ == Trigger::Kind::kAfterOps)
    t.after_ops = static_cast<uint64_t>(v);
  else
    t.after_ms = v;
  return t;
}

std::string Schedule::ToString() const {
  const std::string k = kind_ == Trigger::Kind::kAfterOps ? "ops:" : "time:";
  return lo_ == hi_ ? k + std::to_string(lo_) : k + std::to_string(lo_) + "-" + std::to_string(hi_);
}

}  // namespace crashlab

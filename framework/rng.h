// The one deterministic random source: every random choice of a run derives from its seed.
#pragma once

#include <cstdint>

namespace crashlab {

// splitmix64 step; also used to derive independent sub-seeds.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Derives the seed of a sub-stream (a cycle, a worker) from a parent seed and labels,
// so adding a worker never changes what another worker or the schedule draws.
constexpr uint64_t SubSeed(uint64_t seed, uint64_t a, uint64_t b = 0) {
  return Mix64(Mix64(seed ^ Mix64(a + 0x51ed27)) ^ Mix64(b + 0xa0761d6478bd642full));
}

// xoshiro256** — small, fast, good enough for workload and schedule decisions.
// Not thread-safe: one Rng per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = seed = Mix64(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [lo, hi] (inclusive); requires lo <= hi.
  int64_t Uniform(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return span == 0 ? static_cast<int64_t>(Next()) : lo + static_cast<int64_t>(Next() % span);
  }
  // True with probability p.
  bool Chance(double p) { return (Next() >> 11) * (1.0 / 9007199254740992.0) < p; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace crashlab

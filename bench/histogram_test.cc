#include "bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace crashlab::bench {
namespace {

// The exact p-th percentile (nearest rank) of sorted values.
uint64_t Exact(const std::vector<uint64_t>& sorted, double p) {
  const size_t rank =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(p / 100.0 * sorted.size())));
  return sorted[rank - 1];
}

std::vector<uint64_t> LogNormal(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(300'000.0), 1.2);  // ~300 us median, long tail
  std::vector<uint64_t> v(n);
  for (auto& x : v) x = static_cast<uint64_t>(d(rng)) + 1;
  return v;
}

TEST(Histogram, PercentilesWithinTheRelativeErrorBound) {
  auto v = LogNormal(200000, 42);
  Histogram h(7);
  for (uint64_t x : v) h.Record(x);
  std::sort(v.begin(), v.end());
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const double exact = static_cast<double>(Exact(v, p));
    const double got = static_cast<double>(h.Percentile(p));
    EXPECT_LE(std::fabs(got - exact) / exact, 1.0 / 256 + 1e-12) << "p" << p;
  }
  EXPECT_EQ(h.Min(), v.front());
  EXPECT_EQ(h.Max(), v.back());
  EXPECT_EQ(h.Count(), v.size());
}

TEST(Histogram, ExactBelowTwoToThePrecisionPlusOne) {
  Histogram h(7);
  for (uint64_t x = 0; x < 256; ++x) h.Record(x);
  for (uint64_t x = 1; x <= 256; ++x) EXPECT_EQ(h.Percentile(100.0 * x / 256), x - 1);
}

TEST(Histogram, MeanAndStddevAreExact) {
  Histogram h(7);
  for (uint64_t x : {1000, 2000, 3000, 4000}) h.Record(x);
  EXPECT_DOUBLE_EQ(h.Mean(), 2500);
  EXPECT_NEAR(h.Stddev(), std::sqrt(1250000.0), 1e-6);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  const auto a = LogNormal(50000, 1), b = LogNormal(70000, 2);
  Histogram ha(7), hb(7), all(7);
  for (uint64_t x : a) ha.Record(x), all.Record(x);
  for (uint64_t x : b) hb.Record(x), all.Record(x);
  ha.Merge(hb);
  EXPECT_TRUE(ha == all);
  EXPECT_EQ(ha.Percentile(99), all.Percentile(99));
  EXPECT_THROW(ha.Merge(Histogram(5)), std::invalid_argument);
}

TEST(Histogram, BucketsRoundTrip) {
  Histogram h(7);
  for (uint64_t x : LogNormal(10000, 3)) h.Record(x);
  const Histogram back =
      Histogram::FromBuckets(7, h.Buckets(), h.Min(), h.Max(), h.Sum(), h.SumSquares());
  for (double p : {50.0, 99.0, 99.9}) EXPECT_EQ(back.Percentile(p), h.Percentile(p));
  EXPECT_EQ(back.Count(), h.Count());
}

TEST(Histogram, HugeValuesDoNotOverflow) {
  Histogram h(7);
  h.Record(UINT64_MAX);
  h.Record(1);
  EXPECT_EQ(h.Max(), UINT64_MAX);
  EXPECT_GE(h.Percentile(100), UINT64_MAX - (UINT64_MAX >> 7));
}

}  // namespace
}  // namespace crashlab::bench

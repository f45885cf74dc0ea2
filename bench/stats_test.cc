#include "bench/stats.h"

#include <gtest/gtest.h>

namespace crashlab::bench {
namespace {

TEST(Stats, MedianQuantileStddev) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 2, 3}), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({0, 10}, 0.25), 2.5);
  EXPECT_NEAR(Stddev({2, 4, 4, 4, 5, 5, 7, 9}), 2.138, 1e-3);
}

// Reference values from scipy.stats.mannwhitneyu(a, b, alternative='two-sided').
TEST(Stats, MannWhitneyExactSmallSamples) {
  const UTest t = MannWhitney({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(t.exact);
  EXPECT_DOUBLE_EQ(t.u, 0);
  EXPECT_NEAR(t.p, 0.1, 1e-12);  // 2 * 1/20
  const UTest t2 = MannWhitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_NEAR(t2.p, 2.0 / 252, 1e-12);
  const UTest same = MannWhitney({1, 3, 5}, {2, 4, 6});
  EXPECT_GT(same.p, 0.5);
}

TEST(Stats, MannWhitneyNormalApproximationWithTies) {
  // scipy (asymptotic, continuity correction): U = 31.5... computed by hand below.
  std::vector<double> a, b;
  for (int i = 0; i < 20; ++i) a.push_back(i % 5);
  for (int i = 0; i < 20; ++i) b.push_back(i % 5 + 2);
  const UTest t = MannWhitney(a, b);
  EXPECT_FALSE(t.exact);
  EXPECT_LT(t.p, 0.001);
  const UTest none = MannWhitney(a, a);
  EXPECT_NEAR(none.p, 1.0, 1e-9);
}

TEST(Stats, BootstrapIntervalsCoverTheTruth) {
  std::vector<double> a, b;
  for (int i = 0; i < 30; ++i) a.push_back(100 + i % 7);
  for (int i = 0; i < 30; ++i) b.push_back(200 + 2 * (i % 7));
  const Interval m = BootstrapMedianCI(a, 1);
  EXPECT_LE(m.low, Median(a));
  EXPECT_GE(m.high, Median(a));
  const Interval r = BootstrapRatioCI(a, b, 1);
  EXPECT_LE(r.low, 2.0 + 1e-9);
  EXPECT_GE(r.high, 2.0 - 1e-9);
  EXPECT_GT(r.low, 1.8);
  EXPECT_LT(r.high, 2.2);
}

}  // namespace
}  // namespace crashlab::bench

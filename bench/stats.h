// Statistics across repetitions and between combinations: medians, bootstrap confidence
// intervals, ratios with their interval, and the Mann-Whitney U test (the test Google
// Benchmark's compare.py runs on repetitions).
#pragma once

#include <cstdint>
#include <vector>

namespace crashlab::bench {

double Median(std::vector<double> v);
double Mean(const std::vector<double>& v);
double Stddev(const std::vector<double>& v);       // sample stddev (n-1); 0 if n < 2
double Quantile(std::vector<double> v, double q);  // linear interpolation, q in [0,1]

struct Interval {
  double low = 0, high = 0;
};
// 95% percentile-bootstrap interval of the median of `v` (seeded, `resamples` draws).
Interval BootstrapMedianCI(const std::vector<double>& v, uint64_t seed, int resamples = 2000);
// 95% bootstrap interval of median(b) / median(a), resampling a and b independently.
Interval BootstrapRatioCI(const std::vector<double>& a, const std::vector<double>& b, uint64_t seed,
                          int resamples = 2000);

struct UTest {
  double u = 0;        // U statistic of `a`
  double p = 1;        // two-sided p-value
  bool exact = false;  // exact distribution (small samples without ties), else normal approx.
};
// Two-sided Mann-Whitney U test. Exact for n_a, n_b <= 10 without ties, else the normal
// approximation with tie and continuity corrections.
UTest MannWhitney(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace crashlab::bench

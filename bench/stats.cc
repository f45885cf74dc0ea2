#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "framework/rng.h"

namespace crashlab::bench {

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

double Median(std::vector<double> v) { return Quantile(std::move(v), 0.5); }

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double Stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

namespace {

std::vector<double> Resample(const std::vector<double>& v, Rng& rng) {
  std::vector<double> r(v.size());
  for (auto& x : r) x = v[static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  return r;
}

Interval Percentiles95(const std::vector<double>& draws) {
  return {Quantile(draws, 0.025), Quantile(draws, 0.975)};
}

}  // namespace

Interval BootstrapMedianCI(const std::vector<double>& v, uint64_t seed, int resamples) {
  if (v.empty()) return {};
  Rng rng(seed);
  std::vector<double> draws;
  draws.reserve(static_cast<size_t>(resamples));
  for (int i = 0; i < resamples; ++i) draws.push_back(Median(Resample(v, rng)));
  return Percentiles95(draws);
}

Interval BootstrapRatioCI(const std::vector<double>& a, const std::vector<double>& b, uint64_t seed,
                          int resamples) {
  if (a.empty() || b.empty()) return {};
  Rng rng(seed);
  std::vector<double> draws;
  draws.reserve(static_cast<size_t>(resamples));
  for (int i = 0; i < resamples; ++i) {
    const double ma = Median(Resample(a, rng));
    if (ma > 0) draws.push_back(Median(Resample(b, rng)) / ma);
  }
  return draws.empty() ? Interval{} : Percentiles95(draws);
}

namespace {

// Number of arrangements of n1 + n2 distinct values in which `a`'s U equals u, for every u.
std::vector<double> ExactUDistribution(int n1, int n2) {
  // f[i][j][u]: ways with i values of a and j of b.
  const int umax = n1 * n2;
  std::vector<std::vector<std::vector<double>>> f(
      n1 + 1, std::vector<std::vector<double>>(n2 + 1, std::vector<double>(umax + 1, 0)));
  for (int i = 0; i <= n1; ++i) {
    for (int j = 0; j <= n2; ++j) {
      if (i == 0 || j == 0) {
        f[i][j][0] = 1;
        continue;
      }
      for (int u = 0; u <= i * j; ++u) {
        // The largest value is a's (it beats all j of b's) or b's.
        f[i][j][u] = (u >= j ? f[i - 1][j][u - j] : 0) + f[i][j - 1][u];
      }
    }
  }
  return f[n1][n2];
}

}  // namespace

UTest MannWhitney(const std::vector<double>& a, const std::vector<double>& b) {
  UTest t;
  const size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return t;
  std::vector<std::pair<double, int>> all;
  for (double x : a) all.emplace_back(x, 0);
  for (double x : b) all.emplace_back(x, 1);
  std::sort(all.begin(), all.end());
  const size_t n = all.size();
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    const double tcount = static_cast<double>(j - i);
    if (j - i > 1) ties = true;
    tie_term += tcount * tcount * tcount - tcount;
    for (size_t k = i; k < j; ++k) {
      if (all[k].second == 0) rank_sum_a += avg_rank;
    }
    i = j;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  t.u = rank_sum_a - dn1 * (dn1 + 1) / 2.0;
  if (!ties && n1 <= 10 && n2 <= 10) {
    const auto dist = ExactUDistribution(static_cast<int>(n1), static_cast<int>(n2));
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    const int u = static_cast<int>(std::lround(t.u));
    double le = 0, ge = 0;
    for (int k = 0; k < static_cast<int>(dist.size()); ++k) {
      if (k <= u) le += dist[static_cast<size_t>(k)];
      if (k >= u) ge += dist[static_cast<size_t>(k)];
    }
    t.p = std::min(1.0, 2.0 * std::min(le, ge) / total);
    t.exact = true;
    return t;
  }
  const double mean = dn1 * dn2 / 2.0;
  const double dn = static_cast<double>(n);
  const double var = dn1 * dn2 / 12.0 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (var <= 0) return t;
  const double z = std::max(0.0, std::fabs(t.u - mean) - 0.5) / std::sqrt(var);
  t.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return t;
}

}  // namespace crashlab::bench

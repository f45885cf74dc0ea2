#include "bench/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace crashlab::bench {

Histogram::Histogram(int precision_bits) : bits_(precision_bits) {
  if (bits_ < 1 || bits_ > 12)
    throw std::invalid_argument("histogram precision must be 1..12 bits");
  counts_.assign(static_cast<size_t>(65 - bits_) << bits_, 0);
}

void Histogram::Merge(const Histogram& o) {
  if (o.bits_ != bits_)
    throw std::invalid_argument("cannot merge histograms of different precision");
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  sum_sq_ += o.sum_sq_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

void Histogram::Reset() { *this = Histogram(bits_); }

double Histogram::Mean() const {
  return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
}

double Histogram::Stddev() const {
  if (count_ < 2) return 0;
  const long double n = static_cast<long double>(count_);
  const long double mean = static_cast<long double>(sum_) / n;
  const long double var = static_cast<long double>(sum_sq_) / n - mean * mean;
  return var > 0 ? static_cast<double>(std::sqrt(var)) : 0;
}

Histogram::Bucket Histogram::BucketAt(size_t i) const {
  if (i < (size_t{2} << bits_)) return {i, 1, counts_[i]};
  const int shift = static_cast<int>(i >> bits_) - 1;
  const uint64_t top = (uint64_t{1} << bits_) | (i & ((size_t{1} << bits_) - 1));
  return {top << shift, uint64_t{1} << shift, counts_[i]};
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const Bucket b = BucketAt(i);
      return std::clamp(b.low + (b.width - 1) / 2, Min(), max_);
    }
  }
  return max_;
}

std::vector<Histogram::Bucket> Histogram::Buckets() const {
  std::vector<Bucket> out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) out.push_back(BucketAt(i));
  }
  return out;
}

Histogram Histogram::FromBuckets(int precision_bits, const std::vector<Bucket>& buckets,
                                 uint64_t min, uint64_t max, double sum, double sum_sq) {
  Histogram h(precision_bits);
  for (const auto& b : buckets) {
    h.counts_[h.Index(b.low)] += b.count;
    h.count_ += b.count;
  }
  h.min_ = h.count_ ? min : UINT64_MAX;
  h.max_ = max;
  h.sum_ = static_cast<unsigned __int128>(sum);
  h.sum_sq_ = static_cast<unsigned __int128>(sum_sq);
  return h;
}

bool Histogram::operator==(const Histogram& o) const {
  return bits_ == o.bits_ && counts_ == o.counts_ && count_ == o.count_ && sum_ == o.sum_ &&
         sum_sq_ == o.sum_sq_ && Min() == o.Min() && max_ == o.max_;
}

}  // namespace crashlab::bench

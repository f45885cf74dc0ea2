// A log-bucketed latency histogram (HdrHistogram's layout): values below 2^P are kept
// exactly; above, each power of two is split into 2^P equal sub-buckets, so a value's
// bucket is at most 2^-P of its size wide. Reported values are bucket midpoints, so the
// relative error of any percentile is at most 2^-(P+1) (P = 7: 0.39%). Recording is an
// index computation and an increment; two histograms of the same precision merge exactly
// (bucket counts add).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crashlab::bench {

class Histogram {
 public:
  // precision_bits P in [1, 12].
  explicit Histogram(int precision_bits = 7);

  void Record(uint64_t value) {
    const size_t i = Index(value);
    ++counts_[i];
    ++count_;
    sum_ += value;
    sum_sq_ += static_cast<unsigned __int128>(value) * value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  // Adds `other`'s values; throws std::invalid_argument if the precisions differ.
  void Merge(const Histogram& other);
  void Reset();

  uint64_t Count() const { return count_; }
  uint64_t Min() const { return count_ ? min_ : 0; }  // exact
  uint64_t Max() const { return max_; }               // exact
  double Mean() const;                                // exact
  double Stddev() const;                              // exact (population)
  // The value at percentile p in [0, 100]: the midpoint of the bucket holding the
  // ceil(p/100 * count)-th smallest value (clamped to [Min, Max]); 0 if empty.
  uint64_t Percentile(double p) const;
  int precision_bits() const { return bits_; }

  // Non-empty buckets in increasing order: (lowest value of the bucket, width, count).
  struct Bucket {
    uint64_t low, width, count;
  };
  std::vector<Bucket> Buckets() const;
  // Rebuilds a histogram from Buckets() output (exact round trip of counts); min, max and
  // the sums come from the stored figures.
  static Histogram FromBuckets(int precision_bits, const std::vector<Bucket>& buckets, uint64_t min,
                               uint64_t max, double sum, double sum_sq);
  double Sum() const { return static_cast<double>(sum_); }
  double SumSquares() const { return static_cast<double>(sum_sq_); }
  bool operator==(const Histogram& o) const;

 private:
  size_t Index(uint64_t v) const {
    if (v < (uint64_t{2} << bits_)) return static_cast<size_t>(v);
    const int e = 63 - __builtin_clzll(v);  // v in [2^e, 2^(e+1)), e > bits_
    const int shift = e - bits_;
    return (static_cast<size_t>(shift) + 1) << bits_ |
           ((v >> shift) & ((uint64_t{1} << bits_) - 1));
  }
  Bucket BucketAt(size_t i) const;

  int bits_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  unsigned __int128 sum_ = 0, sum_sq_ = 0;
  uint64_t min_ = UINT64_MAX, max_ = 0;
};

}  // namespace crashlab::bench

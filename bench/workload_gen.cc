#include "bench/workload_gen.h"

#include <optional>
#include <stdexcept>

#include "framework/rng.h"

namespace crashlab::bench {
namespace {

class PointOps : public OpGenerator {
 public:
  PointOps(std::string kind, int worker, uint64_t seed, int keyspace)
      : kind_(std::move(kind)), worker_(worker), rng_(seed), keyspace_(keyspace) {}
  std::optional<Op> Next() override {
    Op op;
    op.worker = static_cast<uint16_t>(worker_);
    op.value = rng_.Uniform(100, 100000);
    if (kind_ == "insert") {
      op.kind = OpKind::kInsert;
      op.key = (static_cast<int64_t>(worker_) + 1) << 40 | ++seq_;
      return op;
    }
    op.key = rng_.Uniform(1, keyspace_);
    const bool read = kind_ == "read" || (kind_ == "mix" && rng_.Chance(0.5));
    op.kind = read ? OpKind::kRead : OpKind::kUpdate;
    return op;
  }

 private:
  std::string kind_;
  int worker_;
  Rng rng_;
  int keyspace_;
  int64_t seq_ = 0;
};

class Prefill : public OpGenerator {
 public:
  Prefill(int64_t first, int64_t last) : next_(first), last_(last) {}
  std::optional<Op> Next() override {
    if (next_ > last_) return std::nullopt;
    Op op;
    op.kind = OpKind::kInsert;
    op.key = next_++;
    op.value = 100;
    return op;
  }

 private:
  int64_t next_, last_;
};

}  // namespace

bool IsBenchWorkload(const std::string& n) {
  return n == "insert" || n == "update" || n == "read" || n == "mix" || n == "ledger" ||
         n == "bank";
}

std::string StoreWorkloadFor(const std::string& w) { return w == "bank" ? "bank" : "ledger"; }

bool NeedsRows(const std::string& w) { return w == "update" || w == "read" || w == "mix"; }

std::unique_ptr<OpGenerator> MakeGenerator(const std::string& w, Workload& store, int worker,
                                           uint64_t seed, int keyspace) {
  if (w == "ledger" || w == "bank") return store.Generator(worker, seed);
  if (!IsBenchWorkload(w)) throw std::invalid_argument("unknown bench workload " + w);
  return std::make_unique<PointOps>(w, worker, seed, keyspace);
}

std::unique_ptr<OpGenerator> MakePrefill(int64_t first, int64_t last) {
  return std::make_unique<Prefill>(first, last);
}

}  // namespace crashlab::bench

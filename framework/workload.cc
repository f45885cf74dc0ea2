// The store-independent workloads: orders ledger, bank transfers, key-value mix.
#include "framework/workload.h"

#include <charconv>

namespace crashlab {

std::string MarkerName(int64_t key) { return "CRASHLAB_MARKER_" + std::to_string(key); }

std::optional<int64_t> ParseMarkerName(const std::string& name) {
  static const std::string kPrefix = "CRASHLAB_MARKER_";
  if (name.rfind(kPrefix, 0) != 0) return std::nullopt;
  int64_t v = 0;
  const char* b = name.data() + kPrefix.size();
  const char* e = name.data() + name.size();
  auto r = std::from_chars(b, e, v);
  if (r.ec != std::errc() || r.ptr != e) return std::nullopt;
  return v;
}

namespace {

int64_t WorkerKey(int worker, uint64_t seq) {
  return (static_cast<int64_t>(worker) + 1) << 40 | static_cast<int64_t>(seq);
}

// Ops of a worker whose cycles each begin with a persistence marker (seed 004), written
// by worker 0 before anything else; subclasses generate the data ops.
class MarkedGenerator : public OpGenerator {
 public:
  MarkedGenerator(int worker, uint64_t seed) : worker_(worker), rng_(seed) {}
  void BeginCycle(uint32_t cycle) override {
    marker_due_ = worker_ == 0;
    cycle_ = cycle;
  }
  std::optional<Op> Next() override {
    Op op;
    op.worker = static_cast<uint16_t>(worker_);
    if (marker_due_) {
      marker_due_ = false;
      op.kind = OpKind::kMarker;
      op.key = cycle_;
      return op;
    }
    NextData(op);
    return op;
  }

 protected:
  // Fills in a data op (kind, key, value); op.worker is set.
  virtual void NextData(Op& op) = 0;
  int64_t NextKey() { return WorkerKey(worker_, ++seq_); }

  int worker_;
  Rng rng_;

 private:
  uint64_t seq_ = 0;
  bool marker_due_ = false;
  uint32_t cycle_ = 0;
};

class LedgerGenerator : public MarkedGenerator {
 public:
  using MarkedGenerator::MarkedGenerator;

 private:
  void NextData(Op& op) override {
    op.kind = OpKind::kInsert;
    op.key = NextKey();
    op.value = rng_.Uniform(100, 100000);
  }
};

class LedgerWorkload : public Workload {
 public:
  std::string Name() const override { return "ledger"; }
  std::unique_ptr<OpGenerator> Generator(int worker, uint64_t seed) override {
    return std::make_unique<LedgerGenerator>(worker, seed);
  }
  std::unique_ptr<Checker> MakeChecker() const override {
    std::vector<std::unique_ptr<Checker>> c;
    c.push_back(MakeRowsChecker());
    c.push_back(MakeAggregateChecker());
    c.push_back(MakeMarkerChecker());
    c.push_back(MakeIntegrityChecker());
    return std::make_unique<CompositeChecker>(std::move(c));
  }
};

class BankGenerator : public OpGenerator {
 public:
  BankGenerator(int worker, uint64_t seed, int32_t accounts)
      : worker_(worker), rng_(seed), accounts_(accounts) {}
  std::optional<Op> Next() override {
    Op op;
    op.worker = static_cast<uint16_t>(worker_);
    op.kind = OpKind::kTransfer;
    op.key = rng_.Uniform(0, accounts_ - 1);
    op.key2 = static_cast<int32_t>(rng_.Uniform(0, accounts_ - 2));
    if (op.key2 >= op.key) ++op.key2;
    op.value = rng_.Uniform(1, 100);
    return op;
  }

 private:
  int worker_;
  Rng rng_;
  int32_t accounts_;
};

class BankWorkload : public Workload {
 public:
  BankWorkload(int32_t accounts, int64_t initial) : accounts_(accounts), initial_(initial) {}
  std::string Name() const override { return "bank"; }
  DataModel Model() const override {
    DataModel m;
    m.accounts = accounts_;
    m.initial_balance = initial_;
    return m;
  }
  std::unique_ptr<OpGenerator> Generator(int worker, uint64_t seed) override {
    return std::make_unique<BankGenerator>(worker, seed, accounts_);
  }
  std::unique_ptr<Checker> MakeChecker() const override {
    std::vector<std::unique_ptr<Checker>> c;
    c.push_back(MakeBankChecker(accounts_, initial_));
    c.push_back(MakeIntegrityChecker());
    return std::make_unique<CompositeChecker>(std::move(c));
  }

 private:
  int32_t accounts_;
  int64_t initial_;
};

class KeyValueGenerator : public MarkedGenerator {
 public:
  KeyValueGenerator(int worker, uint64_t seed, int32_t counters)
      : MarkedGenerator(worker, seed), counters_(counters) {}

 private:
  void NextData(Op& op) override {
    const int64_t dice = rng_.Uniform(0, 9);
    if (dice < 6) {
      op.kind = OpKind::kInsert;
      op.key = NextKey();
      op.value = rng_.Uniform(1, 1'000'000);
    } else if (dice < 8) {
      op.kind = OpKind::kIncrement;
      op.key = rng_.Uniform(0, counters_ - 1);
      op.value = rng_.Uniform(1, 10);
    } else {
      op.kind = OpKind::kAppend;
      op.key = worker_;  // one list per worker keeps appends ordered per list
      op.value = NextKey();
    }
  }

  int32_t counters_;
};

class KeyValueWorkload : public Workload {
 public:
  explicit KeyValueWorkload(int32_t counters) : counters_(counters) {}
  std::string Name() const override { return "kv"; }
  DataModel Model() const override {
    DataModel m;
    m.counters = counters_;
    return m;
  }
  std::unique_ptr<OpGenerator> Generator(int worker, uint64_t seed) override {
    return std::make_unique<KeyValueGenerator>(worker, seed, counters_);
  }
  std::unique_ptr<Checker> MakeChecker() const override {
    std::vector<std::unique_ptr<Checker>> c;
    c.push_back(MakeRowsChecker());
    c.push_back(MakeCounterChecker());
    c.push_back(MakeListChecker());
    c.push_back(MakeMarkerChecker());
    c.push_back(MakeIntegrityChecker());
    return std::make_unique<CompositeChecker>(std::move(c));
  }

 private:
  int32_t counters_;
};

}  // namespace

std::unique_ptr<Workload> MakeLedgerWorkload() { return std::make_unique<LedgerWorkload>(); }
std::unique_ptr<Workload> MakeBankWorkload(int32_t accounts, int64_t initial_balance) {
  return std::make_unique<BankWorkload>(accounts, initial_balance);
}
std::unique_ptr<Workload> MakeKeyValueWorkload(int32_t counters) {
  return std::make_unique<KeyValueWorkload>(counters);
}

}  // namespace crashlab

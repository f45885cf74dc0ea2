// MakeMixedFault: one of several faults per cycle, in a seeded order.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "framework/fault.h"

namespace crashlab {
namespace {

class MixedFault : public Fault {
 public:
  MixedFault(std::vector<std::pair<std::string, std::unique_ptr<Fault>>> faults, uint64_t seed)
      : faults_(std::move(faults)), seed_(seed) {
    if (faults_.empty()) throw std::invalid_argument("MakeMixedFault: no faults");
  }
  std::string Name() const override {
    std::string n;
    for (const auto& [name, f] : faults_) n += (n.empty() ? "" : ",") + name;
    return n;
  }
  void Setup(Target& t) override {
    for (auto& [name, f] : faults_) f->Setup(t);
  }
  void BeginCycle(Target& t, uint32_t cycle, std::function<void()> fire) override {
    current_ = Choose(cycle);
    Current().BeginCycle(t, cycle, std::move(fire));
  }
  void AtTrigger(Target& t) override { Current().AtTrigger(t); }
  FaultEvent Inject(Target& t, Rng& rng) override {
    FaultEvent ev = Current().Inject(t, rng);
    ev.extra["fault_spec"] = faults_[current_].first;
    return ev;
  }
  void Heal(Target& t) override { Current().Heal(t); }
  bool NeedsRecovery() const override { return faults_[current_].second->NeedsRecovery(); }
  bool CutsPower() const override { return faults_[current_].second->CutsPower(); }
  void Teardown(Target& t) override {
    for (auto& [name, f] : faults_) f->Teardown(t);
  }

 private:
  Fault& Current() { return *faults_[current_].second; }
  // Cycles come in rounds of faults_.size(); each round is a seeded permutation, so every
  // fault fires once per round and a run of at least that many cycles fires them all.
  size_t Choose(uint32_t cycle) const {
    const size_t n = faults_.size();
    const uint64_t index = cycle == 0 ? 0 : cycle - 1;
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    Rng rng(SubSeed(seed_, 0x6d69786564ull /* "mixed" */, index / n));
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.Next() % i]);
    return order[index % n];
  }

  std::vector<std::pair<std::string, std::unique_ptr<Fault>>> faults_;
  uint64_t seed_;
  size_t current_ = 0;
};

}  // namespace

std::unique_ptr<Fault> MakeMixedFault(
    std::vector<std::pair<std::string, std::unique_ptr<Fault>>> faults, uint64_t seed) {
  return std::make_unique<MixedFault>(std::move(faults), seed);
}

}  // namespace crashlab

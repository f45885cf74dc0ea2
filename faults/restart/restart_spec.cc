// The `restart` fault: the store shut down cleanly (Target::Stop) mid-load, then started
// again on its data. Nothing acknowledged may be lost; a store whose clean shutdown
// loses buffered writes is caught here before any crash is needed.
#include <chrono>

#include "framework/registry.h"

namespace crashlab::faults {
namespace {

class RestartFault : public Fault {
 public:
  std::string Name() const override { return "restart"; }
  FaultEvent Inject(Target& target, Rng&) override {
    const auto start = std::chrono::steady_clock::now();
    target.Stop();
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    FaultEvent ev;
    ev.fault = "restart";
    ev.detail = "clean shutdown";
    ev.extra["stop_ms"] = std::to_string(took.count());
    return ev;
  }
};

}  // namespace

CRASHLAB_FAULT(restart) {
  FaultSpec f;
  f.name = "restart";
  f.description = "clean shutdown and restart mid-load: every acknowledged write survives";
  f.needs = {capability::kProcesses};
  f.defaults.cycles = 5;
  f.build = [](FaultContext&) { return std::make_unique<RestartFault>(); };
  return f;
}

}  // namespace crashlab::faults

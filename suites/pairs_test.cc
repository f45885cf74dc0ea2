// Every store x fault pair the registry offers on a local host, run briefly on a real
// store: the product is only worth offering if each pair runs and ends valid on a safe
// configuration (Redis's power-cut pairs get a provisioned, synced AOF dir: with Redis
// creating it, an acknowledged write can vanish, a finding suites/powercut_test.cc keeps).
// ctest: labels=suite;pairs;fast timeout=900
#include <gtest/gtest.h>

#include <algorithm>

#include "framework/registry.h"
#include "framework/testing/crash_test.h"

namespace crashlab::testing {
namespace {

std::vector<ScenarioCase> LocalPairs() {
  std::vector<ScenarioCase> cases;
  for (const auto& s : Registry::Global().All()) {
    if (s.preset || s.host != Host::kLocal) continue;
    std::string id = s.name;
    std::replace(id.begin(), id.end(), '-', '_');
    const uint32_t cycles = s.faults.front() == "crashpoints" ? 6 : 5;  // as the must-show runs
    ScenarioCase c{id, {}, 0, cycles, s.name};
    const std::string& fault = s.faults.front();
    if (s.store->name == "redis" && (fault == "powercut" || fault == "crashpoints")) {
      c.set["aof_dir"] = "provisioned";
    }
    cases.push_back(c);
  }
  return cases;
}

class StoreFaultPair : public ScenarioTest {};

TEST_P(StoreFaultPair, SafeConfigurationEndsValid) {
  CRASHLAB_SKIP_IF_MISSING(GetParam().scenario);
  ScenarioRequest req;
  req.scenario = GetParam().scenario;
  req.set = GetParam().set;
  req.cycles = GetParam().cycles;
  req.seed = Seed(3);
  const RunReport r = RunScenario(req);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, GetParam().cycles);
  EXPECT_GT(r.ok, 0u);
}

INSTANTIATE_TEST_SUITE_P(Registry, StoreFaultPair, ::testing::ValuesIn(LocalPairs()), CaseName);

}  // namespace
}  // namespace crashlab::testing

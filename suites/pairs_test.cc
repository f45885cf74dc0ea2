// Every store x fault pair the registry offers on a local host, run briefly on a real
// store: the product is only worth offering if each pair runs and ends valid on a safe
// configuration, or shows its known finding. Redis's power-cut pairs get a provisioned,
// synced AOF dir (with Redis creating it, an acknowledged write can vanish: a finding
// suites/powercut_test.cc keeps); even so Redis 7.0 never syncs appendonlydir after it
// creates its AOF files, so a cut at its first fsync leaves a manifest naming a base file
// that is gone and the server refuses to start: redis-crashpoints must find that.
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
    if (s.name == "redis-crashpoints") c.set["expect"] = "unrecoverable";
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
  const auto expect = req.set.extract("expect");
  const RunReport r = RunScenario(req);
  if (expect) {
    ExpectInvalid(r, expect.mapped());  // a finding: passes only if the checkers saw it
    return;
  }
  ExpectValid(r);
  EXPECT_EQ(r.cycles, GetParam().cycles);
}

INSTANTIATE_TEST_SUITE_P(Registry, StoreFaultPair, ::testing::ValuesIn(LocalPairs()), CaseName);

}  // namespace
}  // namespace crashlab::testing

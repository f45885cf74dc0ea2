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
#include <map>
#include <string>
#include <vector>

#include "framework/registry.h"
#include "framework/testing/crash_test.h"

namespace crashlab::testing {
namespace {

// One registered pair, how long to run it, and its known finding ("" = must be valid).
struct Pair {
  std::string id;  // the test name: the scenario with '_' for '-'
  std::string scenario;
  uint32_t cycles = 5;
  std::map<std::string, std::string> set;
  std::string finding;
};
void PrintTo(const Pair& p, std::ostream* os) { *os << p.scenario; }

std::vector<Pair> LocalPairs() {
  std::vector<Pair> pairs;
  for (const auto& s : Registry::Global().All()) {
    if (s.preset || s.host != Host::kLocal) continue;
    Pair p;
    p.scenario = s.name;
    p.id = s.name;
    std::replace(p.id.begin(), p.id.end(), '-', '_');
    const std::string& fault = s.faults.front();
    p.cycles = fault == "crashpoints" ? 6 : 5;  // as the must-show runs
    if (s.store->name == "redis" && (fault == "powercut" || fault == "crashpoints")) {
      p.set["aof_dir"] = "provisioned";
    }
    if (s.name == "redis-crashpoints") p.finding = "unrecoverable";
    pairs.push_back(p);
  }
  return pairs;
}

class StoreFaultPair : public CrashTest, public ::testing::WithParamInterface<Pair> {};

TEST_P(StoreFaultPair, SafeConfigurationEndsValid) {
  CRASHLAB_SKIP_IF_MISSING(GetParam().scenario);
  ScenarioRequest req;
  req.scenario = GetParam().scenario;
  req.set = GetParam().set;
  req.cycles = GetParam().cycles;
  req.seed = Seed(3);
  const RunReport r = RunScenario(req);
  if (!GetParam().finding.empty()) {
    ExpectInvalid(r, GetParam().finding);  // passes only if the checkers saw it
    return;
  }
  ExpectValid(r);
  EXPECT_EQ(r.cycles, GetParam().cycles);
}

INSTANTIATE_TEST_SUITE_P(Registry, StoreFaultPair, ::testing::ValuesIn(LocalPairs()),
                         [](const ::testing::TestParamInfo<Pair>& info) { return info.param.id; });

}  // namespace
}  // namespace crashlab::testing

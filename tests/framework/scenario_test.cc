// Unit tests of the scenario registry and request validation (knobs, usage errors).
#include <gtest/gtest.h>

#include "framework/scenario.h"

namespace crashlab {
namespace {

// A scenario registered only in this test binary.
CRASHLAB_SCENARIO(test_only_scenario) {
  ScenarioSpec s;
  s.name = "test-only";
  s.description = "registry unit test";
  s.knobs = {Knob::Int("n", 3, "a number", 1, 10), Knob::Bool("flag", false, "a flag"),
             Knob::Choice("mode", "a", {"a", "b"}, "a mode"), Knob::String("free", "", "text")};
  s.default_cycles = 4;
  s.default_workers = 3;
  return s;
}

ScenarioRequest Req(std::map<std::string, std::string> set = {}) {
  ScenarioRequest r;
  r.scenario = "test-only";
  r.set = std::move(set);
  return r;
}

TEST(Registry, FindsRegisteredScenario) {
  ASSERT_NE(Registry::Global().Find("test-only"), nullptr);
  EXPECT_EQ(Registry::Global().Find("nope"), nullptr);
}

TEST(Registry, RejectsDuplicates) {
  ScenarioSpec s;
  s.name = "test-only";
  EXPECT_THROW(Registry::Global().Add(s), std::logic_error);
}

TEST(Validate, DefaultsFillIn) {
  RunOptions o;
  const Knobs k = ValidateRequest(Req(), &o);
  EXPECT_EQ(k.GetInt("n"), 3);
  EXPECT_FALSE(k.GetBool("flag"));
  EXPECT_EQ(k.Get("mode"), "a");
  EXPECT_EQ(k.Get("schedule"), "ops:20-200");
  EXPECT_EQ(o.cycles, 4u);
  EXPECT_EQ(o.workers, 3);
}

TEST(Validate, GoodValuesAccepted) {
  const Knobs k = ValidateRequest(Req({{"n", "10"}, {"flag", "on"}, {"mode", "b"}, {"free", ""},
                                       {"schedule", "time:100-300"}}));
  EXPECT_EQ(k.GetInt("n"), 10);
  EXPECT_TRUE(k.GetBool("flag"));
  EXPECT_EQ(k.Get("schedule"), "time:100-300");
}

TEST(Validate, BadInputIsAUsageErrorNamingTheProblem) {
  const auto expect_usage = [](ScenarioRequest r, const std::string& needle) {
    try {
      ValidateRequest(r);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  ScenarioRequest unknown;
  unknown.scenario = "no-such-scenario";
  expect_usage(unknown, "unknown scenario 'no-such-scenario'");
  expect_usage(Req({{"bogus", "1"}}), "unknown --set key 'bogus'");
  expect_usage(Req({{"n", "11"}}), "bad value '11' for n");
  expect_usage(Req({{"n", "x"}}), "bad value 'x' for n");
  expect_usage(Req({{"flag", "maybe"}}), "bad value 'maybe' for flag");
  expect_usage(Req({{"mode", "c"}}), "expected one of a, b");
  expect_usage(Req({{"schedule", "ops:0"}}), "bad schedule");
  ScenarioRequest zero = Req();
  zero.cycles = 0;
  expect_usage(zero, "--cycles 0 needs --duration");
  ScenarioRequest workers = Req();
  workers.workers = 0;
  expect_usage(workers, "--workers");
}

}  // namespace
}  // namespace crashlab

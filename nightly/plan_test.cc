#include "nightly/plan.h"

#include <gtest/gtest.h>

#include <set>

#include "framework/registry.h"

namespace crashlab::nightly {
namespace {

PlanOptions Opts() {
  PlanOptions o;
  o.date = "2026-12-01";
  o.specs_dir = CRASHLAB_SPECS_DIR;
  return o;
}

TEST(NightlyPlan, GlobMatch) {
  EXPECT_TRUE(GlobMatch("sqlite-*", "sqlite-kill"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*kill*", "sqlite-kill[storage=tmpfs]"));
  EXPECT_TRUE(GlobMatch("s?lite-kill", "sqlite-kill"));
  EXPECT_FALSE(GlobMatch("sqlite-*", "postgres-kill"));
  EXPECT_FALSE(GlobMatch("sqlite", "sqlite-kill"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
}

TEST(NightlyPlan, SeedsDependOnDateAndName) {
  EXPECT_EQ(SeedFor("2026-12-01", "sqlite-kill"), SeedFor("2026-12-01", "sqlite-kill"));
  EXPECT_NE(SeedFor("2026-12-01", "sqlite-kill"), SeedFor("2026-12-02", "sqlite-kill"));
  EXPECT_NE(SeedFor("2026-12-01", "sqlite-kill"), SeedFor("2026-12-01", "redis-kill"));
}

TEST(NightlyPlan, CoversEveryScenarioAndSpecFileOnce) {
  const auto entries = Enumerate(Opts());
  std::set<std::string> ids, scenarios;
  for (const auto& e : entries) {
    EXPECT_TRUE(ids.insert(e.id).second) << "twice: " << e.id;
    if (!e.scenario.empty()) scenarios.insert(e.scenario);
  }
  for (const auto& s : Registry::Global().All()) EXPECT_TRUE(scenarios.count(s.name)) << s.name;
  EXPECT_TRUE(ids.count("spec:sqlite-chaos"));
  EXPECT_TRUE(ids.count("sqlite-kill[storage=tmpfs]"));
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(),
                             [](const Entry& a, const Entry& b) { return a.id < b.id; }));
}

TEST(NightlyPlan, OnlyAndExclude) {
  PlanOptions o = Opts();
  o.only = {"sqlite-*"};
  o.exclude = {"*container*", "*[*"};
  for (const auto& e : Enumerate(o)) {
    EXPECT_EQ(e.id.rfind("sqlite-", 0), 0u) << e.id;
    EXPECT_EQ(e.id.find("container"), std::string::npos) << e.id;
    EXPECT_EQ(e.id.find('['), std::string::npos) << e.id;
  }
}

TEST(NightlyPlan, ShardsPartitionTheSetAndBalanceIt) {
  const auto entries = Enumerate(Opts());
  for (int n : {1, 2, 3, 4, 7}) {
    const auto shards = Shard(entries, n);
    ASSERT_EQ(shards.size(), static_cast<size_t>(n));
    std::multiset<size_t> seen;
    double max_load = 0, total = 0, max_weight = 0;
    for (const auto& s : shards) {
      double load = 0;
      for (size_t i : s) {
        seen.insert(i);
        load += entries[i].weight;
        max_weight = std::max(max_weight, entries[i].weight);
      }
      max_load = std::max(max_load, load);
      total += load;
    }
    EXPECT_EQ(seen.size(), entries.size());
    EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), entries.size())
        << "no entry twice";
    EXPECT_LE(max_load, total / n + max_weight) << n << " shards";  // greedy's bound
    EXPECT_EQ(Shard(entries, n), shards) << "deterministic";
  }
  EXPECT_THROW(Shard(entries, 0), std::invalid_argument);
}

TEST(NightlyPlan, BudgetsShareTheTimeByWeight) {
  std::vector<Entry> all(3);
  all[0].weight = 1;
  all[1].weight = 3;
  all[2].weight = 1;
  const auto b = Budgets(all, {0, 1, 2}, 500);
  EXPECT_DOUBLE_EQ(b[0], 100);
  EXPECT_DOUBLE_EQ(b[1], 300);
  EXPECT_DOUBLE_EQ(b[0] + b[1] + b[2], 500);
}

TEST(NightlyPlan, DatesAreChecked) {
  EXPECT_NO_THROW(CheckDate("2026-12-01"));
  EXPECT_THROW(CheckDate("2026-13-01"), std::invalid_argument);
  EXPECT_THROW(CheckDate("yesterday"), std::invalid_argument);
  EXPECT_THROW(CheckDate("2026-12-01x"), std::invalid_argument);
  EXPECT_NO_THROW(CheckDate(Today()));
}

}  // namespace
}  // namespace crashlab::nightly

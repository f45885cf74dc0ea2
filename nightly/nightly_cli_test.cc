// `crashlab nightly` end to end: shards cover the plan exactly once, a shard stays within
// its budget, and the summary holds every scenario with its verdict and replay.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "framework/process.h"
#include "tests/support/run_program.h"

namespace crashlab {
namespace {

using Result = testing::ProgramResult;

Result Nightly(std::vector<std::string> args, const std::filesystem::path& dir) {
  args.insert(args.begin(), {CRASHLAB_CLI, "nightly"});
  return testing::RunProgram(args, dir, 300);
}

std::vector<std::string> Ids(const std::string& listing) {
  std::vector<std::string> ids;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ids.push_back(line.substr(0, line.find("  ")));
  }
  return ids;
}

TEST(NightlyCli, ShardsCoverTheSetExactlyOnce) {
  TempDir dir("crashlab-nightly-test-");
  const Result all = Nightly({"--budget", "300", "--specs", CRASHLAB_SPECS_DIR, "--date",
                              "2026-12-01", "--out", "o", "--list"},
                             dir.path());
  ASSERT_EQ(all.code, 0) << all.out;
  const auto every = Ids(all.out);
  ASSERT_GT(every.size(), 20u);
  for (int n : {2, 4}) {
    std::multiset<std::string> seen;
    for (int k = 1; k <= n; ++k) {
      const Result r =
          Nightly({"--budget", "300", "--shard", std::to_string(k) + "/" + std::to_string(n),
                   "--specs", CRASHLAB_SPECS_DIR, "--date", "2026-12-01", "--out", "o", "--list"},
                  dir.path());
      ASSERT_EQ(r.code, 0) << r.out;
      for (const auto& id : Ids(r.out)) seen.insert(id);
    }
    EXPECT_EQ(seen, std::multiset<std::string>(every.begin(), every.end())) << n << " shards";
  }
}

TEST(NightlyCli, RunsAShardWithinItsBudget) {
  TempDir dir("crashlab-nightly-test-");
  const Result r =
      Nightly({"--budget", "12", "--only", "sqlite-kill*", "--date", "2026-12-01", "--out", "o"},
              dir.path());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(dir.path() / "o" / "shard.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_LE(j["wall_s"].get<double>(), 12 * 1.05);
  ASSERT_EQ(j["entries"].size(), 3u);
  for (const auto& e : j["entries"]) {
    EXPECT_EQ(e["verdict"], "valid") << e.dump();
    EXPECT_GT(e["cycles"].get<int>(), 0) << e.dump();
    EXPECT_NE(e["replay"].get<std::string>().find("--seed"), std::string::npos);
    EXPECT_TRUE(
        std::filesystem::exists(dir.path() / e["report_dir"].get<std::string>() / "report.json"));
  }
}

Result Merge(std::vector<std::string> args, const std::filesystem::path& dir) {
  args.insert(args.begin(), {CRASHLAB_CLI, "report", "merge"});
  return testing::RunProgram(args, dir, 60);
}

// Two shards merged: every entry once; against the previous night, nothing new when
// nothing changed, and a changed verdict is listed.
TEST(NightlyCli, MergeShardsAndCompareWithThePreviousNight) {
  TempDir dir("crashlab-nightly-test-");
  for (const char* k : {"1/2", "2/2"}) {
    const Result r = Nightly({"--budget", "8", "--only", "sqlite-kill*", "--shard", k, "--date",
                              "2026-12-01", "--out", std::string("s") + k[0]},
                             dir.path());
    ASSERT_EQ(r.code, 0) << r.out;
  }
  Result m = Merge({"s1", "s2", "--out", "m1"}, dir.path());
  ASSERT_EQ(m.code, 0) << m.out;
  std::ifstream in(dir.path() / "m1" / "summary.json");
  auto s = nlohmann::json::parse(in);
  ASSERT_EQ(s["entries"].size(), 3u);
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "m1" / "junit.xml"));
  ProcessOptions x;
  x.argv = {"xmllint", "--noout", "--schema", JUNIT_XSD,
            (dir.path() / "m1" / "junit.xml").string()};
  x.log = dir.path() / "xmllint.log";
  Process xl = Process::Spawn(x);
  ASSERT_TRUE(xl.WaitFor(Millis(30000)));
  EXPECT_EQ(WEXITSTATUS(xl.raw_status()), 0)
      << "junit.xml must validate against the Jenkins schema";
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "m1" / "summary.html"));
  m = Merge({"s1", "s2", "--previous", "m1/summary.json", "--out", "m2"}, dir.path());
  ASSERT_EQ(m.code, 0) << m.out;
  EXPECT_NE(m.out.find("0 new, 0 fixed, 0 flapping"), std::string::npos) << m.out;
  s["entries"][1]["verdict"] = "invalid";  // last night this one failed
  std::ofstream(dir.path() / "prev.json") << s.dump();
  m = Merge({"s1", "s2", "--previous", "prev.json", "--out", "m3"}, dir.path());
  EXPECT_NE(m.out.find("fixed: " + s["entries"][1]["id"].get<std::string>()), std::string::npos)
      << m.out;
  EXPECT_EQ(Merge({"s1", "s1", "--out", "m4"}, dir.path()).code, 2) << "an entry twice";
  EXPECT_EQ(Merge({"nosuch", "--out", "m5"}, dir.path()).code, 2);
}

TEST(NightlyCli, BadInputIsExitTwo) {
  TempDir dir("crashlab-nightly-test-");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--budget", "10", "--shard", "3/2", "--out", "o"},
           {"--budget", "10", "--shard", "0/2", "--out", "o"},
           {"--budget", "10", "--shard", "x", "--out", "o"},
           {"--budget", "-1", "--out", "o"},
           {"--budget", "nan", "--out", "o"},
           {"--budget", "10", "--date", "2026-02-30x", "--out", "o"},
           {"--budget", "10"},
       }) {
    const Result r = Nightly(args, dir.path());
    EXPECT_EQ(r.code, 2) << args[args.size() - 1] << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}

}  // namespace
}  // namespace crashlab

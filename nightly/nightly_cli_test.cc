// `crashlab nightly` end to end: shards cover the plan exactly once, a shard stays within
// its budget, and the summary holds every scenario with its verdict and replay.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "framework/process.h"

namespace crashlab {
namespace {

struct Result {
  int code;
  std::string out;
};

Result Nightly(std::vector<std::string> args, const std::filesystem::path& dir) {
  ProcessOptions o;
  o.argv = {CRASHLAB_CLI, "nightly"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log = dir / "cmd.log";
  o.cwd = dir;
  std::filesystem::remove(o.log);
  Process p = Process::Spawn(o);
  EXPECT_TRUE(p.WaitFor(Millis(300000)));
  std::ifstream in(o.log);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(p.raw_status()) ? WEXITSTATUS(p.raw_status()) : -1, ss.str()};
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
  const Result all = Nightly({"--budget", "300", "--specs", CRASHLAB_SPECS_DIR, "--date", "2026-12-01",
                              "--out", "o", "--list"},
                             dir.path());
  ASSERT_EQ(all.code, 0) << all.out;
  const auto every = Ids(all.out);
  ASSERT_GT(every.size(), 20u);
  for (int n : {2, 4}) {
    std::multiset<std::string> seen;
    for (int k = 1; k <= n; ++k) {
      const Result r = Nightly({"--budget", "300", "--shard", std::to_string(k) + "/" + std::to_string(n),
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
  const Result r = Nightly({"--budget", "12", "--only", "sqlite-kill*", "--date", "2026-12-01", "--out", "o"},
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
    EXPECT_TRUE(std::filesystem::exists(dir.path() / e["report_dir"].get<std::string>() / "report.json"));
  }
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

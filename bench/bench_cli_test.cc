// End-to-end tests of `crashlab bench` against real stores: the outputs (bench.json in
// Google Benchmark's format, accepted by compare.py; histograms; report.html drawn in
// headless chromium), faults, open loop, containers, and bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "framework/process.h"
#include "tests/support/run_program.h"

namespace crashlab {
namespace {

using nlohmann::json;

using Result = testing::ProgramResult;

Result Run(const std::vector<std::string>& argv, const std::filesystem::path& dir,
           int timeout_s = 600) {
  return testing::RunProgram(argv, dir, timeout_s);
}

Result Bench(std::vector<std::string> args, const std::filesystem::path& dir) {
  args.insert(args.begin(), {CRASHLAB_CLI, "bench"});
  return Run(args, dir);
}

json ReadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

bool Root() { return ::geteuid() == 0 && std::filesystem::exists("/dev/fuse"); }

const json* Iteration(const json& bench, const std::string& name, int rep) {
  for (const auto& b : bench["benchmarks"]) {
    if (b["name"] == name && b["run_type"] == "iteration" && b["repetition_index"] == rep)
      return &b;
  }
  return nullptr;
}

// Every figure the issue asks for, per repetition, plausible and ordered.
void ExpectFigures(const json& b) {
  for (const char* k : {"ops_per_s", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us",
                        "max_us", "mean_us", "stddev_us", "cv"}) {
    ASSERT_TRUE(b.contains(k)) << k;
  }
  EXPECT_GT(b["iterations"].get<double>(), 0);
  EXPECT_GT(b["ops_per_s"].get<double>(), 0);
  EXPECT_LE(b["min_us"].get<double>(), b["p50_us"].get<double>());
  EXPECT_LE(b["p50_us"].get<double>(), b["p90_us"].get<double>());
  EXPECT_LE(b["p90_us"].get<double>(), b["p99_us"].get<double>());
  EXPECT_LE(b["p99_us"].get<double>(), b["p999_us"].get<double>());
  EXPECT_LE(b["p9999_us"].get<double>(), b["max_us"].get<double>() * 1.004);
  EXPECT_EQ(b["time_unit"], "us");
}

// compare.py from Google Benchmark's tools (vendored) must read the file.
void ExpectCompareAccepts(const std::filesystem::path& file, const std::filesystem::path& dir) {
  if (Run({"/usr/bin/python3", "-c", "import scipy, numpy"}, dir).code != 0)
    GTEST_SKIP() << "compare.py needs python3-scipy and python3-numpy (ci/setup.sh installs them)";
  const Result r =
      Run({"/usr/bin/python3", COMPARE_PY, "benchmarks", file.string(), file.string()}, dir);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("OVERALL_GEOMEAN"), std::string::npos) << r.out;
}

// Loads report.html in headless chromium: no script error, the charts drew `min_series`
// elements of non-zero size; keeps a screenshot next to the test binary.
void ExpectPageRenders(const std::filesystem::path& page, int min_series, const std::string& shot) {
  const char* chromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium))
    GTEST_SKIP() << "chromium not installed (ci/setup.sh installs it)";
  const auto dir = page.parent_path();
  const std::string url = "file://" + std::filesystem::absolute(page).string();
  const Result dom = Run({chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--virtual-time-budget=5000", "--dump-dom", url},
                         dir, 120);
  ASSERT_EQ(dom.code, 0) << dom.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom.out, m, std::regex("<body[^>]*data-drawn=\"(\\d+)\"")))
      << dom.out.substr(0, 2000);
  EXPECT_GE(std::stoi(m[1]), min_series);
  EXPECT_FALSE(std::regex_search(dom.out, m, std::regex("<body[^>]*data-errors=\"([^\"]*)\"")))
      << "script errors on the page: " << m[1];
  const std::string png = std::string(ARTIFACT_DIR) + "/" + shot;
  const Result s = Run({chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--window-size=1200,2800", "--screenshot=" + png, url},
                       dir, 120);
  EXPECT_EQ(s.code, 0) << s.out;
  EXPECT_GT(std::filesystem::file_size(png), 10000u);
}

class BenchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>("crashlab-bench-test-");
    out_ = dir_->path() / "out";
  }
  std::unique_ptr<TempDir> dir_;
  std::filesystem::path out_;
};

// The first "must show" at 1 s x 2 repetitions (the full line runs nightly).
TEST_F(BenchCli, SqliteAndRedisOnThreeStorages) {
  if (!Root()) GTEST_SKIP() << "crashfs needs root and /dev/fuse";
  const Result r =
      Bench({"--stores", "sqlite,redis", "--storage", "disk,tmpfs,crashfs", "--duration", "1",
             "--warmup", "0.3", "--repetitions", "2", "--out", out_.string()},
            dir_->path());
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(out_ / "bench.json");
  EXPECT_EQ(j["context"]["json_schema_version"], 1);
  EXPECT_EQ(j["crashlab"]["combinations"].size(), 6u);
  for (const std::string store : {"sqlite", "redis"}) {
    for (const std::string st : {"disk", "tmpfs", "crashfs"}) {
      const std::string name = store + "/" + st + "/clients:1/insert";
      for (int rep = 0; rep < 2; ++rep) {
        const json* b = Iteration(j, name, rep);
        ASSERT_NE(b, nullptr) << name;
        ExpectFigures(*b);
      }
      EXPECT_TRUE(std::filesystem::exists(out_ / "histograms" /
                                          (store + "_" + st + "_clients_1_insert.json")));
    }
  }
  // Every pair of storages of a store is compared: 3 pairs x 2 stores.
  EXPECT_EQ(j["crashlab"]["comparisons"].size(), 6u);
  // Each comparison is contender / baseline: its p50 ratio follows the two combinations'
  // p50 figures (medians over repetitions; the comparison uses ~1 s spans, so not equal).
  for (const auto& c : j["crashlab"]["comparisons"]) {
    auto p50 = [&](const std::string& name) {
      for (const auto& combo : j["crashlab"]["combinations"]) {
        if (combo["name"] == name) return combo["figures"]["p50_us"]["median"].get<double>();
      }
      return 0.0;
    };
    const double expected = p50(c["contender"]) / p50(c["baseline"]);
    EXPECT_GT(c["p50_ratio"].get<double>(), expected / 2) << c.dump();
    EXPECT_LT(c["p50_ratio"].get<double>(), expected * 2) << c.dump();
  }
  EXPECT_GT(j["crashlab"]["clock_overhead_ns"].get<double>(), 0);
  EXPECT_GT(j["crashlab"]["harness_overhead_ns_per_op"].get<double>(), 0);
  EXPECT_FALSE(j["crashlab"]["storage_devices"]["crashfs"].get<std::string>().empty());
  ExpectCompareAccepts(out_ / "bench.json", dir_->path());
  ExpectPageRenders(out_ / "report.html", 6 * 4, "bench_report_sqlite_redis.png");
}

TEST_F(BenchCli, PostgresTwoStoragesTwoClientCounts) {
  const Result r =
      Bench({"--stores", "postgres", "--storage", "disk,tmpfs", "--clients", "1,4", "--duration",
             "1", "--warmup", "0.3", "--repetitions", "1", "--out", out_.string()},
            dir_->path());
  if (r.out.find("skipped") != std::string::npos) GTEST_SKIP() << r.out;
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(out_ / "bench.json");
  for (const std::string n :
       {"postgres/disk/clients:1/insert", "postgres/disk/clients:4/insert",
        "postgres/tmpfs/clients:1/insert", "postgres/tmpfs/clients:4/insert"}) {
    const json* b = Iteration(j, n, 0);
    ASSERT_NE(b, nullptr) << n;
    ExpectFigures(*b);
  }
  EXPECT_EQ(Iteration(j, "postgres/disk/clients:4/insert", 0)->at("threads"), 4);
}

TEST_F(BenchCli, ReadAndMixWorkloadsReadRealRows) {
  for (const std::string w : {"read", "mix"}) {
    const Result r = Bench(
        {"--stores", "sqlite,redis", "--storage", "tmpfs", "--workload", w, "--keyspace", "200",
         "--duration", "0.5", "--warmup", "0.1", "--repetitions", "1", "--out", out_.string()},
        dir_->path());
    ASSERT_EQ(r.code, 0) << r.out;
    const json j = ReadJson(out_ / "bench.json");
    for (const std::string s : {"sqlite", "redis"}) {
      const json* b = Iteration(j, s + "/tmpfs/clients:1/" + w, 0);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(b->at("failed"), 0) << w << " on " << s << ": every key exists after the prefill";
    }
  }
}

// --rate: open loop; the achieved rate follows the requested one.
TEST_F(BenchCli, OpenLoopHoldsTheRequestedRate) {
  const Result r =
      Bench({"--stores", "sqlite", "--storage", "tmpfs", "--rate", "500", "--clients", "2",
             "--duration", "2", "--warmup", "0.2", "--repetitions", "1", "--out", out_.string()},
            dir_->path());
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(out_ / "bench.json");
  const json* b = Iteration(j, "sqlite/tmpfs/clients:2/insert", 0);
  ASSERT_NE(b, nullptr);
  EXPECT_NEAR(b->at("ops_per_s").get<double>(), 500, 50);
  EXPECT_EQ(j["crashlab"]["loop"], "open");
}

// --fault kill --every: each fault's recovery is measured.
TEST_F(BenchCli, KillFaultsReportRecovery) {
  const Result r = Bench(
      {"--stores", "sqlite", "--storage", "tmpfs", "--clients", "2", "--fault", "kill", "--every",
       "1", "--duration", "3.5", "--warmup", "0.2", "--repetitions", "1", "--out", out_.string()},
      dir_->path());
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(out_ / "bench.json");
  const auto& faults = j["crashlab"]["combinations"][0]["repetitions"][0]["faults"];
  ASSERT_EQ(faults.size(), 3u) << faults.dump();
  for (const auto& f : faults) {
    EXPECT_EQ(f["fault"], "sigkill");
    EXPECT_GT(f["first_ok_ms"].get<double>(), 0) << f.dump();
    EXPECT_LT(f["first_ok_ms"].get<double>(), 1000) << f.dump();
  }
  ExpectPageRenders(out_ / "report.html", 4, "bench_report_kill.png");
}

// A pause is an outage of its hold time: the first acknowledgement comes after it.
TEST_F(BenchCli, PauseOutageIsItsHoldTime) {
  const Result r = Bench({"--stores", "redis", "--storage", "tmpfs", "--fault", "pause", "--set",
                          "hold_ms=300", "--every", "1", "--duration", "2.5", "--warmup", "0.2",
                          "--repetitions", "1", "--out", out_.string()},
                         dir_->path());
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(out_ / "bench.json");
  const auto& faults = j["crashlab"]["combinations"][0]["repetitions"][0]["faults"];
  ASSERT_EQ(faults.size(), 2u) << faults.dump();
  for (const auto& f : faults) {
    EXPECT_GE(f["first_ok_ms"].get<double>(), 300) << f.dump();
    EXPECT_LT(f["first_ok_ms"].get<double>(), 800) << f.dump();
  }
}

TEST_F(BenchCli, ContainerDeployments) {
  const Result r =
      Bench({"--stores", "sqlite", "--deploy", "container-bind,container-volume,container-layer",
             "--duration", "1", "--warmup", "0.3", "--repetitions", "1", "--out", out_.string()},
            dir_->path());
  if (r.out.find("skipped") != std::string::npos) GTEST_SKIP() << r.out;
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(out_ / "bench.json");
  for (const std::string d : {"container-bind", "container-volume", "container-layer"}) {
    const json* b = Iteration(j, "sqlite/" + d + "/clients:1/insert", 0);
    ASSERT_NE(b, nullptr) << d;
    ExpectFigures(*b);
  }
  EXPECT_EQ(j["crashlab"]["comparisons"].size(), 3u);
}

TEST_F(BenchCli, BadInputIsOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"--stores", "nosuch", "--out", "o"},
      {"--storage", "floppy", "--out", "o"},
      {"--storage", "x=relative/dir", "--out", "o"},
      {"--storage", "x=/no/such/dir", "--out", "o"},
      {"--duration", "-1", "--out", "o"},
      {"--duration", "nan", "--out", "o"},
      {"--duration", "inf", "--out", "o"},
      {"--repetitions", "0", "--out", "o"},
      {"--clients", "0", "--out", "o"},
      {"--workload", "scan", "--out", "o"},
      {"--fault", "kill", "--out", "o"},
      {"--every", "2", "--out", "o"},
      {"--stores", "sqlite,sqlite", "--out", "o"},
      {"--deploy", "cloud", "--out", "o"},
      {"--set", "synchronous=off", "--set", "synchronous=full", "--out", "o"},
      {"--set", "nosuchknob=1", "--duration", "0.1", "--out", "o"},
  };
  for (const auto& args : bad) {
    const Result r = Bench(args, dir_->path());
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << joined << "\n" << r.out;
  }
  const Result help = Bench({"--help"}, dir_->path());
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--storage"), std::string::npos);
}

}  // namespace
}  // namespace crashlab

// The fixture of the container suites: runs scenarios, records container figures into
// the JUnit XML, and fails a test that leaves a process, mount or cgroup behind.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "framework/process.h"
#include "framework/testing/crash_test.h"
#include "workloads/container/engine.h"

namespace crashlab::testing {

namespace ctr = crashlab::container;

// Every process descending from this test process. Container processes are children of
// conmon / containerd-shim, which are reparented to the runner (a child subreaper): a
// leftover container or engine process of this test shows up here.
inline std::vector<std::string> Descendants() {
  std::map<pid_t, pid_t> parent;
  std::map<pid_t, std::string> name;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string n = e.path().filename().string();
    if (!std::all_of(n.begin(), n.end(), ::isdigit)) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    const pid_t pid = std::stoi(n);
    parent[pid] = ppid;
    name[pid] = stat.substr(stat.find('(') + 1, close - stat.find('(') - 1) +
                (state == 'Z' ? " (zombie)" : "");
  }
  std::vector<std::string> out;
  for (const auto& [pid, pp] : parent) {
    for (pid_t p = pp; p > 1; p = parent.count(p) ? parent[p] : 0) {
      if (p == ::getpid()) {
        out.push_back(std::to_string(pid) + " " + name[pid]);
        break;
      }
    }
  }
  return out;
}

// Mounts under the dirs of the engines this test process started.
inline std::vector<std::string> EngineMounts() {
  std::vector<std::string> out;
  for (const auto& d : container::EnginesStartedHere()) {
    for (const auto& m : container::MountsUnder(d)) out.push_back(m.string());
  }
  return out;
}

// Cgroups of the engines this process started (each puts its containers under
// /<engine dir name> in every hierarchy).
inline size_t EngineCgroups() {
  size_t n = 0;
  std::error_code ec;
  for (const auto& d : container::EnginesStartedHere()) {
    for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
      if (std::filesystem::exists(h.path() / d.filename(), ec)) ++n;
    }
  }
  return n;
}

// Waits (orphans are reaped by the runner) until no descendant is left.
inline std::vector<std::string> LeftoverProcesses() {
  std::vector<std::string> left;
  for (int i = 0; i < 200; ++i) {
    supervisor::ReapOrphans();
    left = Descendants();
    if (left.empty()) break;
    std::this_thread::sleep_for(Millis(10));
  }
  return left;
}

class ContainerCrashTest : public CrashTest {
 protected:
  void SetUp() override {
    CrashTest::SetUp();
    mounts_before_ = EngineMounts().size();
    cgroups_before_ = EngineCgroups();
  }
  void TearDown() override {
    const auto left = LeftoverProcesses();
    EXPECT_TRUE(left.empty()) << "processes left behind: " << ::testing::PrintToString(left);
    // Only this process's engines count: tests running in parallel have their own.
    EXPECT_LE(EngineMounts().size(), mounts_before_) << ::testing::PrintToString(EngineMounts());
    EXPECT_LE(EngineCgroups(), cgroups_before_) << "engine cgroups left behind";
  }

  static void SkipUnless(const std::string& engine) {
    if (engine == "docker" || engine == "podman") {
      const std::string why = ctr::MissingEngine(engine == "docker" ? ctr::EngineKind::kDocker
                                                                    : ctr::EngineKind::kPodman);
      if (!why.empty()) GTEST_SKIP() << why;
    }
  }

  RunReport Run(const std::string& scenario, std::map<std::string, std::string> set,
                uint32_t cycles, int workers = 1) {
    ScenarioRequest req;
    req.scenario = scenario;
    req.seed = Seed(7);
    req.cycles = cycles;
    req.workers = workers;
    req.set = std::move(set);
    RunReport r = RunScenario(req);
    RecordFigures(r);
    return r;
  }

  // Container kill/restart-to-ready figures into the JUnit XML and the log.
  void RecordFigures(const RunReport& r) {
    for (const char* key : {"stop_to_ready_ms", "start_to_ready_ms", "store_recovery_ms",
                            "restart_to_ready_ms", "gone_ms"}) {
      std::vector<double> v;
      for (const auto& c : r.cycle_records) {
        auto it = c.event.extra.find(key);
        if (it != c.event.extra.end()) v.push_back(std::stod(it->second));
      }
      if (v.empty()) continue;
      const double p50 = Percentile(v, 50), mx = *std::max_element(v.begin(), v.end());
      RecordProperty(std::string(key) + "_p50", std::to_string(p50));
      RecordProperty(std::string(key) + "_max", std::to_string(mx));
      std::printf("  %-20s p50 %7.1f ms  max %7.1f ms  (%zu cycles)\n", key, p50, mx, v.size());
    }
  }

  // The store's data dir keeps its unprivileged owner and mode through every cycle.
  static void ExpectOwnershipKept(const RunReport& r) {
    for (const auto& c : r.cycle_records) {
      const auto& x = c.event.extra;
      ASSERT_TRUE(x.count("data_before")) << "cycle " << c.cycle;
      EXPECT_EQ(x.at("data_before").rfind("dir 10001:10001 0750", 0), 0u) << x.at("data_before");
      if (x.count("data_after")) {
        EXPECT_EQ(x.at("data_after"), x.at("data_before")) << "cycle " << c.cycle;
      }
      EXPECT_EQ(x.count("error"), 0u) << "cycle " << c.cycle << ": " << x.at("error");
    }
  }

  size_t mounts_before_ = 0;
  size_t cgroups_before_ = 0;
};

struct Case {
  std::string name;
  std::string engine;  // auto | podman | docker
  std::map<std::string, std::string> set;
  uint32_t cycles = 5;
  int workers = 1;
};
inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// A containerized store scenario (postgres-/redis-container-restart) on one engine.
struct StoreCase {
  std::string name;
  std::string scenario;
  std::string engine;
  std::map<std::string, std::string> set;
  uint32_t cycles = 5;
};
inline void PrintTo(const StoreCase& c, std::ostream* os) { *os << c.name; }

// The contract of the store suites (fast and nightly): every cycle valid, nothing lost,
// the data dir's owner and mode kept.
class ContainerStoreTest : public ContainerCrashTest,
                           public ::testing::WithParamInterface<StoreCase> {
 protected:
  void ExpectAckedWritesSurvive() {
    const StoreCase& c = GetParam();
    CRASHLAB_SKIP_IF_MISSING(c.scenario);
    SkipUnless(c.engine);
    if (IsSkipped()) return;
    auto set = c.set;
    set["engine"] = c.engine;
    ScenarioRequest req;
    req.scenario = c.scenario;
    req.seed = Seed(11);
    req.cycles = c.cycles;
    req.set = set;
    const RunReport r = RunScenario(req);
    RecordFigures(r);
    ExpectValid(r);
    EXPECT_EQ(r.cycles, c.cycles);
    EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
    ExpectOwnershipKept(r);
  }
};

}  // namespace crashlab::testing

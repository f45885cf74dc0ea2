// Containerized SQLite (seed 000): a private podman or docker engine the test starts
// itself; kill/stop/restart/pause/restart-policy/recreate cycles on bind, volume and no
// mount; N containers on one WAL database; nothing of the engine left behind.
// ctest: labels=suite;container;fast timeout=600
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "faults/container/engine.h"
#include "framework/process.h"
#include "framework/testing/crash_test.h"

namespace crashlab {
namespace {

namespace ctr = crashlab::container;

// Every process descending from this test process. Container processes are children of
// conmon / containerd-shim, which are reparented to the runner (a child subreaper): a
// leftover container or engine process of this test shows up here.
std::vector<std::string> Descendants() {
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

std::vector<std::string> EngineMounts() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("crashlab-engine-") != std::string::npos) out.push_back(line);
  }
  return out;
}

// Cgroups of engines (each engine puts its containers under /crashlab-engine-XXXXXX).
size_t EngineCgroups() {
  size_t n = 0;
  std::error_code ec;
  for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    for (const auto& d : std::filesystem::directory_iterator(h.path(), ec)) {
      if (d.path().filename().string().rfind("crashlab-engine-", 0) == 0) ++n;
    }
  }
  return n;
}

// Waits (orphans are reaped by the runner) until no descendant is left.
std::vector<std::string> LeftoverProcesses() {
  std::vector<std::string> left;
  for (int i = 0; i < 200; ++i) {
    supervisor::ReapOrphans();
    left = Descendants();
    if (left.empty()) break;
    std::this_thread::sleep_for(Millis(10));
  }
  return left;
}

class ContainerSqlite : public testing::CrashTest {
 protected:
  void SetUp() override {
    CrashTest::SetUp();
    mounts_before_ = EngineMounts().size();
    cgroups_before_ = EngineCgroups();
  }
  void TearDown() override {
    const auto left = LeftoverProcesses();
    EXPECT_TRUE(left.empty()) << "processes left behind: " << ::testing::PrintToString(left);
    // Another test binary running in parallel may have an engine mounted: only growth counts.
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
      if (x.count("data_after"))
        EXPECT_EQ(x.at("data_after"), x.at("data_before")) << "cycle " << c.cycle;
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

class ContainerSqliteValid : public ContainerSqlite, public ::testing::WithParamInterface<Case> {};

TEST_P(ContainerSqliteValid, AckedWritesSurvive) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-container-restart");
  const Case& c = GetParam();
  SkipUnless(c.engine);
  auto set = c.set;
  set["engine"] = c.engine;
  const RunReport r = Run("sqlite-container-restart", set, c.cycles, c.workers);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, c.cycles);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
  ExpectOwnershipKept(r);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, ContainerSqliteValid,
    ::testing::Values(
        Case{"KillBind", "podman", {{"fault", "kill"}}},
        Case{"StopBind", "podman", {{"fault", "stop"}}},
        Case{"GracefulRestartBind", "podman", {{"fault", "restart"}}},
        // Frozen for longer than the client's timeout: ops become unknown, never lost.
        Case{"PauseBind",
             "podman",
             {{"fault", "pause"}, {"hold_ms", "1200"}, {"op_timeout_ms", "400"}}},
        Case{"RestartPolicyOnFailure", "podman", {{"fault", "policy"}, {"policy", "on-failure"}}},
        Case{"KillVolume", "podman", {{"fault", "kill"}, {"mount", "volume"}}},
        Case{"RecreateBind", "podman", {{"fault", "recreate"}}},
        Case{"RecreateVolume", "podman", {{"fault", "recreate"}, {"mount", "volume"}}},
        // No mount: the writable layer survives a kill + start of the same container.
        Case{"KillNoMount", "podman", {{"fault", "kill"}, {"mount", "none"}}},
        Case{"BankKillBind", "podman", {{"fault", "kill"}, {"workload", "bank"}}, 5, 2},
        Case{"DockerKillBind", "docker", {{"fault", "kill"}}},
        Case{"DockerRestartPolicyAlways", "docker", {{"fault", "policy"}, {"policy", "always"}}},
        Case{"DockerRecreateVolume", "docker", {{"fault", "recreate"}, {"mount", "volume"}}}),
    [](const auto& info) { return info.param.name; });

// Seed 000's "data persists across restarts" without a mount: the container is removed
// and recreated, its layer (and the database) is gone. The checker must say so.
TEST_F(ContainerSqlite, NoMountRecreateLosesAcknowledgedWrites) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-container-restart");
  const RunReport r =
      Run("sqlite-container-restart", {{"fault", "recreate"}, {"mount", "none"}}, 5);
  ExpectInvalid(r, "lost");
}

// Seed 000's multi-container test: N containers write one WAL database on a shared bind
// mount while containers are killed at random; integrity_check passes and every
// acknowledged row is there.
TEST_F(ContainerSqlite, MultiContainerWalSharedBindMount) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-multi-container");
  const RunReport r = Run("sqlite-multi-container", {{"scope", "some"}}, 6, 3);
  ExpectValid(r);
  EXPECT_EQ(r.cycles, 6u);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
  EXPECT_EQ(r.anomaly_counts.at("integrity"), 0u);
  EXPECT_EQ(r.config.at("container.count"), "3");
  EXPECT_EQ(r.config.at("sqlite.journal_mode"), "wal");
  ExpectOwnershipKept(r);
}

TEST_F(ContainerSqlite, MultiContainerBankOnDocker) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-multi-container");
  SkipUnless("docker");
  const RunReport r =
      Run("sqlite-multi-container", {{"engine", "docker"}, {"workload", "bank"}}, 5, 3);
  ExpectValid(r);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
  EXPECT_EQ(r.anomaly_counts.at("invariant"), 0u);
}

// Ctrl-C in the middle of a run: the run unwinds, and every container, image, volume,
// engine process and mount is gone.
TEST_F(ContainerSqlite, InterruptLeavesNothingBehind) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-container-restart");
  for (const std::string engine : {"podman", "docker"}) {
    if (!ctr::MissingEngine(engine == "docker" ? ctr::EngineKind::kDocker
                                               : ctr::EngineKind::kPodman)
             .empty())
      continue;
    SCOPED_TRACE(engine);
    supervisor::ResetInterrupted();
    std::thread ctrl_c([] {
      std::this_thread::sleep_for(Millis(2500));
      ::kill(::getpid(), SIGINT);
    });
    ScenarioRequest req;
    req.scenario = "sqlite-container-restart";
    req.cycles = 100;
    req.workers = 2;
    req.set = {{"engine", engine}, {"mount", "volume"}};
    bool interrupted = false;
    try {
      crashlab::RunScenario(req);
    } catch (const Interrupted&) {
      interrupted = true;
    } catch (const std::exception& e) {
      // A CLI call killed by the interrupt handler surfaces as a failed command.
      interrupted = supervisor::Interrupted();
      if (!interrupted) ADD_FAILURE() << e.what();
    }
    ctrl_c.join();
    EXPECT_TRUE(interrupted);
    supervisor::ResetInterrupted();
    const auto left = LeftoverProcesses();
    EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
  }
}

// The engine's own listing shows what a run creates, and teardown removes all of it.
TEST_F(ContainerSqlite, EngineTeardownRemovesEverything) {
  for (const auto kind : {ctr::EngineKind::kPodman, ctr::EngineKind::kDocker}) {
    if (!ctr::MissingEngine(kind).empty()) continue;
    SCOPED_TRACE(ctr::ToString(kind));
    TempDir dir("crashlab-engine-");
    std::filesystem::path root;
    {
      auto e = ctr::Engine::Start(kind, dir.path());
      const std::string image = e->BaseImage();
      e->Check({"volume", "create", "crashlab-v"});
      std::vector<std::string> run = {
          "run",  "--detach", "--name",       "crashlab-c", "--network",
          "host", "--volume", "/usr:/usr:ro", "--volume",   "crashlab-v:/data"};
      for (const auto& f : e->RunFlags()) run.push_back(f);
      run.insert(run.end(), {image, "/bin/sleep", "1000"});
      e->Check(run);
      EXPECT_EQ(e->Containers(), std::vector<std::string>{"crashlab-c"});
      EXPECT_EQ(e->Volumes(), std::vector<std::string>{"crashlab-v"});
      EXPECT_EQ(e->Images().size(), 1u);
      EXPECT_TRUE(e->Networks().empty());
      const auto st = e->Inspect("crashlab-c");
      ASSERT_TRUE(st.running);
      EXPECT_FALSE(PidGone(st.pid));
      EXPECT_FALSE(e->EnginePids().empty());
      EXPECT_FALSE(ctr::MountsUnder(dir.path()).empty());
      EXPECT_FALSE(e->CgroupDirs().empty());
      EXPECT_EQ(e->Teardown(), "");
      EXPECT_TRUE(e->CgroupDirs().empty()) << ::testing::PrintToString(e->CgroupDirs());
      EXPECT_TRUE(PidGone(st.pid));
      EXPECT_TRUE(e->EnginePids().empty());
      EXPECT_TRUE(ctr::MountsUnder(dir.path()).empty())
          << ::testing::PrintToString(ctr::MountsUnder(dir.path()));
    }
    std::error_code ec;
    std::filesystem::remove_all(dir.path(), ec);
    EXPECT_FALSE(ec) << ec.message();
  }
}

}  // namespace
}  // namespace crashlab

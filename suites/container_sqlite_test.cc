// Containerized SQLite (seed 000): a private podman or docker engine the test starts
// itself; kill/stop/restart/pause/restart-policy/recreate cycles on bind, volume and no
// mount; N containers on one WAL database; nothing of the engine left behind.
// ctest: labels=suite;container;fast timeout=600
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "workloads/container/testing/container_test.h"

namespace crashlab {
namespace {

using testing::Case;
namespace ctr = crashlab::container;

class ContainerSqlite : public testing::ContainerCrashTest {};
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
        Case{"KillBind", "podman", {{"action", "kill"}}},
        Case{"StopBind", "podman", {{"action", "stop"}}},
        Case{"GracefulRestartBind", "podman", {{"action", "restart"}}},
        // Frozen for longer than the client's timeout: ops become unknown, never lost.
        Case{"PauseBind",
             "podman",
             {{"action", "pause"}, {"hold_ms", "800"}, {"op_timeout_ms", "300"}}},
        Case{"RestartPolicyOnFailure", "podman", {{"action", "policy"}, {"policy", "on-failure"}}},
        Case{"RecreateVolume", "podman", {{"action", "recreate"}, {"mount", "volume"}}},
        Case{"DockerKillBind", "docker", {{"action", "kill"}}}),
    [](const auto& info) { return info.param.name; });

// Seed 000's "data persists across restarts" without a mount: the container is removed
// and recreated, its layer (and the database) is gone. The checker must say so.
TEST_F(ContainerSqlite, NoMountRecreateLosesAcknowledgedWrites) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-container-restart");
  const RunReport r =
      Run("sqlite-container-restart", {{"action", "recreate"}, {"mount", "none"}}, 5);
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
    const auto left = testing::LeftoverProcesses();
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

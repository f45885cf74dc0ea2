// Containerized SQLite, the long matrix: every fault on every storage mode and both
// engines, more cycles, transfers across containers. Same contract as the fast suite.
// ctest: labels=suite;container;nightly timeout=1800
#include <gtest/gtest.h>

#include "workloads/container/testing/container_test.h"

namespace crashlab {
namespace {

using testing::Case;

class ContainerSqliteNightly : public testing::ContainerCrashTest,
                               public ::testing::WithParamInterface<Case> {};

TEST_P(ContainerSqliteNightly, AckedWritesSurvive) {
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
    Matrix, ContainerSqliteNightly,
    ::testing::Values(
        Case{"KillVolume", "podman", {{"action", "kill"}, {"mount", "volume"}}, 15},
        Case{"StopVolume", "podman", {{"action", "stop"}, {"mount", "volume"}}, 10},
        Case{"RecreateBind", "podman", {{"action", "recreate"}}, 10},
        // No mount: the writable layer survives a kill + start of the same container.
        Case{"KillNoMount", "podman", {{"action", "kill"}, {"mount", "none"}}, 10},
        Case{"GracefulRestartNoMount", "podman", {{"action", "restart"}, {"mount", "none"}}, 10},
        Case{"RestartPolicyAlways", "podman", {{"action", "policy"}, {"policy", "always"}}, 10},
        Case{"BankKillBind", "podman", {{"action", "kill"}, {"workload", "bank"}}, 10, 2},
        Case{"KvKillBindNormalSync",
             "podman",
             {{"action", "kill"}, {"workload", "kv"}, {"synchronous", "normal"}},
             10,
             2},
        Case{"DeleteJournalKillBind",
             "podman",
             {{"action", "kill"}, {"journal_mode", "delete"}},
             10},
        Case{"LongPauseBind",
             "podman",
             {{"action", "pause"}, {"hold_ms", "3000"}, {"op_timeout_ms", "500"}},
             5,
             2},
        Case{"DockerStopBind", "docker", {{"action", "stop"}}, 10},
        Case{"DockerGracefulRestartBind", "docker", {{"action", "restart"}}, 10},
        Case{"DockerPauseBind",
             "docker",
             {{"action", "pause"}, {"hold_ms", "800"}, {"op_timeout_ms", "300"}},
             5},
        Case{
            "DockerRestartPolicyAlways", "docker", {{"action", "policy"}, {"policy", "always"}}, 6},
        // Ten quick crashes in a row: docker's restart backoff reaches 51 s by the last one;
        // the container must still come back by itself (stop_to_ready_ms shows the delays).
        Case{"DockerRestartPolicyOnFailure",
             "docker",
             {{"action", "policy"}, {"policy", "on-failure"}},
             10},
        Case{"DockerKillVolume", "docker", {{"action", "kill"}, {"mount", "volume"}}, 10},
        Case{"DockerRecreateVolume", "docker", {{"action", "recreate"}, {"mount", "volume"}}, 10},
        Case{"DockerKillNoMount", "docker", {{"action", "kill"}, {"mount", "none"}}, 10}),
    [](const auto& info) { return info.param.name; });

class ContainerSqliteNightlyLoss : public testing::ContainerCrashTest {};

TEST_F(ContainerSqliteNightlyLoss, DockerNoMountRecreateLosesAcknowledgedWrites) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-container-restart");
  SkipUnless("docker");
  const RunReport r = Run("sqlite-container-restart",
                          {{"engine", "docker"}, {"action", "recreate"}, {"mount", "none"}}, 5);
  ExpectInvalid(r, "lost");
}

TEST_F(ContainerSqliteNightlyLoss, MultiContainerKillAllAtOnce) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-multi-container");
  const RunReport r = Run("sqlite-multi-container", {{"scope", "all"}}, 10, 4);
  ExpectValid(r);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
  EXPECT_EQ(r.anomaly_counts.at("integrity"), 0u);
  ExpectOwnershipKept(r);
}

TEST_F(ContainerSqliteNightlyLoss, MultiContainerBankOnDocker) {
  CRASHLAB_SKIP_IF_MISSING("sqlite-multi-container");
  SkipUnless("docker");
  const RunReport r =
      Run("sqlite-multi-container", {{"engine", "docker"}, {"workload", "bank"}}, 10, 3);
  ExpectValid(r);
  EXPECT_EQ(r.anomaly_counts.at("lost"), 0u);
  EXPECT_EQ(r.anomaly_counts.at("invariant"), 0u);
}

}  // namespace
}  // namespace crashlab

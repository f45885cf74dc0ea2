// PostgreSQL and Redis in containers (seed 001): the host's servers in a private engine's
// containers, data on a bind mount or a named volume, container kill/restart cycles;
// without a mount, a recreated container loses its data and the checker says so.
// ctest: labels=suite;container;fast timeout=600
#include <gtest/gtest.h>

#include "workloads/container/testing/container_test.h"

namespace crashlab {
namespace {

using testing::Case;
using testing::StoreCase;

class ContainerStores : public testing::ContainerStoreTest {};

TEST_P(ContainerStores, AckedWritesSurvive) { ExpectAckedWritesSurvive(); }

INSTANTIATE_TEST_SUITE_P(
    Stores, ContainerStores,
    ::testing::Values(
        StoreCase{"PostgresKillBind", "postgres-container-restart", "podman", {{"action", "kill"}}},
        StoreCase{"RedisKillBind", "redis-container-restart", "podman", {{"action", "kill"}}},
        StoreCase{"RedisRecreateVolumeDocker",
                  "redis-container-restart",
                  "docker",
                  {{"action", "recreate"}, {"mount", "volume"}}}),
    [](const auto& info) { return info.param.name; });

class ContainerStoresLoss : public testing::ContainerCrashTest {};

// Seed 001 claims data "persists across restarts"; without a volume a recreated Redis
// container starts empty, and every acknowledged write of the run is gone.
TEST_F(ContainerStoresLoss, RedisNoMountRecreateLosesAcknowledgedWrites) {
  CRASHLAB_SKIP_IF_MISSING("redis-container-restart");
  ScenarioRequest req;
  req.scenario = "redis-container-restart";
  req.seed = Seed(11);
  req.cycles = 5;
  req.set = {{"action", "recreate"}, {"mount", "none"}};
  const RunReport r = RunScenario(req);
  ExpectInvalid(r, "lost");
}

}  // namespace
}  // namespace crashlab

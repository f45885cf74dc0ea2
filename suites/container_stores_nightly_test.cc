// PostgreSQL and Redis in containers, the long matrix: every container fault, both
// engines, both mounts, more cycles.
// ctest: labels=suite;container;nightly timeout=1800
#include <gtest/gtest.h>

#include "workloads/container/testing/container_test.h"

namespace crashlab {
namespace {

using testing::Case;
using testing::StoreCase;

class ContainerStoresNightly : public testing::ContainerStoreTest {};

TEST_P(ContainerStoresNightly, AckedWritesSurvive) { ExpectAckedWritesSurvive(); }

INSTANTIATE_TEST_SUITE_P(
    Matrix, ContainerStoresNightly,
    ::testing::Values(
        StoreCase{
            "PostgresStopBind", "postgres-container-restart", "podman", {{"action", "stop"}}, 10},
        StoreCase{"PostgresGracefulRestartBind",
                  "postgres-container-restart",
                  "podman",
                  {{"action", "restart"}},
                  10},
        StoreCase{
            "PostgresPauseBind", "postgres-container-restart", "podman", {{"action", "pause"}}, 5},
        StoreCase{"PostgresPolicyVolume",
                  "postgres-container-restart",
                  "podman",
                  {{"action", "policy"}, {"mount", "volume"}},
                  10},
        StoreCase{"PostgresRecreateVolume",
                  "postgres-container-restart",
                  "podman",
                  {{"action", "recreate"}, {"mount", "volume"}},
                  10},
        StoreCase{"PostgresBankKillBind",
                  "postgres-container-restart",
                  "podman",
                  {{"action", "kill"}, {"workload", "bank"}},
                  10},
        StoreCase{"PostgresCriticalKillDocker",
                  "postgres-container-restart",
                  "docker",
                  {{"action", "kill"}, {"workload", "critical"}},
                  10},
        StoreCase{"PostgresPolicyAlwaysDocker",
                  "postgres-container-restart",
                  "docker",
                  {{"action", "policy"}, {"policy", "always"}},
                  10},
        StoreCase{"RedisStopVolume",
                  "redis-container-restart",
                  "podman",
                  {{"action", "stop"}, {"mount", "volume"}},
                  10},
        StoreCase{"RedisGracefulRestartBind",
                  "redis-container-restart",
                  "podman",
                  {{"action", "restart"}},
                  10},
        StoreCase{"RedisPauseBind",
                  "redis-container-restart",
                  "podman",
                  {{"action", "pause"}, {"command_timeout_ms", "300"}, {"hold_ms", "800"}},
                  5},
        StoreCase{
            "RedisPolicyBind", "redis-container-restart", "podman", {{"action", "policy"}}, 10},
        StoreCase{"RedisKillNoMount",
                  "redis-container-restart",
                  "podman",
                  {{"action", "kill"}, {"mount", "none"}},
                  10},
        StoreCase{
            "RedisKillBindDocker", "redis-container-restart", "docker", {{"action", "kill"}}, 10}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace crashlab

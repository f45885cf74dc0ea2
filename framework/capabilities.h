// Capabilities: what a store offers beyond the Target interface. A fault lists those it
// needs and asks the target for the interface with As<...>(target); a store without one
// is simply not paired with that fault (Jepsen's optional DB protocols: Kill, Pause).
#pragma once

#include <map>
#include <string>

#include "framework/target.h"

namespace crashlab {

// What a store offers beyond the Target interface. A fault lists those it needs, and a
// pair whose store lacks one is simply not offered (Jepsen's optional DB protocols).
namespace capability {
inline constexpr const char* kProcesses = "processes";       // local processes (Target::Processes)
inline constexpr const char* kStorage = "storage";           // its data dir on the storage layer
inline constexpr const char* kWrapper = "wrapper";           // starts under a wrapper (fiu-run)
inline constexpr const char* kCheckpoint = "checkpoint";     // the Target is a Checkpointer
inline constexpr const char* kClusterKill = "cluster-kill";  // the Target is a ClusterSignaller
inline constexpr const char* kContainer = "container";       // runs in a container engine
inline constexpr const char* kClientEnv = "client-env";      // the Target is a ClientEnvironment
}  // namespace capability

// Capability interfaces a Target implements; a fault asks for one with As<...>(target).
class Checkpointer {
 public:
  virtual ~Checkpointer() = default;
  // Forces a checkpoint (all dirty pages to disk) and returns when it is done.
  virtual void Checkpoint() = 0;
};
class ClusterSignaller {
 public:
  virtual ~ClusterSignaller() = default;
  // Sends `signal` to every process of the store at once; returns how many.
  virtual int SignalCluster(int signal) = 0;
};
// How the store's own tools reach it (pgbench, redis-benchmark, a user's scripts): the
// environment they need, e.g. PGHOST/PGPORT/PGUSER/PGPASSWORD or REDIS_HOST/REDIS_PORT/
// REDISCLI_AUTH. Holds secrets: pass it as an environment, never on a command line or
// into a report.
class ClientEnvironment {
 public:
  virtual ~ClientEnvironment() = default;
  virtual std::map<std::string, std::string> ClientEnv() const = 0;
};
// The capability `C` of `target`, or nullptr.
template <class C>
C* As(Target& target) {
  return dynamic_cast<C*>(&target);
}

}  // namespace crashlab

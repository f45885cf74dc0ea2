// ContainerTarget: a store whose processes run in containers of a private engine, with
// its data on a bind mount, a named volume or only in the container's writable layer.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/target.h"
#include "workloads/container/engine.h"

namespace crashlab::container {

// Where the store's data lives.
enum class Mount { kBind, kVolume, kNone };
Mount ParseMount(const std::string& s);  // "bind" | "volume" | "none"
std::string ToString(Mount s);

// Where a container's parts are, seen from the host.
struct ContainerPaths {
  std::filesystem::path data;  // the store's data dir (/data in the container)
  std::filesystem::path run;   // the bind-mounted dir for sockets (/crashlab/run inside)
};

// The store-specific half of a containerized target (SQLite agent, postgres, redis):
// what runs in each container, how readiness is probed, how clients talk to it. The
// store's own client code is reused here; only the addresses change.
class ContainerStore {
 public:
  virtual ~ContainerStore() = default;
  virtual std::string Name() const = 0;
  // The command of container `index` (paths as seen inside the container).
  virtual std::vector<std::string> Command(int index) const = 0;
  // Extra read-only bind mounts {host, container} (e.g. a binary outside /usr).
  virtual std::vector<std::pair<std::string, std::string>> ExtraMounts() const { return {}; }
  // A real readiness probe of container `index` (connect and greet, PING, libpq ping).
  virtual bool Ready(int index, const ContainerPaths& paths, Millis timeout) = 0;
  // A client for `worker`, talking to container `index`.
  virtual std::unique_ptr<Client> NewClient(int worker, int index, const ContainerPaths& paths) = 0;
  // Called once in Start, before any container runs (write a config file into the run
  // dir, ...). paths.data is only valid for bind mounts here.
  virtual void Setup(const ContainerPaths& paths) {}
  // One-shot commands (initdb, ...) run in throwaway containers with the store's mounts,
  // in order, before the store's containers start. Not possible with mount=none.
  virtual std::vector<std::vector<std::string>> InitCommands() const { return {}; }
  // The signal `stop`/`restart` send first ("" = the engine's SIGTERM).
  virtual std::string StopSignal() const { return ""; }
  // The main data file/dir under the data dir whose owner and mode the report records.
  virtual std::string DataFile() const { return ""; }
  virtual std::map<std::string, std::string> Config() const { return {}; }
};

// How long a restart policy may take to bring a container back. Docker backs off
// exponentially between restarts (100 ms, doubling, reset after 10 s of uptime, capped
// at 1 min): the ninth quick crash in a row keeps a container down for 25 s.
inline constexpr Millis kPolicyReadyTimeout{90000};

struct ContainerTargetOptions {
  std::shared_ptr<Engine> engine;
  std::filesystem::path dir;      // host dir for data (bind), sockets and logs
  std::string name = "crashlab";  // containers are named NAME-0, NAME-1, ...
  int containers = 1;
  Mount mount = Mount::kBind;
  std::string user = "10001:10001";  // the image's unprivileged `crashlab` user
  std::string restart_policy;        // "" (none) | "always" | "on-failure"
  Millis ready_timeout = Millis(30000);
  Millis stop_timeout = Millis(10000);  // graceful stop/restart before SIGKILL
};

// One store, N containers of one engine. Recover() proves old processes gone (engine
// state + host pid check) before it starts a container again, and probes readiness.
class ContainerTarget : public Target {
 public:
  ContainerTarget(ContainerTargetOptions options, std::unique_ptr<ContainerStore> store);
  ~ContainerTarget() override;

  std::string Name() const override { return store_->Name() + "@" + options_.engine->Name(); }
  void Start() override;
  void Stop() override;
  void Recover() override;
  std::filesystem::path DataDir() const override;
  std::unique_ptr<Client> NewClient(int worker) override;
  std::string LogExcerpt() const override;
  std::map<std::string, std::string> Config() const override;

  // For container faults.
  Engine& engine() { return *options_.engine; }
  const ContainerTargetOptions& options() const { return options_; }
  int containers() const { return options_.containers; }
  std::string ContainerName(int index) const;
  ContainerPaths Paths(int index) const;
  // Creates and starts container `index` (docker/podman run -d); does not wait.
  void RunContainer(int index);
  // Removes container `index` (force).
  void RemoveContainer(int index);
  // Waits until the engine says stopped and `old_pid` no longer exists (not even as a
  // zombie). Throws std::runtime_error on timeout.
  void WaitGone(int index, pid_t old_pid, Millis timeout = Millis(15000));
  // Waits until container `index` runs (with a pid other than `not_pid`) and its store
  // answers the probe; returns when the engine was first seen running it. Throws
  // Unrecoverable (with the container's log) on timeout.
  Clock::time_point WaitReady(int index, pid_t not_pid = 0);
  // "uid:gid mode" of the data dir and of the store's data file.
  std::string DataOwner(int index) const;

 private:
  std::string VolumeName() const { return options_.name + "-data"; }
  // --user, --network, the mounts and the cgroup parent: what every container gets.
  std::vector<std::string> CommonArgs() const;
  ContainerTargetOptions options_;
  std::unique_ptr<ContainerStore> store_;
  std::vector<bool> created_;
  mutable std::map<int, std::filesystem::path> root_cache_;  // mount none: merged dirs
};

}  // namespace crashlab::container

// Container engines (podman, docker) driven through their CLI with argv vectors. Each
// Engine owns a private root under one directory, starts its own daemon if it needs one,
// and removes everything it made (containers, volumes, images, daemon, mounts).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/process.h"
#include "framework/run_command.h"

namespace crashlab::container {

enum class EngineKind { kPodman, kDocker };
std::string ToString(EngineKind kind);

// "" if `kind` can run on this machine, else why not (missing binary, not root).
std::string MissingEngine(EngineKind kind);
// Resolves "auto" (podman if usable, else docker), "podman" or "docker". Returns the
// kind, or nullopt with `why` set when nothing usable is there.
std::optional<EngineKind> ChooseEngine(const std::string& preference, std::string* why);

// A container's state as the engine reports it.
struct ContainerState {
  bool exists = false;
  std::string status;    // running, exited, paused, created, ...
  bool running = false;  // the engine's State.Running (true while paused too)
  bool paused = false;
  pid_t pid = 0;  // host pid of the container's main process (0 if none)
  int restart_count = 0;
  int exit_code = 0;
};

// One engine instance with a private root. Driven from one thread at a time.
class Engine {
 public:
  // Prepares the engine under `dir` (created if missing); for docker, starts a dockerd
  // child (own data-root, exec-root, pidfile, socket; no iptables, no bridge) and waits
  // until it answers. Throws std::runtime_error if the engine cannot start.
  static std::unique_ptr<Engine> Start(EngineKind kind, const std::filesystem::path& dir);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  EngineKind kind() const { return kind_; }
  std::string Name() const { return ToString(kind_); }
  const std::filesystem::path& dir() const { return dir_; }

  // Runs `<engine> <global flags> args...` (RunCommand with the engine's environment);
  // exit_code is -1 if it timed out (err then says so). Throws std::runtime_error only if
  // the CLI cannot be spawned, never for a non-zero exit.
  CommandResult Run(const std::vector<std::string>& args, Millis timeout = Millis(120000));
  // Like Run, but throws std::runtime_error (with stderr) unless the exit code is 0.
  // Returns stdout without the trailing newline.
  std::string Check(const std::vector<std::string>& args, Millis timeout = Millis(120000));

  // The minimal local image (symlinks into a read-only /usr bind mount, passwd with the
  // `crashlab` user 10001, /data owned by it); built and imported once per engine.
  const std::string& BaseImage();

  ContainerState Inspect(const std::string& container);
  // Host path of a named volume's data; of a running container's root (merged layer).
  std::filesystem::path VolumePath(const std::string& volume);
  std::filesystem::path RootPath(const std::string& container);
  // The last lines of a container's output (stdout+stderr).
  std::string Logs(const std::string& container, int lines = 30);

  // What the engine lists as present: container names, volume names, image ids,
  // user-created networks.
  std::vector<std::string> Containers();
  std::vector<std::string> Volumes();
  std::vector<std::string> Images();
  std::vector<std::string> Networks();

  // Removes every container, volume, image and network, stops the daemon, unmounts
  // whatever is still mounted under dir(). Idempotent; never throws. Returns a
  // description of what could not be cleaned ("" if everything went).
  std::string Teardown();

  // Host processes that belong to this engine (daemon, containerd, shims, conmon).
  std::vector<pid_t> EnginePids() const;

  // Flags every `run`/`create` must carry: containers go into a cgroup parent of this
  // engine's own, so that Teardown finds (and kills) even a container process the engine
  // lost track of, e.g. a `runc init` whose CLI call was killed by Ctrl-C.
  std::vector<std::string> RunFlags() const { return {"--cgroup-parent", cgroup_parent_}; }
  // Cgroup directories (all hierarchies) under this engine's cgroup parent.
  std::vector<std::filesystem::path> CgroupDirs() const;

 private:
  Engine(EngineKind kind, std::filesystem::path dir);
  void StartDockerd();
  std::string StopDockerd();
  std::string RemoveCgroups();
  std::vector<std::string> GlobalFlags() const;
  std::vector<std::string> Lines(const std::vector<std::string>& args);

  EngineKind kind_;
  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
  std::string image_;
  std::string cgroup_parent_;  // "/crashlab-<dir name>"
  pid_t dockerd_pid_ = -1;
  bool torn_down_ = false;
};

// The engine of one scenario run and its private directory (a short one under /tmp,
// whatever $TMPDIR is: podman refuses a runroot longer than 50 bytes and socket paths
// must stay below 108), torn down in that order. Hold it in
// ScenarioParts::resources so it outlives the target.
struct EngineResource {
  explicit EngineResource(EngineKind kind);
  ~EngineResource();
  TempDir dir;
  std::shared_ptr<Engine> engine;
};
// Chooses the engine ("auto" | "podman" | "docker") and starts it; throws
// crashlab::PrerequisiteMissing when that engine cannot run here.
std::shared_ptr<EngineResource> MakeEngineResource(const std::string& preference);

// The private dirs of every engine this process started (for leak checks in tests:
// parallel test processes have engines of their own).
std::vector<std::filesystem::path> EnginesStartedHere();

// Mount points under `dir` (deepest first), from /proc/self/mountinfo.
std::vector<std::filesystem::path> MountsUnder(const std::filesystem::path& dir);

// "uid:gid mode" of a path (mode in octal), or "missing".
std::string OwnerMode(const std::filesystem::path& path);

}  // namespace crashlab::container

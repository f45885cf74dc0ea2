// ContainerTarget: container lifecycle through the Engine, storage modes, readiness,
// and the proof that a stopped container's processes are gone before it starts again.
#include "workloads/container/container_target.h"

#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace crashlab::container {

Mount ParseMount(const std::string& s) {
  if (s == "bind") return Mount::kBind;
  if (s == "volume") return Mount::kVolume;
  if (s == "none") return Mount::kNone;
  throw std::invalid_argument("mount must be bind, volume or none, not '" + s + "'");
}

std::string ToString(Mount s) {
  switch (s) {
    case Mount::kBind:
      return "bind";
    case Mount::kVolume:
      return "volume";
    case Mount::kNone:
      return "none";
  }
  return "?";
}

namespace {
std::pair<uid_t, gid_t> ParseUser(const std::string& user) {
  const auto colon = user.find(':');
  const uid_t uid = static_cast<uid_t>(std::stoul(user.substr(0, colon)));
  const gid_t gid =
      colon == std::string::npos ? uid : static_cast<gid_t>(std::stoul(user.substr(colon + 1)));
  return {uid, gid};
}
}  // namespace

ContainerTarget::ContainerTarget(ContainerTargetOptions options,
                                 std::unique_ptr<ContainerStore> store)
    : options_(std::move(options)), store_(std::move(store)) {
  if (!options_.engine) throw std::invalid_argument("ContainerTarget needs an engine");
  if (options_.containers < 1)
    throw std::invalid_argument("ContainerTarget: containers must be >= 1");
  if (options_.mount == Mount::kNone && options_.containers > 1) {
    throw std::invalid_argument(
        "mount=none gives each container its own writable layer: one container only");
  }
  created_.assign(static_cast<size_t>(options_.containers), false);
}

ContainerTarget::~ContainerTarget() {
  for (int i = 0; i < options_.containers; ++i) {
    if (created_[static_cast<size_t>(i)]) {
      try {
        RemoveContainer(i);
      } catch (...) {
      }
    }
  }
}

std::string ContainerTarget::ContainerName(int index) const {
  return options_.name + "-" + std::to_string(index);
}

ContainerPaths ContainerTarget::Paths(int index) const {
  ContainerPaths p;
  p.run = options_.dir / "run";
  switch (options_.mount) {
    case Mount::kBind:
      p.data = options_.dir / "data";
      break;
    case Mount::kVolume:
      p.data = options_.engine->VolumePath(VolumeName());
      break;
    case Mount::kNone: {
      auto it = root_cache_.find(index);
      if (it == root_cache_.end()) {
        it = root_cache_.emplace(index, options_.engine->RootPath(ContainerName(index))).first;
      }
      p.data = it->second / "data";
      break;
    }
  }
  return p;
}

fs::path ContainerTarget::DataDir() const { return Paths(0).data; }

void ContainerTarget::Start() {
  const auto [uid, gid] = ParseUser(options_.user);
  fs::create_directories(options_.dir / "run");
  ChownRecursive(options_.dir / "run", uid, gid);
  if (options_.mount == Mount::kBind) {
    // An unprivileged store needs its data dir to be its own: chown, 0750.
    fs::create_directories(options_.dir / "data");
    ChownRecursive(options_.dir / "data", uid, gid);
    fs::permissions(options_.dir / "data", fs::perms(0750), fs::perm_options::replace);
  } else if (options_.mount == Mount::kVolume) {
    options_.engine->Check({"volume", "create", VolumeName()});
  }
  const std::string image = options_.engine->BaseImage();
  store_->Setup(options_.mount == Mount::kNone ? ContainerPaths{{}, options_.dir / "run"}
                                               : Paths(0));
  for (const auto& cmd : store_->InitCommands()) {
    if (options_.mount == Mount::kNone) {
      throw std::invalid_argument(store_->Name() +
                                  " needs an init step: mount=none is not supported");
    }
    std::vector<std::string> a = {"run", "--rm"};
    for (const auto& x : CommonArgs()) a.push_back(x);
    a.push_back(image);
    a.insert(a.end(), cmd.begin(), cmd.end());
    options_.engine->Check(a, Millis(300000));
  }
  for (int i = 0; i < options_.containers; ++i) RunContainer(i);
  for (int i = 0; i < options_.containers; ++i) WaitReady(i);
}

std::vector<std::string> ContainerTarget::CommonArgs() const {
  std::vector<std::string> a = {
      "--network", "host",         "--user",   options_.user,
      "--volume",  "/usr:/usr:ro", "--volume", (options_.dir / "run").string() + ":/crashlab/run"};
  for (const auto& [host, inside] : store_->ExtraMounts()) {
    a.push_back("--volume");
    a.push_back(host + ":" + inside + ":ro");
  }
  if (options_.mount == Mount::kBind) {
    a.push_back("--volume");
    a.push_back((options_.dir / "data").string() + ":/data");
  } else if (options_.mount == Mount::kVolume) {
    a.push_back("--volume");
    a.push_back(VolumeName() + ":/data");
  }
  for (const auto& f : options_.engine->RunFlags()) a.push_back(f);
  return a;
}

void ContainerTarget::RunContainer(int index) {
  Engine& e = *options_.engine;
  std::vector<std::string> a = {"run", "--detach", "--name", ContainerName(index)};
  for (const auto& x : CommonArgs()) a.push_back(x);
  if (!options_.restart_policy.empty()) {
    a.push_back("--restart");
    a.push_back(options_.restart_policy);
  }
  if (!store_->StopSignal().empty()) {
    a.push_back("--stop-signal");
    a.push_back(store_->StopSignal());
  }
  a.push_back("--stop-timeout");
  a.push_back(std::to_string(std::max<int64_t>(1, options_.stop_timeout.count() / 1000)));
  a.push_back(e.BaseImage());
  for (const auto& c : store_->Command(index)) a.push_back(c);
  root_cache_.erase(index);
  created_[static_cast<size_t>(index)] = true;
  e.Check(a);
}

void ContainerTarget::RemoveContainer(int index) {
  root_cache_.erase(index);
  const ContainerState s = options_.engine->Inspect(ContainerName(index));
  if (s.exists) options_.engine->Check({"rm", "--force", ContainerName(index)});
  if (s.pid > 0) WaitGone(index, s.pid);
  created_[static_cast<size_t>(index)] = false;
}

void ContainerTarget::WaitGone(int index, pid_t old_pid, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // The container's processes are the engine's children (conmon, a shim), not ours;
    // the engine's word is not enough: the host pid must be gone too.
    supervisor::ReapOrphans();
    const ContainerState s = options_.engine->Inspect(ContainerName(index));
    const bool engine_stopped = !s.exists || !s.running || (old_pid > 0 && s.pid != old_pid);
    if (engine_stopped && (old_pid <= 0 || PidGone(old_pid))) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error("container " + ContainerName(index) + " (pid " +
                               std::to_string(old_pid) + ") still " +
                               (engine_stopped ? "has a live process" : s.status) + " after " +
                               std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(Millis(5));
  }
}

Clock::time_point ContainerTarget::WaitReady(int index, pid_t not_pid) {
  const auto deadline = Clock::now() + options_.ready_timeout;
  ContainerState s;
  std::optional<Clock::time_point> running_since;
  for (;;) {
    ThrowIfInterrupted();
    s = options_.engine->Inspect(ContainerName(index));
    if (s.exists && s.running && !s.paused && s.pid > 0 && s.pid != not_pid) {
      if (!running_since) running_since = Clock::now();
      const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (store_->Ready(index, Paths(index), std::max(Millis(50), std::min(left, Millis(1000))))) {
        return *running_since;
      }
    }
    if (Clock::now() > deadline) break;
    std::this_thread::sleep_for(Millis(5));
  }
  throw Unrecoverable(
      "container " + ContainerName(index) + " not ready after " +
          std::to_string(options_.ready_timeout.count()) + " ms (state " +
          (s.exists ? s.status + ", exit code " + std::to_string(s.exit_code) : "gone") + ")",
      options_.engine->Logs(ContainerName(index)));
}

void ContainerTarget::Stop() {
  for (int i = 0; i < options_.containers; ++i) {
    if (!created_[static_cast<size_t>(i)]) continue;
    const ContainerState s = options_.engine->Inspect(ContainerName(i));
    if (s.exists && s.running) {
      options_.engine->Run({"stop", "--time", std::to_string(options_.stop_timeout.count() / 1000),
                            ContainerName(i)});
    }
    RemoveContainer(i);
  }
}

void ContainerTarget::Recover() {
  for (int i = 0; i < options_.containers; ++i) {
    ContainerState s = options_.engine->Inspect(ContainerName(i));
    if (s.exists && s.paused) {
      options_.engine->Check({"unpause", ContainerName(i)});
      s = options_.engine->Inspect(ContainerName(i));
    }
    if (!s.exists) {
      throw Unrecoverable("container " + ContainerName(i) + " is gone", LogExcerpt());
    }
    if (!s.running) {
      if (!options_.restart_policy.empty()) {
        // The engine was supposed to bring it back by itself: give it the ready timeout.
        WaitReady(i);
        continue;
      }
      WaitGone(i, s.pid);
      options_.engine->Check({"start", ContainerName(i)});
    }
    WaitReady(i);
  }
}

std::unique_ptr<Client> ContainerTarget::NewClient(int worker) {
  const int index = worker < 0 ? 0 : worker % options_.containers;
  return store_->NewClient(worker, index, Paths(index));
}

std::string ContainerTarget::DataOwner(int index) const {
  const ContainerPaths p = Paths(index);
  std::string s = "dir " + OwnerMode(p.data);
  if (!store_->DataFile().empty()) s += ", file " + OwnerMode(p.data / store_->DataFile());
  return s;
}

std::string ContainerTarget::LogExcerpt() const {
  std::string out;
  for (int i = 0; i < options_.containers; ++i) {
    out += "--- " + ContainerName(i) + " ---\n" + options_.engine->Logs(ContainerName(i), 15);
  }
  return out;
}

std::map<std::string, std::string> ContainerTarget::Config() const {
  auto c = store_->Config();
  c["container.engine"] = options_.engine->Name();
  c["container.count"] = std::to_string(options_.containers);
  c["container.mount"] = ToString(options_.mount);
  c["container.user"] = options_.user;
  c["container.restart_policy"] = options_.restart_policy.empty() ? "no" : options_.restart_policy;
  c["container.image"] =
      "localhost/crashlab-base:1 (rootfs of /usr symlinks, /usr bind-mounted ro)";
  return c;
}

}  // namespace crashlab::container

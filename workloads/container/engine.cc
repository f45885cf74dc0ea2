// Engine: podman with a private root and containers.conf, or a private dockerd child;
// every CLI call is an argv vector through RunCommand; teardown leaves nothing behind.
#include "workloads/container/engine.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "framework/run_record.h"
#include "framework/scenario.h"
#include "framework/unique_fd.h"

namespace fs = std::filesystem;

namespace crashlab::container {

namespace {

constexpr uid_t kStoreUid = 10001;  // the unprivileged `crashlab` user of the base image
constexpr const char* kImageName = "localhost/crashlab-base:1";

bool OnPath(const std::string& prog) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && ::access((fs::path(dir) / prog).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

bool Reaped(pid_t pid) {
  int st;
  const pid_t r = ::waitpid(pid, &st, WNOHANG);
  if (r == pid) return true;
  if (r < 0 && errno == ECHILD) return PidGone(pid);  // reaped by the orphan reaper
  return false;
}

}  // namespace

std::string ToString(EngineKind kind) { return kind == EngineKind::kPodman ? "podman" : "docker"; }

std::string MissingEngine(EngineKind kind) {
  if (::geteuid() != 0) return "container engines need root here (private roots, cgroupfs)";
  if (kind == EngineKind::kPodman) {
    if (!OnPath("podman")) return "podman is not installed (apt-get install podman runc)";
    if (!OnPath("runc")) return "runc is not installed (crun fails on this cgroup layout)";
    return "";
  }
  if (!OnPath("dockerd")) return "dockerd is not installed (apt-get install docker.io)";
  if (!OnPath("docker")) return "the docker client is not installed";
  if (!OnPath("containerd")) return "containerd is not installed";
  return "";
}

std::optional<EngineKind> ChooseEngine(const std::string& pref, std::string* why) {
  std::vector<EngineKind> kinds;
  if (pref == "podman")
    kinds = {EngineKind::kPodman};
  else if (pref == "docker")
    kinds = {EngineKind::kDocker};
  else
    kinds = {EngineKind::kPodman, EngineKind::kDocker};
  std::string reasons;
  for (EngineKind k : kinds) {
    const std::string m = MissingEngine(k);
    if (m.empty()) return k;
    reasons += (reasons.empty() ? "" : "; ") + m;
  }
  if (why) *why = reasons;
  return std::nullopt;
}

Engine::Engine(EngineKind kind, fs::path dir)
    : kind_(kind), dir_(std::move(dir)), cgroup_parent_("/" + dir_.filename().string()) {}

namespace {
// The engine's own state goes here, not under $TMPDIR (a long TMPDIR broke podman).
constexpr const char* kShortBase = "/tmp";
std::mutex g_started_mu;
std::vector<fs::path>& Started() {
  static std::vector<fs::path> dirs;
  return dirs;
}
}  // namespace

std::vector<fs::path> EnginesStartedHere() {
  std::lock_guard lock(g_started_mu);
  return Started();
}

std::unique_ptr<Engine> Engine::Start(EngineKind kind, const fs::path& dir) {
  fs::create_directories(dir);
  std::unique_ptr<Engine> e(new Engine(kind, fs::absolute(dir)));
  {
    std::lock_guard lock(g_started_mu);
    Started().push_back(e->dir_);
  }
  // If the runner dies, its guardian kills what names this dir, empties the engine's
  // cgroups, unmounts and removes it (the engine's own teardown cannot run then).
  runrecord::Add(runrecord::Kind::kDir, e->dir_.string());
  runrecord::Add(runrecord::Kind::kCgroup, e->cgroup_parent_.substr(1));
  fs::create_directories(e->dir_ / "tmp");
  e->env_["TMPDIR"] = (e->dir_ / "tmp").string();
  if (kind == EngineKind::kPodman) {
    for (const char* d : {"root", "runroot"}) fs::create_directories(e->dir_ / d);
    // runc: crun refuses this cgroup layout; cgroupfs and file events: no systemd here;
    // ulimits: podman's defaults exceed the shell's hard limits.
    WriteFile(e->dir_ / "containers.conf",
              "[containers]\n"
              "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
              "log_driver = \"k8s-file\"\n"
              "[engine]\n"
              "runtime = \"runc\"\n"
              "cgroup_manager = \"cgroupfs\"\n"
              "events_logger = \"file\"\n");
    e->env_["CONTAINERS_CONF"] = (e->dir_ / "containers.conf").string();
    const CommandResult r = e->Run({"info", "--format", "{{.Store.GraphDriverName}}"});
    if (r.exit_code != 0) throw std::runtime_error("podman does not work here: " + r.err);
  } else {
    fs::create_directories(e->dir_ / "cli");
    e->env_["DOCKER_CONFIG"] = (e->dir_ / "cli").string();
    e->StartDockerd();
  }
  return e;
}

Engine::~Engine() { Teardown(); }

std::vector<std::string> Engine::GlobalFlags() const {
  if (kind_ == EngineKind::kPodman) {
    return {"--root",   (dir_ / "root").string(), "--runroot", (dir_ / "runroot").string(),
            "--tmpdir", (dir_ / "tmp").string()};
  }
  return {"-H", "unix://" + (dir_ / "docker.sock").string()};
}

CommandResult Engine::Run(const std::vector<std::string>& args, Millis timeout) {
  std::vector<std::string> argv = {kind_ == EngineKind::kPodman ? "podman" : "docker"};
  for (const auto& f : GlobalFlags()) argv.push_back(f);
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, timeout, env_);
  if (!r.started) throw std::runtime_error(r.err);
  if (r.timed_out) r.err += "\n(timed out after " + std::to_string(timeout.count()) + " ms)";
  return r;
}

std::string Engine::Check(const std::vector<std::string>& args, Millis timeout) {
  CommandResult r = Run(args, timeout);
  if (r.exit_code != 0) {
    throw std::runtime_error(r.command + " failed (exit " + std::to_string(r.exit_code) +
                             "): " + Trim(r.err));
  }
  return Trim(r.out);
}

std::vector<std::string> Engine::Lines(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  const CommandResult r = Run(args, Millis(30000));
  if (r.exit_code != 0) return out;
  std::stringstream ss(r.out);
  std::string line;
  while (std::getline(ss, line)) {
    line = Trim(line);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

void Engine::StartDockerd() {
  fs::create_directories(dir_ / "data");
  fs::create_directories(dir_ / "exec");
  const fs::path sock = dir_ / "docker.sock";
  std::vector<std::string> args = {"dockerd",
                                   "--data-root",
                                   (dir_ / "data").string(),
                                   "--exec-root",
                                   (dir_ / "exec").string(),
                                   "--pidfile",
                                   (dir_ / "dockerd.pid").string(),
                                   "-H",
                                   "unix://" + sock.string(),
                                   "--iptables=false",
                                   "--ip6tables=false",
                                   "--bridge=none",
                                   "--ip-masq=false",
                                   "--userland-proxy=false",
                                   "--storage-driver=overlay2",
                                   "--default-ulimit",
                                   "nofile=20000:20000"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = (dir_ / "dockerd.log").string();
  const UniqueFd log_fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  const UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // Our own fork/exec, not Process: the daemon gets a session of its own, so neither the
  // terminal's Ctrl-C nor the runner's interrupt handler (which SIGKILLs the process
  // groups it started) takes it down before Teardown has removed the containers through
  // it. PDEATHSIG still ends it if the runner itself dies.
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(null_fd.get(), 0);
    ::dup2(log_fd.get(), 1);
    ::dup2(log_fd.get(), 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp("dockerd", argv.data());
    _exit(127);
  }
  dockerd_pid_ = pid;
  const auto deadline = Clock::now() + Millis(60000);
  for (;;) {
    if (Reaped(pid)) {
      dockerd_pid_ = -1;
      throw std::runtime_error("dockerd exited at start:\n" + TailFile(log, 20));
    }
    if (fs::exists(sock) &&
        Run({"version", "--format", "{{.Server.Version}}"}, Millis(5000)).exit_code == 0) {
      return;
    }
    if (Clock::now() > deadline) {
      StopDockerd();
      throw std::runtime_error("dockerd not ready after 60 s:\n" + TailFile(log, 20));
    }
    std::this_thread::sleep_for(Millis(50));
  }
}

std::string Engine::StopDockerd() {
  if (dockerd_pid_ <= 0) return "";
  const pid_t pid = dockerd_pid_;
  ::kill(pid, SIGTERM);
  auto deadline = Clock::now() + Millis(20000);
  while (!Reaped(pid) && Clock::now() < deadline) std::this_thread::sleep_for(Millis(20));
  std::string problem;
  if (!PidGone(pid)) {
    problem = "dockerd ignored SIGTERM for 20 s; killed. ";
    ::kill(pid, SIGKILL);
    deadline = Clock::now() + Millis(5000);
    while (!Reaped(pid) && Clock::now() < deadline) std::this_thread::sleep_for(Millis(5));
  }
  dockerd_pid_ = -1;
  return problem;
}

std::vector<pid_t> Engine::EnginePids() const {
  // An engine process names our private root somewhere on its command line (dockerd's
  // --data-root, containerd's config under exec-root, shims' -address, conmon's paths).
  std::vector<pid_t> pids;
  const std::string needle = dir_.string();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(needle) != std::string::npos) {
      const pid_t pid = std::stoi(name);
      if (pid != ::getpid()) pids.push_back(pid);
    }
  }
  return pids;
}

const std::string& Engine::BaseImage() {
  if (!image_.empty()) return image_;
  const fs::path root = dir_ / "image" / "rootfs";
  fs::remove_all(root.parent_path());
  fs::create_directories(root);
  // Only symlinks into /usr, which every container gets as a read-only bind mount: the
  // host's binaries and libraries (the agent, postgres, redis) run unchanged.
  for (const char* d : {"bin", "sbin", "lib", "lib64", "lib32", "libx32"}) {
    if (fs::exists(fs::path("/usr") / d))
      fs::create_directory_symlink(fs::path("usr") / d, root / d);
  }
  for (const char* d : {"usr", "etc", "tmp", "data", "crashlab", "crashlab/bin", "crashlab/run",
                        "proc", "sys", "dev"}) {
    fs::create_directories(root / d);
  }
  ::chmod((root / "tmp").c_str(), 01777);
  WriteFile(root / "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "crashlab:x:10001:10001:crashlab store:/data:/usr/sbin/nologin\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  WriteFile(root / "etc/group", "root:x:0:\ncrashlab:x:10001:\nnogroup:x:65534:\n");
  WriteFile(root / "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n");
  WriteFile(root / "etc/hosts", "127.0.0.1 localhost\n");
  // /data belongs to the store user: a named volume mounted there copies this owner.
  if (::chown((root / "data").c_str(), kStoreUid, kStoreUid) != 0 ||
      ::chmod((root / "data").c_str(), 0750) != 0) {
    throw std::runtime_error("chown image /data: " + std::string(strerror(errno)));
  }
  const fs::path tar = dir_ / "image" / "base.tar";
  {
    ProcessOptions po;
    po.argv = {"tar", "--numeric-owner", "-C", root.string(), "-cf", tar.string(), "."};
    po.log = dir_ / "image" / "tar.log";
    Process p = Process::Spawn(po);
    if (!p.WaitFor(Millis(60000)) || p.raw_status() != 0) {
      throw std::runtime_error("tar of the base image failed: " + TailFile(po.log, 5));
    }
  }
  Check({"import", tar.string(), kImageName});
  image_ = kImageName;
  return image_;
}

ContainerState Engine::Inspect(const std::string& c) {
  ContainerState s;
  const CommandResult r =
      Run({"inspect", "--type", "container", "--format",
           "{{.State.Status}}|{{.State.Running}}|{{.State.Paused}}|{{.State.Pid}}|"
           "{{.RestartCount}}|{{.State.ExitCode}}",
           c},
          Millis(30000));
  if (r.exit_code != 0) return s;
  std::vector<std::string> f;
  std::stringstream ss(Trim(r.out));
  std::string part;
  while (std::getline(ss, part, '|')) f.push_back(part);
  if (f.size() < 6) return s;
  s.exists = true;
  s.status = f[0];
  s.running = f[1] == "true";
  s.paused = f[2] == "true";
  s.pid = static_cast<pid_t>(std::stol(f[3]));
  s.restart_count = std::stoi(f[4]);
  s.exit_code = std::stoi(f[5]);
  return s;
}

fs::path Engine::VolumePath(const std::string& volume) {
  return Check({"volume", "inspect", "--format", "{{.Mountpoint}}", volume});
}

fs::path Engine::RootPath(const std::string& c) {
  return Check(
      {"inspect", "--type", "container", "--format", "{{.GraphDriver.Data.MergedDir}}", c});
}

std::string Engine::Logs(const std::string& c, int lines) {
  const CommandResult r = Run({"logs", "--tail", std::to_string(lines), c}, Millis(30000));
  return r.out + r.err;
}

std::vector<std::string> Engine::Containers() {
  return Lines({"ps", "-a", "--format", "{{.Names}}"});
}
std::vector<std::string> Engine::Volumes() { return Lines({"volume", "ls", "-q"}); }
std::vector<std::string> Engine::Images() { return Lines({"images", "-q"}); }
std::vector<std::string> Engine::Networks() {
  std::vector<std::string> out;
  for (auto& n : Lines({"network", "ls", "--format", "{{.Name}}"})) {
    if (n != "podman" && n != "host" && n != "none" && n != "bridge") out.push_back(n);
  }
  return out;
}

std::string Engine::Teardown() {
  if (torn_down_) return "";
  torn_down_ = true;
  std::string problems;
  try {
    if (kind_ == EngineKind::kDocker && dockerd_pid_ > 0 && Reaped(dockerd_pid_)) dockerd_pid_ = -1;
    const bool can_talk = kind_ == EngineKind::kPodman || dockerd_pid_ > 0;
    if (can_talk) {
      if (kind_ == EngineKind::kPodman) {
        Run({"rm", "--all", "--force", "--time", "0"});
      } else {
        auto ids = Lines({"ps", "-aq"});
        if (!ids.empty()) {
          ids.insert(ids.begin(), {"rm", "--force", "--volumes"});
          Run(ids);
        }
      }
      for (const auto& v : Volumes()) Run({"volume", "rm", "--force", v});
      for (const auto& n : Networks()) Run({"network", "rm", n});
      if (const auto imgs = Images(); !imgs.empty()) {
        std::vector<std::string> a = {"rmi", "--force"};
        a.insert(a.end(), imgs.begin(), imgs.end());
        Run(a);
      }
      const auto c = Containers(), v = Volumes(), i = Images(), n = Networks();
      if (!c.empty()) problems += std::to_string(c.size()) + " container(s) left; ";
      if (!v.empty()) problems += std::to_string(v.size()) + " volume(s) left; ";
      if (!i.empty()) problems += std::to_string(i.size()) + " image(s) left; ";
      if (!n.empty()) problems += std::to_string(n.size()) + " network(s) left; ";
    }
    if (kind_ == EngineKind::kDocker) problems += StopDockerd();
  } catch (const std::exception& e) {
    problems += std::string("teardown: ") + e.what() + "; ";
  }
  // Whatever engine process is still there (conmon, a shim, containerd, a late
  // `podman container cleanup` of a restart policy): it names our root, so it is ours to
  // end. Repeat until a pass finds nothing: such a late process may mount or create a
  // cgroup after the previous pass looked.
  std::string last;
  for (int pass = 0; pass < 5; ++pass) {
    std::string pass_problems;
    bool found = false;
    auto deadline = Clock::now() + Millis(5000);
    for (;;) {
      supervisor::ReapOrphans();
      const auto pids = EnginePids();
      if (pids.empty()) break;
      found = true;
      if (Clock::now() > deadline) {
        for (pid_t p : pids) ::kill(p, SIGKILL);
        if (Clock::now() > deadline + Millis(5000)) {
          pass_problems += std::to_string(pids.size()) + " engine process(es) survived SIGKILL; ";
          break;
        }
      }
      std::this_thread::sleep_for(Millis(20));
    }
    found = found || !CgroupDirs().empty() || !MountsUnder(dir_).empty();
    pass_problems += RemoveCgroups();
    for (const auto& m : MountsUnder(dir_)) {
      if (::umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        pass_problems += "umount " + m.string() + ": " + strerror(errno) + "; ";
      }
    }
    last = pass_problems;
    if (!found) break;
    std::this_thread::sleep_for(Millis(100));
  }
  return problems + last;
}

std::vector<fs::path> Engine::CgroupDirs() const {
  return runrecord::CgroupDirs(cgroup_parent_.substr(1));
}

std::string Engine::RemoveCgroups() {
  const auto deadline = Clock::now() + Millis(5000);
  for (;;) {
    size_t alive = 0;
    for (const auto& d : CgroupDirs()) {
      // A frozen task does not die before it is thawed.
      if (fs::exists(d / "freezer.state")) std::ofstream(d / "freezer.state") << "THAWED";
      if (fs::exists(d / "cgroup.freeze")) std::ofstream(d / "cgroup.freeze") << "0";
      std::ifstream in(d / "cgroup.procs");
      pid_t pid;
      while (in >> pid) {
        ::kill(pid, SIGKILL);
        ++alive;
      }
    }
    supervisor::ReapOrphans();
    if (alive == 0) break;
    if (Clock::now() > deadline)
      return std::to_string(alive) + " process(es) in the engine's cgroups survived SIGKILL; ";
    std::this_thread::sleep_for(Millis(10));
  }
  std::string problems;
  for (const auto& d : CgroupDirs()) {
    if (::rmdir(d.c_str()) != 0 && errno != ENOENT) {
      problems += "rmdir " + d.string() + ": " + strerror(errno) + "; ";
    }
  }
  return problems;
}

EngineResource::EngineResource(EngineKind kind) : dir("crashlab-engine-", kShortBase) {
  engine = Engine::Start(kind, dir.path());
}

EngineResource::~EngineResource() {
  const std::string left = engine->Teardown();
  if (!left.empty())
    std::fprintf(stderr, "crashlab: container engine teardown: %s\n", left.c_str());
}

std::shared_ptr<EngineResource> MakeEngineResource(const std::string& preference) {
  std::string why;
  const auto kind = ChooseEngine(preference, &why);
  if (!kind) throw PrerequisiteMissing("container engine " + preference + ": " + why);
  return std::make_shared<EngineResource>(*kind);
}

std::vector<fs::path> MountsUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  const std::string prefix = dir.string();
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string id, parent, devno, root, mnt;
    ss >> id >> parent >> devno >> root >> mnt;
    // mountinfo escapes spaces as \040; our paths have none.
    if (mnt == prefix || mnt.rfind(prefix + "/", 0) == 0) out.emplace_back(mnt);
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  return out;
}

std::string OwnerMode(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return "missing";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " " + mode;
}

}  // namespace crashlab::container

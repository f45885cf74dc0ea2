// Run records, the guardian's loop and the cleanup of what a dead runner left.
#include "framework/run_record.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "framework/helpers.h"
#include "framework/unique_fd.h"

extern char** environ;

namespace fs = std::filesystem;

namespace crashlab::runrecord {
namespace {

constexpr const char* kResources = "resources";
constexpr const char* kLock = "lock";

std::mutex g_mu;
int g_fd = -1;  // the active record's resource file (O_APPEND)
fs::path g_dir;
std::atomic<uint64_t> g_seq{0};

using Clock = std::chrono::steady_clock;

// True iff `path` lies in `dir` (or is it).
bool Under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Only what crashlab names: absolute, not a top-level dir, a "crashlab" name.
bool SafeDir(const std::string& d) {
  const fs::path p(d);
  return p.is_absolute() && std::distance(p.begin(), p.end()) >= 3 &&
         p.filename().string().find("crashlab") != std::string::npos;
}
bool SafeCgroup(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != ".." &&
         name.find("crashlab") != std::string::npos;
}

std::string ReadLink(const fs::path& p) {
  char buf[4096];
  const ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// True iff the process has a controlling terminal (field 7 of /proc/PID/stat).
bool HasTerminal(const fs::path& proc) {
  const std::string stat = ReadAll(proc / "stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat.substr(close + 2));
  std::string state, ppid, pgrp, session;
  long tty = 0;
  in >> state >> ppid >> pgrp >> session >> tty;
  return tty != 0;
}

// Processes (not this one) whose command line names one of `dirs`, or whose cwd or root
// is in one of them — except, for the latter, a process with a terminal: a user's shell
// looking into a dead run's dir is not the run's (its servers name their dirs, or have no
// terminal after setsid).
std::vector<pid_t> ProcessesIn(const std::vector<std::string>& dirs) {
  std::vector<pid_t> out;
  std::error_code ec;
  const pid_t self = ::getpid();
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == self) continue;
    const std::string cwd = ReadLink(e.path() / "cwd");
    const std::string root = ReadLink(e.path() / "root");
    const std::string cmd = ReadAll(e.path() / "cmdline");
    for (const auto& d : dirs) {
      const bool inside =
          (!cwd.empty() && Under(cwd, d)) || (!root.empty() && root != "/" && Under(root, d));
      if (cmd.find(d) != std::string::npos || (inside && !HasTerminal(e.path()))) {
        out.push_back(pid);
        break;
      }
    }
  }
  return out;
}

struct Mount {
  std::string point;
  std::string fstype;
  unsigned minor = 0;
};

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Mounts at or under one of `dirs`, deepest first.
std::vector<Mount> MountsIn(const std::vector<std::string>& dirs) {
  std::vector<Mount> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, parent, devno, root, point, opts, field;
    ss >> id >> parent >> devno >> root >> point >> opts;
    while (ss >> field && field != "-") {
    }
    Mount m;
    ss >> m.fstype;
    m.point = Unescape(point);
    if (const auto colon = devno.find(':'); colon != std::string::npos)
      m.minor = static_cast<unsigned>(std::stoul(devno.substr(colon + 1)));
    for (const auto& d : dirs) {
      if (Under(m.point, d)) {
        out.push_back(m);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Mount& a, const Mount& b) { return a.point.size() > b.point.size(); });
  return out;
}

// A FUSE mount whose daemon died answers nothing; aborting its connection fails every
// waiting request, so the processes blocked on it can die.
void AbortFuse(const std::vector<Mount>& mounts, std::vector<std::string>& done) {
  for (const auto& m : mounts) {
    if (m.fstype.rfind("fuse", 0) != 0) continue;
    const fs::path abort = "/sys/fs/fuse/connections/" + std::to_string(m.minor) + "/abort";
    std::ofstream out(abort);
    if (out << "1" << std::flush) done.push_back("aborted the FUSE connection of " + m.point);
  }
}

void KillProcesses(const std::vector<std::string>& dirs, std::vector<std::string>& done) {
  if (dirs.empty()) return;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  std::vector<pid_t> killed;
  for (;;) {
    const auto pids = ProcessesIn(dirs);
    if (pids.empty()) break;
    for (pid_t p : pids) {
      ::kill(p, SIGCONT);
      ::kill(p, SIGKILL);
      if (std::find(killed.begin(), killed.end(), p) == killed.end()) killed.push_back(p);
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (Clock::now() > deadline) {
      done.push_back(std::to_string(pids.size()) + " process(es) survived SIGKILL");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!killed.empty()) {
    std::string list;
    for (pid_t p : killed) list += (list.empty() ? "" : " ") + std::to_string(p);
    done.push_back("killed " + std::to_string(killed.size()) + " process(es): " + list);
  }
}

void RemoveCgroup(const std::string& name, std::vector<std::string>& done) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    size_t alive = 0;
    for (const auto& d : CgroupDirs(name)) {
      std::error_code ec;
      if (fs::exists(d / "freezer.state", ec)) std::ofstream(d / "freezer.state") << "THAWED";
      if (fs::exists(d / "cgroup.freeze", ec)) std::ofstream(d / "cgroup.freeze") << "0";
      std::ifstream in(d / "cgroup.procs");
      pid_t pid;
      while (in >> pid) {
        ::kill(pid, SIGKILL);
        ++alive;
      }
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (alive == 0 || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  size_t removed = 0;
  for (const auto& d : CgroupDirs(name)) {
    if (::rmdir(d.c_str()) == 0) ++removed;
  }
  if (removed > 0)
    done.push_back("removed " + std::to_string(removed) + " cgroup dir(s) named " + name);
  if (const auto left = CgroupDirs(name); !left.empty())
    done.push_back(std::to_string(left.size()) + " cgroup dir(s) named " + name + " remain");
}

void Unmount(const std::vector<std::string>& dirs, std::vector<std::string>& done) {
  for (int pass = 0; pass < 3; ++pass) {
    const auto mounts = MountsIn(dirs);
    if (mounts.empty()) return;
    for (const auto& m : mounts) {
      if (::umount2(m.point.c_str(), MNT_DETACH) == 0)
        done.push_back("unmounted " + m.point + " (" + m.fstype + ")");
    }
  }
}

void RemoveShm(const std::string& value, std::vector<std::string>& done) {
  std::istringstream in(value);
  long id = -1;
  long long key = 0;
  if (!(in >> id >> key) || id < 0) return;
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    struct shmid_ds ds {};
    if (::shmctl(static_cast<int>(id), IPC_STAT, &ds) != 0) return;  // already gone
    if (static_cast<long long>(ds.shm_perm.__key) != key) return;    // not ours any more
    if (ds.shm_nattch == 0) {
      if (::shmctl(static_cast<int>(id), IPC_RMID, nullptr) == 0)
        done.push_back("removed shared-memory segment " + std::to_string(id));
      return;
    }
    if (Clock::now() > deadline) {
      done.push_back("shared-memory segment " + std::to_string(id) + " still attached");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Kind ParseKind(const std::string& s, bool* ok) {
  *ok = true;
  if (s == "dir") return Kind::kDir;
  if (s == "keep-dir") return Kind::kKeepDir;
  if (s == "cgroup") return Kind::kCgroup;
  if (s == "shm") return Kind::kShm;
  *ok = false;
  return Kind::kDir;
}

bool ParseName(const std::string& name, pid_t* pid, uint64_t* start) {
  unsigned long long p = 0, st = 0, seq = 0;
  if (std::sscanf(name.c_str(), "%llu-%llu-%llu", &p, &st, &seq) != 3) return false;
  *pid = static_cast<pid_t>(p);
  *start = st;
  return true;
}

pid_t SpawnGuardian(const fs::path& dir, int read_fd) {
  std::error_code ec;
  fs::path helper;
  for (const auto& c : HelperCandidates("crashlab-guard")) {
    if (fs::exists(c, ec)) {
      helper = c;
      break;
    }
  }
  if (helper.empty()) return 0;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, read_fd, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, def;
  sigemptyset(&none);
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &def);
  // Its own session: a terminal's Ctrl-C or a CI job's group kill does not reach it.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string h = helper.string(), d = dir.string();
  char* argv[] = {h.data(), d.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, h.c_str(), &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : 0;
}

}  // namespace

std::vector<fs::path> CgroupDirs(const std::string& name) {
  std::vector<fs::path> out;
  std::error_code ec;
  std::vector<fs::path> tops;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    tops.push_back(h.path() / name);
  }
  tops.push_back(fs::path("/sys/fs/cgroup") / name);  // a pure v2 layout
  for (const auto& top : tops) {
    if (!fs::is_directory(top, ec)) continue;
    out.push_back(top);
    for (const auto& d : fs::recursive_directory_iterator(top, ec)) {
      if (d.is_directory(ec)) out.push_back(d.path());
    }
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const char* ToString(Kind kind) {
  switch (kind) {
    case Kind::kDir:
      return "dir";
    case Kind::kKeepDir:
      return "keep-dir";
    case Kind::kCgroup:
      return "cgroup";
    case Kind::kShm:
      return "shm";
  }
  return "?";
}

fs::path StateRoot() {
  if (const char* s = std::getenv("CRASHLAB_STATE_DIR"); s && *s) return s;
  if (::geteuid() == 0) return "/run/crashlab";
  const char* t = std::getenv("TMPDIR");
  return fs::path(t && *t ? t : "/tmp") / (".crashlab-state-" + std::to_string(::geteuid()));
}

uint64_t ProcessStartTime(pid_t pid) {
  const std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  // Fields 3.. follow the ')'; a zombie (Z) or dead (X) process counts as gone; starttime
  // is field 22.
  for (int i = 3; i < 22 && (in >> field); ++i) {
    if (i == 3 && (field == "Z" || field == "X")) return 0;
  }
  uint64_t start = 0;
  in >> start;
  return start;
}

ActiveRun::ActiveRun() {
  std::lock_guard lock(g_mu);
  if (g_fd >= 0) return;  // nested: the outer record covers it
  std::error_code ec;
  const fs::path root = StateRoot();
  fs::create_directories(root, ec);
  ::chmod(root.c_str(), 0700);
  const pid_t self = ::getpid();
  const fs::path dir = root / (std::to_string(self) + "-" + std::to_string(ProcessStartTime(self)) +
                               "-" + std::to_string(g_seq.fetch_add(1)));
  if (::mkdir(dir.c_str(), 0700) != 0) return;  // no record: clean cannot help, runs still do
  const int fd =
      ::open((dir / kResources).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    fs::remove_all(dir, ec);
    return;
  }
  g_fd = fd;
  g_dir = dir;
  dir_ = dir;
  owner_ = true;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return;
  guardian_ = SpawnGuardian(dir, p[0]);
  ::close(p[0]);
  if (guardian_ > 0) {
    guardian_fd_ = p[1];
  } else {
    ::close(p[1]);
  }
}

ActiveRun::~ActiveRun() {
  if (!owner_) return;
  {
    std::lock_guard lock(g_mu);
    ::close(g_fd);
    g_fd = -1;
    g_dir.clear();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (guardian_fd_ >= 0) ::close(guardian_fd_);  // the guardian finds no record and leaves
  if (guardian_ > 0) {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < deadline) {
      const pid_t r = ::waitpid(guardian_, nullptr, WNOHANG);
      if (r == guardian_ || (r < 0 && errno == ECHILD)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

void Add(Kind kind, const std::string& value) {
  if (value.find('\n') != std::string::npos) return;
  const std::string line = std::string(ToString(kind)) + "\t" + value + "\n";
  std::lock_guard lock(g_mu);
  if (g_fd < 0) return;
  (void)!::write(g_fd, line.data(), line.size());
}

fs::path ActiveDir() {
  std::lock_guard lock(g_mu);
  return g_dir;
}

Record Read(const fs::path& dir) {
  Record r;
  r.dir = dir;
  if (ParseName(dir.filename().string(), &r.runner, &r.start_time)) {
    r.live = r.start_time != 0 && ProcessStartTime(r.runner) == r.start_time;
  }
  std::ifstream in(dir / kResources);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    bool ok = false;
    const Kind k = ParseKind(line.substr(0, tab), &ok);
    if (ok) r.resources.push_back({k, line.substr(tab + 1)});
  }
  return r;
}

std::vector<Record> List() {
  std::vector<Record> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(StateRoot(), ec)) {
    pid_t pid;
    uint64_t start;
    if (e.is_directory(ec) && ParseName(e.path().filename().string(), &pid, &start))
      out.push_back(Read(e.path()));
  }
  std::sort(out.begin(), out.end(),
            [](const Record& a, const Record& b) { return a.start_time < b.start_time; });
  return out;
}

std::vector<std::string> Clean(const Record& r) {
  std::vector<std::string> done;
  if (r.live || ProcessStartTime(r.runner) == r.start_time) return done;
  const UniqueFd lock(::open((r.dir / kLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return done;
  std::vector<std::string> dirs, removable, cgroups, shms;
  for (const auto& res : r.resources) {
    if ((res.kind == Kind::kDir || res.kind == Kind::kKeepDir) && SafeDir(res.value)) {
      dirs.push_back(res.value);
      if (res.kind == Kind::kDir) removable.push_back(res.value);
    }
    if (res.kind == Kind::kCgroup && SafeCgroup(res.value)) cgroups.push_back(res.value);
    if (res.kind == Kind::kShm) shms.push_back(res.value);
  }
  AbortFuse(MountsIn(dirs), done);
  KillProcesses(dirs, done);
  for (const auto& c : cgroups) RemoveCgroup(c, done);
  KillProcesses(dirs, done);  // a late engine helper (conmon) may have started meanwhile
  Unmount(dirs, done);
  for (const auto& s : shms) RemoveShm(s, done);
  for (const auto& d : removable) {
    std::error_code ec;
    if (!fs::exists(d, ec)) continue;
    if (MountsIn({d}).empty() && fs::remove_all(d, ec) > 0 && !ec) {
      done.push_back("removed " + d);
    } else {
      done.push_back("cannot remove " + d + (ec ? ": " + ec.message() : ": still mounted"));
    }
  }
  std::error_code ec;
  if (fs::remove_all(r.dir, ec) > 0) done.push_back("removed the record " + r.dir.string());
  return done;
}

int Guard(const fs::path& dir, int run_fd) {
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(s, SIG_IGN);
  (void)!::chdir("/");
  for (;;) {
    pollfd p{run_fd, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno == EINTR) continue;
    char buf[64];
    const ssize_t n = ::read(run_fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
  }
  std::error_code ec;
  if (!fs::exists(dir / kResources, ec)) return 0;  // the run ended and cleaned up itself
  Record r = Read(dir);
  while (ProcessStartTime(r.runner) == r.start_time && r.start_time != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!fs::exists(dir / kResources, ec)) return 0;
  }
  r = Read(dir);
  r.live = false;
  for (const auto& line : Clean(r)) {
    std::fprintf(stderr, "crashlab-guard: runner %d died: %s\n", static_cast<int>(r.runner),
                 line.c_str());
  }
  return 0;
}

}  // namespace crashlab::runrecord

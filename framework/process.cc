// Process supervision on Boost.Process: spawn, group kill, reaping, interrupt cleanup.
#include "framework/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bp = boost::process;
namespace fs = std::filesystem;

namespace crashlab {

namespace {

// Process groups the runner started and that may still be alive; read by the signal
// handler, so plain atomics in a fixed array (no allocation, no locks).
constexpr int kMaxGroups = 1024;
std::atomic<pid_t> g_groups[kMaxGroups];
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_interrupt_signal{0};

// Serializes spawning against orphan reaping, so the reaper never takes the exit status
// of a child whose Process object is being built.
std::mutex g_spawn_mu;
std::set<pid_t>& ManagedPids() {
  static std::set<pid_t> pids;
  return pids;
}

void RegisterGroup(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pgid)) return;
  }
}
void UnregisterGroup(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t expected = pgid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void OnInterrupt(int sig) {
  const bool second = g_interrupted.exchange(true);
  g_interrupt_signal.store(sig);
  for (auto& slot : g_groups) {
    const pid_t pgid = slot.load();
    if (pgid > 0) ::kill(-pgid, SIGKILL);
  }
  if (second) _exit(128 + sig);  // a second Ctrl-C: groups are dead, leave now
}

// Runs in the child between fork and exec: only async-signal-safe calls.
struct ChildSetup : bp::extend::handler {
  const ProcessOptions* o;
  int log_fd;
  int null_fd;
  pid_t parent;  // the runner's pid, taken before the fork
  template <class Exec>
  void on_exec_setup(Exec&) const {
    if (o->own_group) ::setpgid(0, 0);
    // Move every source descriptor out of the way first, so that one mapping never
    // clobbers the source of another (pipe fds are often the small numbers we target).
    int moved[64];
    const size_t n = o->fds.size() < 64 ? o->fds.size() : 64;
    for (size_t i = 0; i < n; ++i) moved[i] = ::fcntl(o->fds[i].second, F_DUPFD_CLOEXEC, 200);
    const int null_hi = ::fcntl(null_fd, F_DUPFD_CLOEXEC, 200);
    const int log_hi = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 200);
    ::dup2(null_hi, 0);
    ::dup2(log_hi, 1);
    ::dup2(log_hi, 2);
    for (size_t i = 0; i < n; ++i) ::dup2(moved[i], o->fds[i].first);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    if (o->user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(o->user->gid) != 0 ||
          ::setuid(o->user->uid) != 0) {
        _exit(126);
      }
    }
    // After the privilege drop: setuid clears the parent-death signal. Then the usual
    // race: if the runner died before the prctl, no signal will come, so check.
    if (o->die_with_runner) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(125);
    }
  }
};

// The runner's environment with the options' changes. Built by hand: Boost.Process's
// environment lookup compares len(key)+1 bytes against every entry, reading past the end
// of shorter ones (ASan: heap-buffer-overflow in basic_environment_impl::find). Entries
// go in longest first, so every lookup only meets entries at least as long as it reads.
bp::environment ChildEnvironment(const ProcessOptions& o) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos && eq > 0) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& k : o.unset_env) vars.erase(k);
  for (const auto& [k, v] : o.env) vars[k] = v;
  std::vector<std::pair<std::string, std::string>> sorted(vars.begin(), vars.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.first.size() + a.second.size() > b.first.size() + b.second.size();
  });
  bp::environment env = boost::this_process::environment();
  env.clear();
  for (const auto& [k, v] : sorted) env[k] = v;
  return env;
}

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

std::optional<UserId> LookupUser(const std::string& name) {
  struct passwd pw, *res = nullptr;
  char buf[4096];
  if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &res) != 0 || res == nullptr) return {};
  return UserId{name, pw.pw_uid, pw.pw_gid};
}

fs::path FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos)
    return ::access(program.c_str(), X_OK) == 0 ? fs::path(program) : fs::path();
  return bp::search_path(program).string();
}

Process Process::Spawn(const ProcessOptions& o) {
  if (o.argv.empty()) throw std::runtime_error("spawn: empty argv");
  fs::path exe = o.argv[0];
  if (exe.string().find('/') == std::string::npos) {
    exe = FindProgram(exe.string());
    if (exe.empty()) throw std::runtime_error("spawn: program not found on PATH: " + o.argv[0]);
  }
  const UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd log_file;
  if (!o.log.empty()) {
    log_file.reset(::open(o.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log_file) {
      throw std::runtime_error("spawn: cannot open log " + o.log.string() + ": " + strerror(errno));
    }
    if (o.user) (void)::fchown(log_file.get(), o.user->uid, o.user->gid);
  }
  const int log_fd = log_file ? log_file.get() : null_fd.get();
  bp::environment env = ChildEnvironment(o);
  std::vector<std::string> args(o.argv.begin() + 1, o.argv.end());

  Process p;
  p.name_ = exe.filename().string();
  {
    std::lock_guard lock(g_spawn_mu);
    std::error_code ec;
    ChildSetup setup;
    setup.o = &o;
    setup.log_fd = log_fd;
    setup.null_fd = null_fd.get();
    setup.parent = ::getpid();
    bp::child child;
    try {
      if (o.cwd.empty()) {
        child = bp::child(bp::exe = exe.string(), bp::args = args, env, setup);
      } else {
        child = bp::child(bp::exe = exe.string(), bp::args = args, env,
                          bp::start_dir = o.cwd.string(), setup);
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("spawn " + exe.string() + ": " + e.what());
    }
    p.pid_ = child.id();
    child.detach();  // we wait for it ourselves (pidfd + waitpid)
    ManagedPids().insert(p.pid_);
  }
  p.pgid_ = o.own_group ? p.pid_ : ::getpgid(p.pid_);
  if (o.own_group) {
    ::setpgid(p.pid_, p.pid_);  // also from the parent: no window where a group kill misses
    RegisterGroup(p.pid_);
  }
  p.pidfd_.reset(PidfdOpen(p.pid_));
  return p;
}

Process::Process(Process&& o) noexcept { *this = std::move(o); }

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    Release();
    pid_ = std::exchange(o.pid_, -1);
    pgid_ = std::exchange(o.pgid_, -1);
    pidfd_ = std::move(o.pidfd_);
    status_ = o.status_;
    exited_ = o.exited_;
    name_ = std::move(o.name_);
  }
  return *this;
}

Process::~Process() { Release(); }

void Process::Release() {
  if (pid_ <= 0) return;
  try {
    KillAndReap();
  } catch (...) {
  }
  pidfd_.reset();
  pid_ = -1;
}

bool Process::Running() {
  if (pid_ <= 0 || exited_) return false;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    exited_ = true;
    std::lock_guard lock(g_spawn_mu);
    ManagedPids().erase(pid_);
    return false;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: treat as exited
    exited_ = true;
    std::lock_guard lock(g_spawn_mu);
    ManagedPids().erase(pid_);
    return false;
  }
  return true;
}

std::string Process::DescribeExit() const {
  if (!exited_) return "running";
  if (WIFEXITED(status_)) return "exited with code " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) {
    const int s = WTERMSIG(status_);
    return "killed by signal " + std::to_string(s) + " (" + sigabbrev_np(s) + ")";
  }
  return "status " + std::to_string(status_);
}

void Process::Signal(int sig) {
  if (pid_ > 0 && !exited_) ::kill(pid_, sig);
}

void Process::SignalGroup(int sig) {
  if (pgid_ > 0) ::kill(-pgid_, sig);
  Signal(sig);
}

bool Process::WaitFor(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Running()) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (pidfd_) {
      pollfd pfd{pidfd_.get(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(std::min<long>(left, 50)));
    } else {
      std::this_thread::sleep_for(Millis(1));
    }
  }
  return true;
}

void Process::KillAndReap(Millis timeout) {
  if (pid_ <= 0) return;
  const pid_t pid = pid_;
  if (pgid_ > 0) ::kill(-pgid_, SIGKILL);
  Signal(SIGKILL);
  if (!WaitFor(timeout))
    throw std::runtime_error(name_ + " (pid " + std::to_string(pid) +
                             ") did not die after SIGKILL");
  const auto deadline = Clock::now() + timeout;
  while (pgid_ > 0 && !GroupGone(pgid_)) {
    ::kill(-pgid_, SIGKILL);
    supervisor::ReapOrphans();
    if (Clock::now() > deadline) {
      throw std::runtime_error("process group " + std::to_string(pgid_) + " of " + name_ +
                               " survived SIGKILL");
    }
    std::this_thread::sleep_for(Millis(1));
  }
  if (pgid_ > 0) UnregisterGroup(pgid_);
  if (!PidGone(pid))
    throw std::runtime_error(name_ + " pid " + std::to_string(pid) + " still exists");
}

bool Process::Stop(Millis grace, int sig) {
  if (pid_ <= 0) return true;
  if (!Running()) {
    KillAndReap();  // the group may still hold children
    return true;
  }
  Signal(sig);
  const bool clean = WaitFor(grace);
  KillAndReap();
  return clean;
}

bool PidGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

bool GroupGone(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

namespace supervisor {

void Init() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // a dead agent's pipe is an outcome, not a crash
  });
}

void ReapOrphans() {
  std::lock_guard lock(g_spawn_mu);
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "children");
    pid_t pid;
    while (in >> pid) {
      if (ManagedPids().count(pid)) continue;
      int st;
      ::waitpid(pid, &st, WNOHANG);
    }
  }
}

bool Interrupted() { return g_interrupted.load(std::memory_order_relaxed); }
void ResetInterrupted() { g_interrupted.store(false); }
int InterruptSignal() { return g_interrupt_signal.load(); }

}  // namespace supervisor

void ThrowIfInterrupted() {
  if (supervisor::Interrupted()) throw Interrupted();
}

TempDir::TempDir(const std::string& prefix, fs::path base) {
  if (base.empty()) {
    const char* t = getenv("TMPDIR");
    base = t && *t ? t : "/tmp";
  }
  fs::create_directories(base);
  std::string tmpl = (base / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("cannot create temp dir under " + base.string() + ": " +
                             strerror(errno));
  }
  path_ = tmpl;
}

TempDir::TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)), keep_(o.keep_) {
  o.path_.clear();
}

TempDir::~TempDir() {
  if (path_.empty() || keep_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int FreeLoopbackPort() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error("socket: " + std::string(strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free loopback port: " + std::string(strerror(errno)));
  }
  return ntohs(addr.sin_port);
}

void ChownRecursive(const fs::path& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) {
    throw std::runtime_error("chown " + path.string() + ": " + strerror(errno));
  }
  if (fs::is_directory(fs::symlink_status(path))) {
    for (const auto& e : fs::recursive_directory_iterator(path)) {
      (void)::lchown(e.path().c_str(), uid, gid);
    }
  }
}

std::string TailFile(const fs::path& path, size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

namespace {
// True iff `test <flag> <path>` succeeds when run as `user`.
bool TestAs(const UserId& user, const char* flag, const fs::path& path) {
  ProcessOptions o;
  o.argv = {"test", flag, path.string()};
  o.user = user;
  Process p = Process::Spawn(o);
  if (!p.WaitFor(Millis(10000))) return false;
  return WIFEXITED(p.raw_status()) && WEXITSTATUS(p.raw_status()) == 0;
}
}  // namespace

std::string InaccessibleTo(const fs::path& path, const UserId& user, bool execute) {
  if (TestAs(user, execute ? "-x" : "-r", path)) return "";
  std::error_code ec;
  const bool dir = fs::is_directory(path, ec);
  const std::string why = "user " + user.name + " (uid " + std::to_string(user.uid) + ") cannot " +
                          (execute ? (dir ? "enter " : "run ") : "read ") + path.string();
  fs::path so_far;
  for (const auto& part : fs::absolute(path).parent_path()) {
    so_far /= part;
    if (!TestAs(user, "-x", so_far)) return why + ": no search permission on " + so_far.string();
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return why + ": " + strerror(errno);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return why + " (mode " + mode + ", owner uid " + std::to_string(st.st_uid) + ")";
}

}  // namespace crashlab

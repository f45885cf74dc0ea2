// Process supervision: spawn with an argv vector, own process group, logs, privilege
// drop, stop = SIGTERM then SIGKILL, and proof that a killed process is really gone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/unique_fd.h"

namespace crashlab {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// An unprivileged account a server can be dropped to (PostgreSQL refuses root).
struct UserId {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};
// Looks up a user by name; nullopt if there is none.
std::optional<UserId> LookupUser(const std::string& name);

// The one PATH lookup: the executable `program` in a directory of $PATH (empty if none).
// A name with a '/' is returned as it is if it is executable.
std::filesystem::path FindProgram(const std::string& program);
inline bool ProgramOnPath(const std::string& program) { return !FindProgram(program).empty(); }

struct ProcessOptions {
  std::vector<std::string> argv;           // argv[0] is the program (a path, or a name on PATH)
  std::map<std::string, std::string> env;  // added to (and overriding) the runner's environment
  std::vector<std::string> unset_env;      // removed from the environment
  std::filesystem::path cwd;               // empty: the runner's
  std::filesystem::path log;               // stdout+stderr appended here; empty: /dev/null
  std::optional<UserId> user;              // drop to this user (setgid, setgroups, setuid)
  bool own_group = true;                   // setpgid(0,0): a group kill reaches its children
  bool die_with_runner = true;  // PR_SET_PDEATHSIG(SIGKILL); spawn from a long-lived thread
  // Extra descriptors: {child_fd, parent_fd}; parent_fd is dup2'ed onto child_fd in the
  // child. The caller keeps ownership of parent_fd (and should close it after Spawn).
  std::vector<std::pair<int, int>> fds;
};

// A child process of the runner. Movable, not copyable. The destructor kills the whole
// process group with SIGKILL and reaps the child: nothing a test started outlives it.
class Process {
 public:
  // Spawns the child; throws std::runtime_error naming the program on failure.
  static Process Spawn(const ProcessOptions& options);

  Process() = default;
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  pid_t pgid() const { return pgid_; }
  const std::string& name() const { return name_; }
  // True iff the child has not exited yet (reaps it if it has).
  bool Running();
  // Exit status as from waitpid (valid once !Running()).
  int raw_status() const { return status_; }
  // "exited with code N" / "killed by signal N (SIGKILL)".
  std::string DescribeExit() const;

  // Sends `sig` to the child, or to its whole process group.
  void Signal(int sig);
  void SignalGroup(int sig);
  // Waits until the child exits; returns false if `timeout` elapsed first.
  bool WaitFor(Millis timeout);
  // SIGKILL to the group, reap the child, then wait until no process of the group is
  // left (orphans are reaped by the runner as subreaper). Throws if the group survives.
  void KillAndReap(Millis timeout = Millis(5000));
  // SIGTERM (or `sig`), wait up to `grace`, then KillAndReap. Returns true iff it exited
  // within the grace period.
  bool Stop(Millis grace = Millis(5000), int sig = 15);

 private:
  void Release();
  pid_t pid_ = -1;
  pid_t pgid_ = -1;
  UniqueFd pidfd_;
  int status_ = 0;
  bool exited_ = false;
  std::string name_;
};

// True iff no process with this pid exists (not even a zombie).
bool PidGone(pid_t pid);
// True iff no process is left in process group `pgid`.
bool GroupGone(pid_t pgid);

// Runner-wide supervision. Init() makes the runner a child subreaper (orphaned
// grandchildren, e.g. PostgreSQL backends of a killed postmaster, are reparented to it
// and reaped at once instead of by a slow PID 1) and installs SIGINT/SIGTERM handlers
// that SIGKILL every live process group the runner started, then ask the run to stop.
namespace supervisor {
void Init();
// Reaps exited children that no Process owns (orphans reparented to us).
void ReapOrphans();
// Set once SIGINT/SIGTERM arrived; the run should unwind (destructors clean up).
bool Interrupted();
// For tests: clears the interrupted flag.
void ResetInterrupted();
// The signal that interrupted the run (0 if none).
int InterruptSignal();
}  // namespace supervisor

// Thrown when a run is interrupted by SIGINT/SIGTERM.
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};
// Throws Interrupted if supervisor::Interrupted().
void ThrowIfInterrupted();

// A directory removed (recursively) when this object dies.
class TempDir {
 public:
  // Creates base/prefixXXXXXX (base defaults to $TMPDIR or /tmp).
  explicit TempDir(const std::string& prefix, std::filesystem::path base = {});
  TempDir(TempDir&&) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on disk (for post-mortem of a failed run).
  void Keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// Chown a path recursively (for directories an unprivileged server writes to).
void ChownRecursive(const std::filesystem::path& path, uid_t uid, gid_t gid);

// The last `max_lines` lines of a log file (for "unrecoverable" anomalies).
std::string TailFile(const std::filesystem::path& path, size_t max_lines = 20);

// Why `user` cannot read `path` (with `execute`: cannot run it, or enter it if it is a
// directory): "" if it can. A child dropped to the user tries (test -r / test -x), so
// the mode bits, ACLs and every directory on the way count. The answer is one line and
// names the first directory on the way the user cannot enter, if that is the reason.
std::string InaccessibleTo(const std::filesystem::path& path, const UserId& user,
                           bool execute = false);

}  // namespace crashlab

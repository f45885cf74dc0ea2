// libfiu integration: run a target under fiu-run and switch its failure points at run time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace crashlab::fiu {

// Point names of libfiu's POSIX preload (/usr/share/doc/fiu-utils/function_list.gz).
// libfiu has no point for openat or syncfs.
namespace points {
inline constexpr char kFsync[] = "posix/io/sync/fsync";
inline constexpr char kFdatasync[] = "posix/io/sync/fdatasync";
inline constexpr char kSyncFileRange[] = "linux/io/sync_file_range";
inline constexpr char kWrite[] = "posix/io/rw/write";
inline constexpr char kWriteReduce[] = "posix/io/rw/write/reduce";  // short writes
inline constexpr char kPwrite[] = "posix/io/rw/pwrite";             // pwrite and pwrite64
inline constexpr char kPwriteReduce[] = "posix/io/rw/pwrite/reduce";
inline constexpr char kWritev[] = "posix/io/rw/writev";
inline constexpr char kPwritev[] = "posix/io/rw/pwritev";
inline constexpr char kOpen[] = "posix/io/oc/open";
inline constexpr char kUnlink[] = "posix/io/dir/unlink";
inline constexpr char kRename[] = "posix/io/dir/rename";
inline constexpr char kMmap[] = "posix/mm/mmap";
inline constexpr char kMsync[] = "posix/mm/msync";
}  // namespace points

// One failure point and how it fails; rendered as a libfiu remote-control command.
struct FailurePoint {
  std::string name;  // a point name, or a prefix glob such as "posix/io/sync/*"
  // errno the POSIX preload sets (5 EIO, 28 ENOSPC); ignored by the /reduce points.
  int failinfo = 5;
  // Unset: every call fails. Else each call fails with this probability (enable_random).
  std::optional<double> probability;

  // "enable name=N,failnum=1,failinfo=F" or "enable_random name=N,probability=P,...".
  std::string EnableCommand() const;
  // "disable name=N".
  std::string DisableCommand() const;
};

// How to run a target under fiu-run.
struct RunOptions {
  // Holds the control FIFOs (CTLDIR/ctl-PID.in/.out), so they stay out of /tmp; must exist.
  std::filesystem::path ctl_dir;
  bool posix_preload = true;                   // -x: fail POSIX/libc functions
  std::vector<FailurePoint> enabled_at_start;  // -c 'enable ...' before main() runs
  std::string fiu_run = "fiu-run";             // program, looked up in PATH
};

// argv that runs target_argv under fiu-run. fiu-run execs the target, so the spawned
// PID is the target's PID. Note that fiu-run sets LD_PRELOAD itself (replacing any
// LD_PRELOAD in the environment), so do not combine it with another preload this way.
std::vector<std::string> FiuRunArgv(const RunOptions& options,
                                    const std::vector<std::string>& target_argv);

// "CTLDIR/ctl", the -f prefix fiu-run and fiu-ctrl share.
std::filesystem::path ControlPrefix(const std::filesystem::path& ctl_dir);

// What FiuControl did, and when.
struct Event {
  enum class Kind { kEnable, kDisable };
  Kind kind = Kind::kEnable;
  std::string point;
  std::string command;                         // the exact fiu-ctrl -c argument
  std::chrono::steady_clock::time_point at;    // when the command completed
  std::chrono::system_clock::time_point wall;  // same instant, for reports
  bool ok = false;
  std::string error;  // fiu-ctrl's output when !ok
};

// Remote control of one process started with FiuRunArgv, through fiu-ctrl.
// Thread-safe: enable/disable may come from a schedule thread while others read events().
class FiuControl {
 public:
  FiuControl(std::filesystem::path ctl_dir, pid_t pid, std::string fiu_ctrl = "fiu-ctrl");

  // Waits until the target's preload has created its control FIFOs (right after exec,
  // before main), so that the first Enable() cannot race the target's startup.
  bool WaitReady(std::chrono::milliseconds timeout) const;

  // Runs fiu-ctrl -f CTLDIR/ctl -c CMD PID. Returns false (and records why in the event)
  // if fiu-ctrl reports an error, fails, or does not finish within the timeout.
  bool Enable(const FailurePoint& point);
  bool Disable(const std::string& name);

  std::vector<Event> events() const;
  pid_t pid() const { return pid_; }

  // How long one fiu-ctrl may take; it blocks forever on a target that stopped reading.
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

 private:
  bool Send(Event::Kind kind, const std::string& point, const std::string& command);

  std::filesystem::path ctl_dir_;
  pid_t pid_;
  std::string fiu_ctrl_;
  std::chrono::milliseconds timeout_{5000};
  mutable std::mutex mu_;
  std::vector<Event> events_;  // guarded by mu_
};

// A failure point on for a while: enabled `start` after the window begins, disabled
// `duration` later.
struct Window {
  FailurePoint point;
  std::chrono::milliseconds start{0};
  std::chrono::milliseconds duration{0};
};

// Draws start in [min_start, max_start] and duration in [min_duration, max_duration]
// from seed; the same seed gives the same window on every machine (splitmix64, no
// std::uniform_int_distribution, whose output is implementation-defined).
Window SeededWindow(uint64_t seed, FailurePoint point, std::chrono::milliseconds min_start,
                    std::chrono::milliseconds max_start, std::chrono::milliseconds min_duration,
                    std::chrono::milliseconds max_duration);

// Plays one Window against a FiuControl on a background thread: the shape of a
// Fault's inject() (Start) and heal() (Heal).
class WindowedFault {
 public:
  WindowedFault(FiuControl& control, Window window);
  WindowedFault(const WindowedFault&) = delete;
  WindowedFault& operator=(const WindowedFault&) = delete;
  ~WindowedFault();  // Heal()

  // Starts the window's clock now. Call once.
  void Start();
  // Ends the window now: disables the point if it was enabled, cancels it if not yet.
  // Idempotent; returns when the thread is gone.
  void Heal();
  // Blocks until the window has closed by itself (or was healed), up to timeout.
  bool WaitClosed(std::chrono::milliseconds timeout);

  const Window& window() const { return window_; }

 private:
  void Run();

  FiuControl& control_;
  Window window_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;    // guarded by mu_
  bool closed_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace crashlab::fiu

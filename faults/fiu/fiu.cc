// libfiu integration: fiu-run argv, fiu-ctrl commands with an event log, seeded windows.
#include "faults/fiu/fiu.h"

#include <signal.h>

#include <cstdio>
#include <utility>

#include "framework/run_command.h"

namespace crashlab::fiu {
namespace {

std::string FormatProbability(double p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", p);
  return buf;
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::chrono::milliseconds Draw(uint64_t& state, std::chrono::milliseconds lo,
                               std::chrono::milliseconds hi) {
  if (hi <= lo) return lo;
  uint64_t span = static_cast<uint64_t>((hi - lo).count()) + 1;
  return lo + std::chrono::milliseconds(SplitMix64(state) % span);
}

}  // namespace

std::string FailurePoint::EnableCommand() const {
  std::string params = "name=" + name + ",failnum=1,failinfo=" + std::to_string(failinfo);
  if (probability) {
    return "enable_random " + params + ",probability=" + FormatProbability(*probability);
  }
  return "enable " + params;
}

std::string FailurePoint::DisableCommand() const { return "disable name=" + name; }

std::filesystem::path ControlPrefix(const std::filesystem::path& ctl_dir) {
  return ctl_dir / "ctl";
}

std::vector<std::string> FiuRunArgv(const RunOptions& options,
                                    const std::vector<std::string>& target_argv) {
  std::vector<std::string> argv{options.fiu_run};
  if (options.posix_preload) argv.push_back("-x");
  argv.push_back("-f");
  argv.push_back(ControlPrefix(options.ctl_dir).string());
  for (const FailurePoint& p : options.enabled_at_start) {
    argv.push_back("-c");
    argv.push_back(p.EnableCommand());
  }
  argv.insert(argv.end(), target_argv.begin(), target_argv.end());
  return argv;
}

FiuControl::FiuControl(std::filesystem::path ctl_dir, pid_t pid, std::string fiu_ctrl)
    : ctl_dir_(std::move(ctl_dir)), pid_(pid), fiu_ctrl_(std::move(fiu_ctrl)) {}

bool FiuControl::WaitReady(std::chrono::milliseconds timeout) const {
  std::filesystem::path out =
      ControlPrefix(ctl_dir_).string() + "-" + std::to_string(pid_) + ".out";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::error_code ec;
    if (std::filesystem::is_fifo(out, ec)) return true;
    if (::kill(pid_, 0) != 0 || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool FiuControl::Enable(const FailurePoint& point) {
  return Send(Event::Kind::kEnable, point.name, point.EnableCommand());
}

bool FiuControl::Disable(const std::string& name) {
  FailurePoint point;
  point.name = name;
  return Send(Event::Kind::kDisable, name, point.DisableCommand());
}

bool FiuControl::Send(Event::Kind kind, const std::string& point, const std::string& command) {
  const CommandResult r = RunCommand(
      {fiu_ctrl_, "-f", ControlPrefix(ctl_dir_).string(), "-c", command, std::to_string(pid_)},
      timeout_);
  const std::string output = r.out + r.err;
  Event e;
  e.kind = kind;
  e.point = point;
  e.command = command;
  e.at = std::chrono::steady_clock::now();
  e.wall = std::chrono::system_clock::now();
  // fiu-ctrl exits 0 even when it could not reach the process or the command failed;
  // it says so on stdout.
  bool reported_error = output.find("Error") != std::string::npos ||
                        output.find("returned error") != std::string::npos;
  e.ok = r.ok() && !reported_error;
  if (!e.ok) {
    e.error = r.timed_out ? "fiu-ctrl timed out" : output;
    if (e.error.empty()) e.error = "fiu-ctrl exit code " + std::to_string(r.exit_code);
  }
  std::lock_guard lock(mu_);
  events_.push_back(e);
  return e.ok;
}

std::vector<Event> FiuControl::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

Window SeededWindow(uint64_t seed, FailurePoint point, std::chrono::milliseconds min_start,
                    std::chrono::milliseconds max_start, std::chrono::milliseconds min_duration,
                    std::chrono::milliseconds max_duration) {
  uint64_t state = seed;
  Window w;
  w.point = std::move(point);
  w.start = Draw(state, min_start, max_start);
  w.duration = Draw(state, min_duration, max_duration);
  return w;
}

WindowedFault::WindowedFault(FiuControl& control, Window window)
    : control_(control), window_(std::move(window)) {}

WindowedFault::~WindowedFault() { Heal(); }

void WindowedFault::Start() {
  thread_ = std::thread([this] { Run(); });
}

void WindowedFault::Run() {
  auto begin = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  if (!cv_.wait_until(lock, begin + window_.start, [this] { return stop_; })) {
    lock.unlock();
    bool enabled = control_.Enable(window_.point);
    lock.lock();
    if (enabled) {
      // Disabled at start+duration, or as soon as Heal() asks.
      cv_.wait_until(lock, begin + window_.start + window_.duration, [this] { return stop_; });
      lock.unlock();
      control_.Disable(window_.point.name);
      lock.lock();
    }
  }
  closed_ = true;
  cv_.notify_all();
}

void WindowedFault::Heal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool WindowedFault::WaitClosed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return closed_; });
}

}  // namespace crashlab::fiu

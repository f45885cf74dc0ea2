// Controller for libcrashlab_syncfault.so: creates the control file and switches modes live.
#pragma once

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>

#include "faults/syncfault/control.h"

namespace crashlab::syncfault {

// The interposed functions; values are indices into the control file's arrays.
enum class Function : int {
  kFsync = CRASHLAB_SYNCFAULT_FSYNC,
  kFdatasync = CRASHLAB_SYNCFAULT_FDATASYNC,
  kSyncfs = CRASHLAB_SYNCFAULT_SYNCFS,
  kSyncFileRange = CRASHLAB_SYNCFAULT_SYNC_FILE_RANGE,
  kMsync = CRASHLAB_SYNCFAULT_MSYNC,
  kSync = CRASHLAB_SYNCFAULT_SYNC,
};
inline constexpr int kNumFunctions = CRASHLAB_SYNCFAULT_NUM_FUNCTIONS;

// Every interposed function, for SetRule(kAllFunctions, ...).
inline constexpr std::initializer_list<Function> kAllFunctions = {
    Function::kFsync,         Function::kFdatasync, Function::kSyncfs,
    Function::kSyncFileRange, Function::kMsync,     Function::kSync};
// The calls a store uses to make data durable (what "fsync fails" usually means).
inline constexpr std::initializer_list<Function> kDataSyncFunctions = {
    Function::kFsync, Function::kFdatasync, Function::kSyncfs, Function::kSyncFileRange,
    Function::kMsync};

// Returns "fsync", "fdatasync", ... (the libc name).
const char* FunctionName(Function f);

enum class Mode : uint32_t {
  kPass = CRASHLAB_SYNCFAULT_MODE_PASS,  // call the real function
  kFail = CRASHLAB_SYNCFAULT_MODE_FAIL,  // return -1 and set errno, without syncing
  kLie = CRASHLAB_SYNCFAULT_MODE_LIE,    // return 0 without syncing
};

// What the preload does with calls of one function. Built fluently:
//   Rule::Fail(EIO).OnlyCall(3).PathGlob("*/pg_wal/*")
struct Rule {
  Mode mode = Mode::kPass;
  int error = EIO;  // errno for kFail
  // 1-based indices among the calls this rule matches, counted from when it was set.
  uint64_t first_call = 1;
  uint64_t last_call = 0;  // 0: no limit
  // Matched against /proc/self/fd/N of the call's fd (the mapped file for msync);
  // calls without a file (sync) never match a non-empty filter. Empty: all calls.
  std::string path;
  bool path_is_glob = false;  // fnmatch(path, file, 0) instead of substring search

  static Rule Pass() { return Rule{}; }
  static Rule Fail(int err = EIO) {
    Rule r;
    r.mode = Mode::kFail;
    r.error = err;
    return r;
  }
  static Rule Lie() {
    Rule r;
    r.mode = Mode::kLie;
    return r;
  }
  // Affect only the k-th matching call.
  Rule& OnlyCall(uint64_t k) {
    first_call = last_call = k;
    return *this;
  }
  // Affect the k-th matching call and every one after it.
  Rule& FromCall(uint64_t k) {
    first_call = k;
    last_call = 0;
    return *this;
  }
  Rule& PathContains(std::string s) {
    path = std::move(s);
    path_is_glob = false;
    return *this;
  }
  Rule& PathGlob(std::string s) {
    path = std::move(s);
    path_is_glob = true;
    return *this;
  }
};

// Counters the preload keeps per function, summed over every process using the file.
struct Counters {
  uint64_t calls = 0;    // every call seen
  uint64_t matched = 0;  // calls a non-pass rule's path filter matched
  uint64_t failed = 0;   // answered -1/errno
  uint64_t lied = 0;     // answered 0 without syncing
  uint64_t passed = 0;   // forwarded to the real function
};

// Owns one control file (created by Create, removed by the destructor) and its mapping.
// Mode changes take effect on the next intercepted call in every process using the file;
// no signal or socket is involved. Setters are not thread-safe among themselves
// (one writer); counters() may be called from any thread.
class Controller {
 public:
  // Creates (or truncates) the control file, all functions in pass mode, mode 0666 so
  // that a target running as another user (postgres) can update the counters. Copies
  // the preload next to it (<path>.preload.so, mode 0644): a target that drops to another
  // user must be able to read the library, and the build tree may be private to the
  // runner (a checkout under a 0700 /root), where ld.so would skip the preload with a
  // mere warning. On a noexec mount, where ld.so could not map a copy, Env() names
  // PreloadPath() itself. Throws std::system_error on failure (a missing preload too).
  static Controller Create(const std::filesystem::path& path);

  Controller(Controller&& other) noexcept;
  Controller& operator=(Controller&& other) noexcept;
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;
  ~Controller();

  // Installs rule for f and restarts f's call index (for OnlyCall/FromCall) at zero.
  // Throws std::invalid_argument if the path filter does not fit in the file.
  void SetRule(Function f, const Rule& rule);
  void SetRule(std::initializer_list<Function> fs, const Rule& rule);
  // Every function back to pass mode.
  void PassAll();

  Counters counters(Function f) const;
  // Zeroes the counters (not the rules' call indices). Racy against concurrent calls,
  // so call it while the target is quiet.
  void ResetCounters();

  // Environment entries that make a process use this controller:
  // LD_PRELOAD=<preload_path()> and CRASHLAB_SYNCFAULT_CTL=<path()>.
  std::map<std::string, std::string> Env() const;
  // Adds Env() to env, prepending the preload to an existing LD_PRELOAD.
  void AddToEnv(std::map<std::string, std::string>& env) const;

  const std::filesystem::path& path() const { return path_; }
  // The library Env() preloads: the copy next to the control file (see Create).
  const std::filesystem::path& preload_path() const { return preload_; }

  // Absolute path of libcrashlab_syncfault.so: $CRASHLAB_SYNCFAULT_SO if set, else the
  // helper found by crashlab::HelperProgram (libexec/crashlab/ of the build or install
  // tree). Throws std::runtime_error naming the places looked in if there is none.
  static std::string PreloadPath();

 private:
  Controller(std::filesystem::path path, std::filesystem::path preload,
             crashlab_syncfault_ctl* ctl);

  std::filesystem::path path_;
  std::filesystem::path preload_;
  crashlab_syncfault_ctl* ctl_ = nullptr;
};

}  // namespace crashlab::syncfault

// Controller for libcrashlab_syncfault.so: control file creation, seqlocked rule updates.
#include "faults/syncfault/controller.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "framework/unique_fd.h"

#ifndef CRASHLAB_SYNCFAULT_SO_PATH
#error "CRASHLAB_SYNCFAULT_SO_PATH must be defined by the build"
#endif

namespace crashlab::syncfault {
namespace {

// The page is shared with other processes: every access is atomic (see control.h).
template <typename T>
std::atomic_ref<T> A(T& v) {
  return std::atomic_ref<T>(v);
}

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

const char* FunctionName(Function f) {
  switch (f) {
    case Function::kFsync:
      return "fsync";
    case Function::kFdatasync:
      return "fdatasync";
    case Function::kSyncfs:
      return "syncfs";
    case Function::kSyncFileRange:
      return "sync_file_range";
    case Function::kMsync:
      return "msync";
    case Function::kSync:
      return "sync";
  }
  return "?";
}

Controller Controller::Create(const std::filesystem::path& path) {
  std::filesystem::path abs = std::filesystem::absolute(path);
  UniqueFd fd(::open(abs.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!fd) ThrowErrno("syncfault: create " + abs.string());
  // umask may have narrowed the mode; the target may run as another user.
  if (::fchmod(fd.get(), 0666) != 0 || ::ftruncate(fd.get(), CRASHLAB_SYNCFAULT_FILE_SIZE) != 0) {
    ThrowErrno("syncfault: size " + abs.string());
  }
  void* p = ::mmap(nullptr, sizeof(crashlab_syncfault_ctl), PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd.get(), 0);
  int e = errno;
  fd.reset();  // the mapping keeps the file
  if (p == MAP_FAILED) {
    errno = e;
    ThrowErrno("syncfault: mmap " + abs.string());
  }
  auto* ctl = static_cast<crashlab_syncfault_ctl*>(p);
  // The file is fresh zeroes (pass everywhere); publish the header last so a process
  // that maps it early sees either no magic (pass-through) or a complete file.
  A(ctl->version).store(CRASHLAB_SYNCFAULT_VERSION, std::memory_order_relaxed);
  A(ctl->size).store(CRASHLAB_SYNCFAULT_FILE_SIZE, std::memory_order_relaxed);
  for (int i = 0; i < kNumFunctions; ++i) {
    A(ctl->rules[i].error).store(EIO, std::memory_order_relaxed);
  }
  A(ctl->magic).store(CRASHLAB_SYNCFAULT_MAGIC, std::memory_order_release);
  return Controller(std::move(abs), ctl);
}

Controller::Controller(std::filesystem::path path, crashlab_syncfault_ctl* ctl)
    : path_(std::move(path)), ctl_(ctl) {}

Controller::Controller(Controller&& other) noexcept
    : path_(std::move(other.path_)), ctl_(std::exchange(other.ctl_, nullptr)) {}

Controller& Controller::operator=(Controller&& other) noexcept {
  if (this != &other) {
    this->~Controller();
    path_ = std::move(other.path_);
    ctl_ = std::exchange(other.ctl_, nullptr);
  }
  return *this;
}

Controller::~Controller() {
  if (ctl_ == nullptr) return;
  ::munmap(ctl_, sizeof(crashlab_syncfault_ctl));
  ctl_ = nullptr;
  // Processes that still map it keep their mapping; a new process finds no file and
  // passes through, which is the safe default.
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void Controller::SetRule(Function f, const Rule& rule) { SetRule({f}, rule); }

void Controller::SetRule(std::initializer_list<Function> fs, const Rule& rule) {
  if (rule.path.size() >= CRASHLAB_SYNCFAULT_FILTER_MAX) {
    throw std::invalid_argument("syncfault: path filter longer than " +
                                std::to_string(CRASHLAB_SYNCFAULT_FILTER_MAX - 1));
  }
  uint32_t kind = rule.path.empty()  ? CRASHLAB_SYNCFAULT_FILTER_NONE
                  : rule.path_is_glob ? CRASHLAB_SYNCFAULT_FILTER_GLOB
                                      : CRASHLAB_SYNCFAULT_FILTER_SUBSTRING;
  auto seq = A(ctl_->seq);
  uint64_t s = seq.load(std::memory_order_relaxed);
  seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  for (Function f : fs) {
    crashlab_syncfault_rule& r = ctl_->rules[static_cast<int>(f)];
    A(r.mode).store(static_cast<uint32_t>(rule.mode), std::memory_order_relaxed);
    A(r.error).store(rule.error, std::memory_order_relaxed);
    A(r.first_call).store(rule.first_call, std::memory_order_relaxed);
    A(r.last_call).store(rule.last_call, std::memory_order_relaxed);
    A(r.filter_kind).store(kind, std::memory_order_relaxed);
    for (size_t i = 0; i < CRASHLAB_SYNCFAULT_FILTER_MAX; ++i) {
      A(r.filter[i]).store(i < rule.path.size() ? rule.path[i] : '\0', std::memory_order_relaxed);
    }
    A(ctl_->rule_hits[static_cast<int>(f)]).store(0, std::memory_order_relaxed);
  }
  seq.store(s + 2, std::memory_order_release);
}

void Controller::PassAll() { SetRule(kAllFunctions, Rule::Pass()); }

Counters Controller::counters(Function f) const {
  crashlab_syncfault_counters& c = ctl_->counters[static_cast<int>(f)];
  return Counters{
      .calls = A(c.calls).load(std::memory_order_relaxed),
      .matched = A(c.matched).load(std::memory_order_relaxed),
      .failed = A(c.failed).load(std::memory_order_relaxed),
      .lied = A(c.lied).load(std::memory_order_relaxed),
      .passed = A(c.passed).load(std::memory_order_relaxed),
  };
}

void Controller::ResetCounters() {
  for (int i = 0; i < kNumFunctions; ++i) {
    crashlab_syncfault_counters& c = ctl_->counters[i];
    for (uint64_t* v : {&c.calls, &c.matched, &c.failed, &c.lied, &c.passed}) {
      A(*v).store(0, std::memory_order_relaxed);
    }
  }
}

std::string Controller::PreloadPath() {
  const char* env = std::getenv("CRASHLAB_SYNCFAULT_SO");
  if (env != nullptr && env[0] != '\0') return env;
  return CRASHLAB_SYNCFAULT_SO_PATH;
}

std::map<std::string, std::string> Controller::Env() const {
  return {{"LD_PRELOAD", PreloadPath()}, {"CRASHLAB_SYNCFAULT_CTL", path_.string()}};
}

void Controller::AddToEnv(std::map<std::string, std::string>& env) const {
  auto [it, inserted] = env.try_emplace("LD_PRELOAD", PreloadPath());
  if (!inserted) {
    it->second = it->second.empty() ? PreloadPath() : PreloadPath() + ":" + it->second;
  }
  env["CRASHLAB_SYNCFAULT_CTL"] = path_.string();
}

}  // namespace crashlab::syncfault

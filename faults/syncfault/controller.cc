// Controller for libcrashlab_syncfault.so: control file creation, seqlocked rule updates.
#include "faults/syncfault/controller.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "framework/helpers.h"
#include "framework/unique_fd.h"

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

// Copies PreloadPath() to <ctl>.preload.so, mode 0644 whatever the umask, through a
// temporary file and a rename (a process still mapping an older copy keeps its inode).
// Returns PreloadPath() unchanged if the directory is on a noexec mount.
std::filesystem::path PlacePreload(const std::filesystem::path& ctl) {
  const std::string src = Controller::PreloadPath();
  struct statvfs vfs {};
  if (::statvfs(ctl.parent_path().c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOEXEC) != 0) return src;
  const std::filesystem::path dst = ctl.string() + ".preload.so";
  const std::string tmp = dst.string() + ".tmp";
  crashlab::UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in)
    ThrowErrno("syncfault: cannot read the preload " + src +
               " (built as crashlab_syncfault; CRASHLAB_SYNCFAULT_SO overrides)");
  crashlab::UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) ThrowErrno("syncfault: create " + tmp);  // reset() keeps errno
  bool ok = ::fchmod(out.get(), 0644) == 0;
  char buf[1 << 16];
  while (ok) {
    const ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    for (ssize_t off = 0; ok && off < n;) {
      const ssize_t w = ::write(out.get(), buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      ok = w > 0;
      if (ok) off += w;
    }
  }
  const int e = errno;
  in.reset();
  if (out.Close() != 0 && ok) ok = false;
  if (ok && ::rename(tmp.c_str(), dst.c_str()) == 0) return dst;
  const int e2 = ok ? errno : e;
  ::unlink(tmp.c_str());
  errno = e2;
  ThrowErrno("syncfault: copy " + src + " to " + dst.string());
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
  std::filesystem::path preload;
  try {
    preload = PlacePreload(abs);
  } catch (...) {
    ::munmap(p, sizeof(crashlab_syncfault_ctl));
    std::error_code ec;
    std::filesystem::remove(abs, ec);
    throw;
  }
  return Controller(std::move(abs), std::move(preload), ctl);
}

Controller::Controller(std::filesystem::path path, std::filesystem::path preload,
                       crashlab_syncfault_ctl* ctl)
    : path_(std::move(path)), preload_(std::move(preload)), ctl_(ctl) {}

Controller::Controller(Controller&& other) noexcept
    : path_(std::move(other.path_)),
      preload_(std::move(other.preload_)),
      ctl_(std::exchange(other.ctl_, nullptr)) {}

Controller& Controller::operator=(Controller&& other) noexcept {
  if (this != &other) {
    this->~Controller();
    path_ = std::move(other.path_);
    preload_ = std::move(other.preload_);
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
  // The copy (never the build's own library); mappings of it stay valid.
  if (preload_ != PreloadPath()) std::filesystem::remove(preload_, ec);
}

void Controller::SetRule(Function f, const Rule& rule) { SetRule({f}, rule); }

void Controller::SetRule(std::initializer_list<Function> fs, const Rule& rule) {
  if (rule.path.size() >= CRASHLAB_SYNCFAULT_FILTER_MAX) {
    throw std::invalid_argument("syncfault: path filter longer than " +
                                std::to_string(CRASHLAB_SYNCFAULT_FILTER_MAX - 1));
  }
  uint32_t kind = rule.path.empty()   ? CRASHLAB_SYNCFAULT_FILTER_NONE
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
  return HelperProgram("libcrashlab_syncfault.so").string();
}

std::map<std::string, std::string> Controller::Env() const {
  return {{"LD_PRELOAD", preload_.string()}, {"CRASHLAB_SYNCFAULT_CTL", path_.string()}};
}

void Controller::AddToEnv(std::map<std::string, std::string>& env) const {
  const std::string lib = preload_.string();
  auto [it, inserted] = env.try_emplace("LD_PRELOAD", lib);
  if (!inserted) {
    it->second = it->second.empty() ? lib : lib + ":" + it->second;
  }
  env["CRASHLAB_SYNCFAULT_CTL"] = path_.string();
}

}  // namespace crashlab::syncfault

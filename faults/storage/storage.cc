// LocalStorage: disk, tmpfs, crashfs or user-given work areas for stores, and the sync-fault modes.
#include "faults/storage/storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "framework/process.h"
#include "framework/unique_fd.h"

namespace fs = std::filesystem;

namespace crashlab::storage {

StorageKind ParseStorageKind(const std::string& s) {
  if (s == "disk") return StorageKind::kDisk;
  if (s == "tmpfs") return StorageKind::kTmpfs;
  if (s == "crashfs") return StorageKind::kCrashfs;
  if (!s.empty() && s[0] == '/') return StorageKind::kPath;
  throw UsageError("storage must be disk, tmpfs, crashfs or an absolute directory, not '" + s + "'",
                   "storage");
}

SyncFault ParseSyncFault(const std::string& s) {
  if (s == "pass") return SyncFault::kPass;
  if (s == "fail") return SyncFault::kFail;
  if (s == "lie") return SyncFault::kLie;
  throw UsageError("sync_fault must be pass, fail or lie, not '" + s + "'");
}

const char* ToString(StorageKind k) {
  switch (k) {
    case StorageKind::kDisk:
      return "disk";
    case StorageKind::kTmpfs:
      return "tmpfs";
    case StorageKind::kCrashfs:
      return "crashfs";
    case StorageKind::kPath:
      return "path";
  }
  return "?";
}

const char* ToString(SyncFault f) {
  switch (f) {
    case SyncFault::kPass:
      return "pass";
    case SyncFault::kFail:
      return "fail";
    case SyncFault::kLie:
      return "lie";
  }
  return "?";
}

std::vector<Knob> StorageKnobs() {
  Knob where =
      Knob::String("storage", "disk",
                   "where the store's data dir lives: disk (the work dir), tmpfs (/dev/shm), "
                   "crashfs (a FUSE mount that loses unsynced data on a power cut), or an "
                   "absolute directory (a fresh subdirectory of it: your own disk or file system)");
  where.check = [](const std::string& v) -> std::string {
    if (v == "disk" || v == "tmpfs" || v == "crashfs") return "";
    if (v.empty() || v[0] != '/') return "disk, tmpfs, crashfs or an absolute directory";
    return fs::is_directory(v) ? "" : "an existing directory (" + v + " is not one)";
  };
  return {
      where,
      Knob::Choice("sync_fault", "pass", {"pass", "fail", "lie"},
                   "what fsync/fdatasync do from the start: pass, fail with EIO, or lie (succeed "
                   "without making anything durable); crashfs SetSyncMode on crashfs storage, "
                   "else the syncfault preload"),
      Knob::Choice("fs_model", "posix", {"posix", "ext4"},
                   "storage=crashfs: what a power cut keeps. posix: a directory entry is durable "
                   "only after an fsync of its directory; ext4 (data=ordered, also XFS): any "
                   "fsync commits every earlier create/rename/unlink/truncate. File data is "
                   "durable only where that file was synced under both"),
      Knob::Choice("auto_da_alloc", "on", {"on", "off"},
                   "storage=crashfs, fs_model=ext4: a rename that replaces a file also makes "
                   "the renamed file's data durable at the next journal commit (ext4's default "
                   "mount option auto_da_alloc)"),
  };
}

StorageConfig StorageConfigFrom(const Knobs& knobs, const RunOptions& options) {
  StorageConfig c;
  c.kind = ParseStorageKind(knobs.Get("storage"));
  if (c.kind == StorageKind::kPath) c.path = knobs.Get("storage");
  c.sync_fault = ParseSyncFault(knobs.Get("sync_fault"));
  c.fs_model = knobs.Get("fs_model");
  c.auto_da_alloc = knobs.Get("auto_da_alloc") == "on";
  c.seed = options.seed;
  return c;
}

std::string MissingCrashfs() {
  if (::geteuid() != 0) return "crashfs needs root (FUSE mount with allow_other)";
  if (::access("/dev/fuse", R_OK | W_OK) != 0) return "crashfs needs /dev/fuse";
  return "";
}

LocalStorage::LocalStorage(StorageConfig config, fs::path work_dir)
    : config_(std::move(config)), work_dir_(std::move(work_dir)) {}

LocalStorage& LocalStorage::Of(StorageLayer& layer) {
  auto* s = dynamic_cast<LocalStorage*>(&layer);
  if (s == nullptr)
    throw std::logic_error("the storage layer is not faults/storage's LocalStorage");
  return *s;
}

std::shared_ptr<LocalStorage> LocalStorage::Of(const std::shared_ptr<StorageLayer>& layer) {
  if (!layer)
    throw std::invalid_argument("this fault needs the store's data on crashlab's storage layer");
  return std::shared_ptr<LocalStorage>(layer, &Of(*layer));
}

namespace {
// A fresh directory `prefix`XXXXXX (mkdtemp), or PrerequisiteMissing naming `what`.
fs::path FreshDir(const std::string& prefix, const std::string& what) {
  std::string tmpl = prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw PrerequisiteMissing(what + " storage: mkdtemp " + tmpl + ": " + std::strerror(errno));
  }
  ::chmod(tmpl.c_str(), 0755);  // a server that drops privileges must reach its data dir
  return tmpl;
}
}  // namespace

std::shared_ptr<LocalStorage> LocalStorage::Create(const StorageConfig& config,
                                                   const fs::path& work_dir) {
  if (config.kind == StorageKind::kCrashfs) {
    const std::string why = MissingCrashfs();
    if (!why.empty()) throw PrerequisiteMissing(why);
  }
  std::shared_ptr<LocalStorage> s(new LocalStorage(config, work_dir));
  if (config.kind == StorageKind::kTmpfs || config.kind == StorageKind::kPath) {
    const fs::path base = config.kind == StorageKind::kTmpfs ? fs::path("/dev/shm") : config.path;
    s->root_ = FreshDir((base / ("crashlab-" + work_dir.filename().string() + "-")).string(),
                        ToString(config.kind));
    s->remove_root_ = true;
  } else {
    s->root_ = work_dir;
  }
  if (config.kind != StorageKind::kCrashfs) s->ApplyBaseSyncMode();
  return s;
}

LocalStorage::~LocalStorage() {
  crashfs_.reset();  // clean unmount: the store has stopped (resources die last)
  if (!backing_.empty()) {
    std::error_code ec;
    fs::remove_all(backing_, ec);
  }
  sync_ctl_.reset();
  if (remove_root_) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

fs::path LocalStorage::Place(const fs::path& rel) {
  const fs::path dir = root_ / rel;
  fs::create_directories(dir);
  if (config_.kind != StorageKind::kCrashfs) return dir;
  if (crashfs_)
    throw std::logic_error("LocalStorage::Place: crashfs is already mounted at " +
                           mountpoint_.string());
  backing_ = work_dir_ / "crashfs-backing";
  fs::create_directories(backing_);
  // A server that drops privileges must be able to reach its data dir through the mount.
  ::chmod(backing_.c_str(), 0755);
  crashfs::Options o;
  o.backing = backing_.string();
  o.mountpoint = dir.string();
  o.seed = config_.seed;
  o.writeback_cache = config_.writeback_cache;
  o.fs_model = config_.fs_model;
  o.auto_da_alloc = config_.auto_da_alloc;
  try {
    crashfs_ = crashfs::CrashFs::Mount(o);
  } catch (const std::exception& e) {
    throw PrerequisiteMissing(std::string("crashfs mount failed: ") + e.what());
  }
  mountpoint_ = dir;
  ApplyBaseSyncMode();
  return dir;
}

void LocalStorage::ProvisionDir(const fs::path& rel) {
  const fs::path dir = root_ / rel;
  fs::create_directories(dir);
  for (const fs::path& d : {dir, dir.parent_path()}) {
    const UniqueFd fd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw std::runtime_error("provision " + d.string() + ": " + std::strerror(errno));
    const int r = ::fsync(fd.get());
    const int err = errno;
    if (r != 0)
      throw std::runtime_error("provision: fsync " + d.string() + ": " + std::strerror(err));
  }
}

syncfault::Controller& LocalStorage::SyncControl() {
  if (!sync_ctl_) sync_ctl_.emplace(syncfault::Controller::Create(root_ / "syncfault.ctl"));
  return *sync_ctl_;
}

std::map<std::string, std::string> LocalStorage::Env() const {
  std::map<std::string, std::string> env;
  if (sync_ctl_) sync_ctl_->AddToEnv(env);
  return env;
}

void LocalStorage::ApplyBaseSyncMode() {
  if (config_.kind == StorageKind::kCrashfs) {
    if (!crashfs_) return;  // applied by Place
    crashfs_->SetSyncMode(config_.sync_fault == SyncFault::kFail  ? crashfs::SyncMode::kFail
                          : config_.sync_fault == SyncFault::kLie ? crashfs::SyncMode::kLie
                                                                  : crashfs::SyncMode::kPass);
    return;
  }
  if (config_.sync_fault == SyncFault::kPass) {
    if (sync_ctl_) sync_ctl_->PassAll();
    return;
  }
  auto& c = SyncControl();
  c.PassAll();
  c.SetRule(syncfault::kDataSyncFunctions, config_.sync_fault == SyncFault::kFail
                                               ? syncfault::Rule::Fail(EIO)
                                               : syncfault::Rule::Lie());
}

std::map<std::string, std::string> LocalStorage::Describe() const {
  std::map<std::string, std::string> d{{"storage", ToString(config_.kind)},
                                       {"storage.root", root_.string()},
                                       {"storage.sync_fault", ToString(config_.sync_fault)}};
  if (!mountpoint_.empty()) d["storage.crashfs_mountpoint"] = mountpoint_.string();
  if (config_.kind == StorageKind::kCrashfs) {
    d["storage.fs_model"] = config_.fs_model;
    if (config_.fs_model == "ext4")
      d["storage.auto_da_alloc"] = config_.auto_da_alloc ? "on" : "off";
  }
  return d;
}

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == ".crashfs-graveyard") {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      n += static_cast<uint64_t>(st.st_size);
  }
  return n;
}

namespace {
bool Under(const std::string& link, const std::string& dir) {
  return link == dir || (link.size() > dir.size() && link.compare(0, dir.size(), dir) == 0 &&
                         link[dir.size()] == '/');
}
std::string ReadLink(const std::string& p) {
  char buf[4096];
  const ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}
}  // namespace

int KillUsersOf(const fs::path& dir) {
  const std::string d = dir.lexically_normal().string();
  const pid_t self = ::getpid();
  int n = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
    if (pid == self) continue;
    const std::string base = std::string("/proc/") + e->d_name;
    bool uses = Under(ReadLink(base + "/cwd"), d);
    if (!uses) {
      if (DIR* fds = ::opendir((base + "/fd").c_str())) {
        while (dirent* f = ::readdir(fds)) {
          if (f->d_name[0] == '.') continue;
          if (Under(ReadLink(base + "/fd/" + f->d_name), d)) {
            uses = true;
            break;
          }
        }
        ::closedir(fds);
      }
    }
    if (uses && ::kill(pid, SIGKILL) == 0) ++n;
  }
  ::closedir(proc);
  return n;
}

}  // namespace crashlab::storage

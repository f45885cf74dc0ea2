// The storage layer: where a store keeps its data (disk, tmpfs, a crashfs mount or a
// directory the user names) and what its fsyncs do (pass, fail, lie). Registered once
// (storage_spec.cc) as the registry's StorageLayer, so every store that keeps its data on
// it runs on every kind of storage.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faults/crashfs/crashfs.h"
#include "faults/syncfault/controller.h"
#include "framework/knob.h"
#include "framework/runner.h"
#include "framework/storage.h"

namespace crashlab::storage {

enum class StorageKind { kDisk, kTmpfs, kCrashfs, kPath };
enum class SyncFault { kPass, kFail, kLie };

StorageKind ParseStorageKind(const std::string& s);  // disk | tmpfs | crashfs | /absolute/dir
SyncFault ParseSyncFault(const std::string& s);      // pass | fail | lie
const char* ToString(StorageKind k);
const char* ToString(SyncFault f);

// The knobs `storage`, `sync_fault`, `fs_model` and `auto_da_alloc`.
std::vector<Knob> StorageKnobs();

struct StorageConfig {
  StorageKind kind = StorageKind::kDisk;
  std::filesystem::path path;  // kPath: the directory the user named
  SyncFault sync_fault = SyncFault::kPass;
  uint64_t seed = 0;               // crashfs torn-write randomness
  bool writeback_cache = true;     // crashfs: kernel writeback caching
  std::string fs_model = "posix";  // crashfs persistence model (crashfs/persistence.h)
  bool auto_da_alloc = true;       // crashfs ext4 model: replace-by-rename flush
};
// Reads the storage knobs and the run's seed.
StorageConfig StorageConfigFrom(const Knobs& knobs, const RunOptions& options);

// Why crashfs cannot mount here ("" if it can): root and /dev/fuse.
std::string MissingCrashfs();

// The store's work area. The registry keeps it until the store has stopped: a crashfs
// mount is unmounted (and a tmpfs or path dir removed) only then. Not thread-safe except
// crashfs() (CrashFs itself is).
class LocalStorage : public StorageLayer {
 public:
  // Throws PrerequisiteMissing when crashfs is asked for and cannot mount.
  static std::shared_ptr<LocalStorage> Create(const StorageConfig& config,
                                              const std::filesystem::path& work_dir);
  ~LocalStorage() override;
  LocalStorage(const LocalStorage&) = delete;
  LocalStorage& operator=(const LocalStorage&) = delete;
  // The layer a registry run made (always a LocalStorage when faults/storage is linked).
  static LocalStorage& Of(StorageLayer& layer);
  static std::shared_ptr<LocalStorage> Of(const std::shared_ptr<StorageLayer>& layer);

  // The directory a target gets as its work area: the run's work dir (disk, crashfs) or
  // a fresh directory under /dev/shm (tmpfs).
  const std::filesystem::path& Root() const override { return root_; }
  // Root()/rel, created. On crashfs, a CrashFs is mounted there (backed by a directory in
  // the work dir): put only the store's data dir there, so its log survives a power cut.
  // Call once.
  std::filesystem::path Place(const std::filesystem::path& rel) override;

  // Creates Root()/rel (mode 0755) and fsyncs it and its parent directory, so that it
  // survives a power cut: a directory an operator provisioned before the store started.
  void ProvisionDir(const std::filesystem::path& rel) override;

  StorageKind kind() const { return config_.kind; }
  SyncFault sync_fault() const { return config_.sync_fault; }
  // The mount (nullptr unless kind is crashfs and Place was called).
  crashfs::CrashFs* crashfs() const { return crashfs_.get(); }
  const std::filesystem::path& mountpoint() const { return mountpoint_; }
  const std::filesystem::path& backing() const { return backing_; }

  // The syncfault controller (its control file is Root()/syncfault.ctl), created on first
  // use; a store process must run with Env() for it to take effect.
  syncfault::Controller& SyncControl();
  bool HasSyncControl() const { return sync_ctl_.has_value(); }
  // Environment the store's processes need (the syncfault preload, if in use).
  std::map<std::string, std::string> Env() const override;

  // Applies the configured sync_fault (crashfs SetSyncMode, else syncfault rules).
  void ApplyBaseSyncMode();

  // For the report: storage kind, mountpoint, sync fault.
  std::map<std::string, std::string> Describe() const override;

 private:
  LocalStorage(StorageConfig config, std::filesystem::path work_dir);

  StorageConfig config_;
  std::filesystem::path work_dir_, root_, mountpoint_, backing_;
  bool remove_root_ = false;
  std::unique_ptr<crashfs::CrashFs> crashfs_;
  std::optional<syncfault::Controller> sync_ctl_;
};

// Sum of the sizes of the regular files under `dir` (not following the crashfs
// graveyard); 0 if it cannot be read. Never touches a FUSE mount if `dir` is a backing dir.
uint64_t TreeBytes(const std::filesystem::path& dir);

// SIGKILLs every process (except the runner) whose working directory or an open file
// lies under `dir`; returns how many were signalled. Reads only /proc links, so it does
// not block on a frozen FUSE mount.
int KillUsersOf(const std::filesystem::path& dir);

}  // namespace crashlab::storage

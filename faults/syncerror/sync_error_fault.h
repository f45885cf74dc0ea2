// Windows of failing fsyncs (or writes): the store's syncs fail with an errno for a seeded
// window, through the syncfault preload, libfiu's fiu-run or crashfs; then a SIGKILL.
#pragma once

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "faults/storage/storage.h"
#include "framework/fault.h"

namespace crashlab::syncerror {

// How fsyncs are made to fail.
enum class SyncErrorVia { kSyncfault, kFiu, kCrashfs };
SyncErrorVia ParseSyncErrorVia(const std::string& s);  // syncfault | fiu | crashfs

struct SyncErrorOptions {
  SyncErrorVia via = SyncErrorVia::kSyncfault;
  int error = EIO;
  // kFiu: the failure points (default fsync and fdatasync; posix/io/rw/pwrite for ENOSPC).
  std::vector<std::string> fiu_points;
  std::filesystem::path fiu_ctl_dir;  // kFiu: where fiu-run keeps its control FIFOs
  // The window opens when the schedule fires; its length is drawn from the cycle's seed.
  std::chrono::milliseconds min_window{200}, max_window{800};
  // Log lines of the store that contain one of these are recorded in the event
  // (e.g. "PANIC" for PostgreSQL, "Can't persist" for Redis).
  std::vector<std::string> log_markers;
  std::string name = "fsync-eio";
};

// A seeded window in which the store's syncs (or writes) fail with `error`; afterwards
// every process of the target is SIGKILLed (a store that survived its failing syncs must
// still hold everything it acknowledged after a restart). The event records the window,
// the failed calls and what the store did (exited by itself, log lines).
std::unique_ptr<Fault> MakeSyncErrorFault(std::shared_ptr<storage::LocalStorage> storage,
                                          SyncErrorOptions options);

// argv prefix that runs a store under fiu-run with its FIFOs in `ctl_dir` (created).
std::vector<std::string> FiuWrapper(const std::filesystem::path& ctl_dir);

}  // namespace crashlab::syncerror

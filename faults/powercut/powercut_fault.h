// Power cuts on crashfs storage (at a scheduled ack, or at the k-th fsync/rename/unlink
// the filesystem sees) and windows of failing fsyncs (syncfault, libfiu or crashfs).
#pragma once

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "faults/crashfs/crashfs.h"
#include "faults/powercut/storage.h"
#include "framework/fault.h"

namespace crashlab::powercut {

// Parses none | pages | prefix (crashfs torn modes); throws UsageError.
crashfs::CutOptions::Torn ParseTorn(const std::string& s);
// The `torn` knob every power-cut scenario takes (values as ParseTorn).
Knob TornKnob();

// The power cut. AtTrigger (an op-based schedule) freezes the mount at the exact
// acknowledgement; Inject freezes (if not yet), SIGKILLs every process group of the
// target and every process using the mount, cuts power (unsynced data and directory
// entries are dropped, optionally torn), then reaps the target's processes. Its
// FaultEvent says what was dropped and lists the filesystem's sync/rename/unlink
// sequence since the previous cut. Needs crashfs storage (std::invalid_argument if not).
std::unique_ptr<Fault> MakePowerCutFault(std::shared_ptr<Storage> storage,
                                         crashfs::CutOptions::Torn torn = crashfs::CutOptions::Torn::kNone);

// A crash-point sweep: cycle c cuts power right before the c-th operation of a kind
// (counted from the start of that cycle's load), kinds taken in turn: with K = `per_kind`
// and kinds {fsync, fsyncdir}, cycles 1..K cut at fsync #1..#K, cycles K+1..2K at
// fsyncdir #1..#K. A crash point the workload never reaches is cut when the schedule
// fires instead (reported as "not reached"). The FaultEvent names the crash point
// ("k", "crash_point", the operation and path that was about to happen).
std::unique_ptr<Fault> MakeCrashPointFault(std::shared_ptr<Storage> storage, std::vector<crashfs::OpKind> kinds,
                                           uint32_t per_kind, std::string glob = "*");

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
std::unique_ptr<Fault> MakeSyncErrorFault(std::shared_ptr<Storage> storage, SyncErrorOptions options);

// argv prefix that runs a store under fiu-run with its FIFOs in `ctl_dir` (created).
std::vector<std::string> FiuWrapper(const std::filesystem::path& ctl_dir);

}  // namespace crashlab::powercut

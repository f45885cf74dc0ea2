// Power cuts on crashfs storage: at a scheduled acknowledgement, or at the k-th
// fsync/rename/unlink the file system sees (a crash-point sweep).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "faults/crashfs/crashfs.h"
#include "faults/storage/storage.h"
#include "framework/fault.h"

namespace crashlab::powercut {

// Parses none | pages | prefix (crashfs torn modes); throws UsageError.
crashfs::CutOptions::Torn ParseTorn(const std::string& s);
// The `torn` knob every power-cut scenario takes (values as ParseTorn).
Knob TornKnob();
// The `target` knob: a glob of the files that lose unsynced data at a cut.
Knob TargetKnob();

// The power cut. AtTrigger (an op-based schedule) freezes the mount at the exact
// acknowledgement; Inject freezes (if not yet), SIGKILLs every process group of the
// target and every process using the mount, cuts power (unsynced data and directory
// entries are dropped, optionally torn), then reaps the target's processes. Its
// FaultEvent says what was dropped and lists the filesystem's sync/rename/unlink
// sequence since the previous cut. Needs crashfs storage (std::invalid_argument if not).
// `target`: only files matching this glob lose unsynced data or tear ("" = all).
std::unique_ptr<Fault> MakePowerCutFault(
    std::shared_ptr<storage::LocalStorage> storage,
    crashfs::CutOptions::Torn torn = crashfs::CutOptions::Torn::kNone, std::string target = "");

// A crash-point sweep: cycle c cuts power right before the c-th operation of a kind
// (counted from the start of that cycle's load), kinds taken in turn: with K = `per_kind`
// and kinds {fsync, fsyncdir}, cycles 1..K cut at fsync #1..#K, cycles K+1..2K at
// fsyncdir #1..#K. A crash point the workload never reaches is cut when the schedule
// fires instead (reported as "not reached"). The FaultEvent names the crash point
// ("k", "crash_point", the operation and path that was about to happen).
std::unique_ptr<Fault> MakeCrashPointFault(std::shared_ptr<storage::LocalStorage> storage,
                                           std::vector<crashfs::FsOp> kinds, uint32_t per_kind,
                                           std::string glob = "*");

// Power cuts for your own program, in one call: a crashfs mount at `work_dir`/data (put
// your program's data dir there) and the power-cut fault on it. Keep the storage until
// your program has stopped (declare it before your Target). Needs root and /dev/fuse
// (storage::MissingCrashfs() says why not).
struct PowerCutDataDir {
  std::shared_ptr<storage::LocalStorage> storage;
  std::filesystem::path dir;     // the mount: your program's data dir
  std::unique_ptr<Fault> fault;  // SIGKILL of your target's process groups, then the cut
};
PowerCutDataDir MakePowerCutDataDir(
    const std::filesystem::path& work_dir,
    crashfs::CutOptions::Torn torn = crashfs::CutOptions::Torn::kNone, uint64_t seed = 1);

}  // namespace crashlab::powercut

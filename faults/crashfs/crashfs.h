// crashfs: a FUSE passthrough filesystem that simulates power cuts (drops unsynced data and
// metadata).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crashlab::crashfs {

struct Options {
  std::string backing;     // directory whose contents the mount shows
  std::string mountpoint;  // empty directory to mount on
  // Kernel writeback caching: far fewer requests, but the daemon sees the kernel's
  // flushes, not the application's write() calls (write triggers count flushes).
  bool writeback_cache = true;
  // Also fsync the backing file when the model makes data durable, so a real host crash
  // keeps what a simulated one keeps. Off = faster, durability is the model's only.
  bool backing_fsync = true;
  uint64_t seed = 0;  // torn-write randomness
  // Persistence model (persistence.h): "posix" (a directory entry is durable at an fsync
  // of its directory) or "ext4" (any fsync commits every earlier namespace op).
  std::string fs_model = "posix";
  // ext4's auto_da_alloc: a rename replacing a file flushes the source's data with the
  // commit. The kernel's default is on; only models with that rule look at it.
  bool auto_da_alloc = true;
  bool allow_other = true;  // let other users (the store's uid) use the mount; needs root
  bool debug = false;       // libfuse request log on stderr
};

// What fsync, fdatasync and directory fsync do.
enum class SyncMode {
  kPass,  // succeed and make the file's data (or the directory's entries) durable
  kFail,  // return EIO, make nothing durable
  kLie,   // return success, make nothing durable
};

// File-system operations a crash point counts (not crashlab::OpKind, the workload's ops).
// kAny counts every operation of the kinds above in one merged sequence (a crash at the
// k-th operation whatever its kind).
enum class FsOp { kWrite, kFsync, kFsyncDir, kRename, kUnlink, kCreate, kAny };

// A crash point: freeze the filesystem when the k-th (1-based) operation of `op` whose
// mount-relative path (no leading '/') matches `glob` (fnmatch, '*' also matches '/') arrives,
// before that operation takes effect. fsync counts fsync and fdatasync of files; unlink counts
// unlink and rmdir; create counts create, mknod, mkdir, symlink and link; rename matches
// the source or the target path.
struct CrashPoint {
  FsOp op = FsOp::kFsync;
  uint64_t k = 1;
  std::string glob = "*";
};

struct CutOptions {
  enum class Torn {
    kNone,         // every unsynced byte is lost
    kRandomPages,  // each unsynced 4 KiB page of each file survives with probability 1/2
    kPrefix,       // per file, a random 512-byte-aligned prefix of its last write survives
    // A seeded subset of the write requests since the file's last sync (and last truncate)
    // survives, applied in order on the durable contents. Needs RecordWrites(true) before
    // the writes (their bytes are kept in memory); unrecorded writes are lost.
    kSeq,
  };
  Torn torn = Torn::kNone;
  // Torn randomness; default Options::seed + number of earlier cuts of this mount.
  std::optional<uint64_t> seed;
  // Only files whose mount-relative path matches this glob (fnmatch, '*' also matches '/')
  // lose unsynced data or tear; the others keep everything written. "" = every file.
  // Namespace operations are undone regardless.
  std::string target;
};

// One entry of the sync/namespace history, for write-ups of findings.
struct Event {
  uint64_t seq = 0;
  double t_ms = 0;   // since Mount()
  std::string kind;  // create mkdir mknod symlink link unlink rmdir rename fsync fdatasync
                     // fsyncdir freeze trigger power-cut sync-mode
  std::string path;  // mount-relative
  std::string path2;
  int error = 0;     // errno returned to the caller (EIO for injected failures)
  std::string note;  // "lie", "injected", torn mode, ...
};

struct Stats {
  uint64_t requests = 0;
  uint64_t writes = 0;
  uint64_t bytes_written = 0;
  uint64_t fsyncs = 0;  // fsync + fdatasync requests
  uint64_t fsyncdirs = 0;
  uint64_t pages_saved = 0;  // undo copies of durable pages since the last cut
  uint64_t dirty_files = 0;
  uint64_t pending_meta_ops = 0;
  uint64_t power_cuts = 0;
  bool frozen = false;
  bool triggered = false;
  double last_cut_ms = 0;  // PowerCut wall time: rollback + remount
};

struct CutReport {
  uint64_t files_rolled_back = 0;
  uint64_t pages_restored = 0;
  uint64_t pages_kept_torn = 0;
  uint64_t meta_ops_undone = 0;
  uint64_t meta_ops_skipped = 0;  // could not be undone because later durable ops moved things
  double rollback_ms = 0;
  double remount_ms = 0;
  double total_ms = 0;
  std::string fs_model;  // the model the cut applied
  // Per other model: how many of the namespace ops this cut dropped it would have kept
  // (a journal commit under that model covered them). 0 = that model leaves the same
  // namespace at this instant.
  std::map<std::string, uint64_t> dropped_ops_kept_under;
  // The unsynced data report: files that held unsynced bytes and namespace ops that
  // were pending at the instant of the cut, one line each.
  std::vector<std::string> unsynced_files;
  std::vector<std::string> pending_ops;
};

class Filesystem;

// A mounted crashfs. The FUSE session runs on threads of the calling process.
// All methods are thread-safe. Must not be called from a thread that is itself blocked on
// the mount (such as a process's own I/O to it while frozen).
class CrashFs {
 public:
  // Mounts `options.backing` on `options.mountpoint`. Everything already in the backing
  // directory is durable. Throws std::runtime_error with the reason on failure.
  static std::unique_ptr<CrashFs> Mount(const Options& options);

  // Unmounts (a clean shutdown: the backing store keeps what was written) and joins the
  // session threads. Requests blocked by Freeze() get EIO.
  ~CrashFs();

  CrashFs(const CrashFs&) = delete;
  CrashFs& operator=(const CrashFs&) = delete;

  // The instant of the power cut: waits for requests already in progress to finish, then
  // holds every new request (they block, they do not fail) until PowerCut().
  void Freeze();

  // Freezes if needed, discards everything not durable (file data and directory entries),
  // answers held requests with EIO, then remounts on the same mountpoint so that no kernel
  // cache serves lost data. Processes that still hold files of the old mount get ENOTCONN.
  CutReport PowerCut(const CutOptions& cut = {});

  void SetSyncMode(SyncMode mode);
  SyncMode GetSyncMode() const;

  // Keeps a copy of every write request's bytes until its file is synced, for torn=seq
  // cuts (costs memory; off by default).
  void RecordWrites(bool on);

  // Arms a trigger at `point`, replacing any armed one, and clears Triggered().
  void ArmTrigger(const CrashPoint& point);
  void DisarmTrigger();
  // True once the armed trigger fired (the mount is then frozen).
  bool Triggered() const;
  // Waits until Triggered() or the timeout; returns Triggered().
  bool WaitTriggered(std::chrono::milliseconds timeout) const;

  // The most recent events (bounded ring), oldest first.
  std::vector<Event> Events() const;
  Stats GetStats() const;
  const Options& options() const;

 private:
  explicit CrashFs(std::unique_ptr<Filesystem> fs);
  std::unique_ptr<Filesystem> fs_;
};

const char* ToString(FsOp op);
const char* ToString(SyncMode mode);
const char* ToString(CutOptions::Torn torn);
std::optional<FsOp> ParseFsOp(const std::string& s);
std::optional<SyncMode> ParseSyncMode(const std::string& s);
std::optional<CutOptions::Torn> ParseTorn(const std::string& s);

}  // namespace crashlab::crashfs

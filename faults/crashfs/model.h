// Durability model of crashfs: undo logs for unsynced file data and directory entries.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "faults/crashfs/crashfs.h"
#include "faults/crashfs/persistence.h"
#include "framework/unique_fd.h"

namespace crashlab::crashfs {

inline constexpr off_t kPageSize = 4096;

// Identity of a backing inode; paths change under renames, inode numbers do not.
struct FileKey {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileKey&) const = default;
};

struct FileKeyHash {
  size_t operator()(const FileKey& k) const {
    return std::hash<uint64_t>()(k.ino * 0x9E3779B97F4A7C15ull ^ k.dev);
  }
};

// Undo state of one backing file since its last successful fsync/fdatasync.
// Writes go straight to the backing file; before a durable byte is overwritten or
// truncated away, its 4 KiB page is copied here once, so a power cut can put it back.
struct FileRecord {
  // Modifications (write, truncate, fallocate) hold this shared from the moment they save
  // old pages until the backing file is changed; a sync holds it exclusively, so that no
  // modification is half inside and half outside the sync point.
  std::shared_mutex mu;
  // Guards the fields below; taken briefly by concurrent modifiers.
  std::mutex state_mu;
  bool dirty = false;
  off_t durable_size = 0;
  // Read-write fd on the inode while dirty: restores must reach the file after a rename,
  // an unlink to the graveyard, or the end of the FUSE session that opened it.
  UniqueFd fd;
  std::unordered_map<uint64_t, std::string> pages;  // page index -> durable bytes
  off_t last_write_off = 0;
  off_t last_write_len = 0;
  // Bytes below this offset keep their durable contents at a cut; up to durable_size the
  // file reads zeros (a journaled truncate that grew the file). Equals durable_size
  // except after a journal commit of a truncate (models with truncate_journaled).
  off_t data_limit = 0;
  // Truncates since the last commit or sync: smallest and last new size.
  bool trunc_pending = false;
  off_t trunc_min = 0;
  off_t trunc_last = 0;
  // auto_da_alloc: the file was the source of a replacing rename; the next journal commit
  // makes its data durable.
  bool flush_on_commit = false;
  // torn=seq: the write requests since the last sync and last truncate, with their bytes.
  std::vector<std::pair<off_t, std::string>> writes;
};

struct RollbackCounts {
  uint64_t files = 0;
  uint64_t pages_restored = 0;
  uint64_t pages_kept_torn = 0;
  uint64_t meta_ops_undone = 0;
  uint64_t meta_ops_skipped = 0;
  // Per model (index in Models()): dropped namespace ops that model would have kept.
  std::vector<uint64_t> dropped_kept_by = std::vector<uint64_t>(Models().size(), 0);
  // What was not durable at the cut, one line each ("unsynced data report").
  std::vector<std::string> unsynced_files;
  std::vector<std::string> pending_ops;
};

// All unsynced file data of one mount. Thread-safe.
class DataLog {
 public:
  DataLog() = default;
  ~DataLog();
  DataLog(const DataLog&) = delete;
  DataLog& operator=(const DataLog&) = delete;

  // Returns the record of `key`, creating a clean one. The pointer stays valid until Clear().
  FileRecord* Get(const FileKey& key);

  // Call with rec->mu held shared, before the backing file's bytes [begin, end) change
  // (end = INT64_MAX for truncation). `opath_fd` names the inode. On the first change
  // since the last sync, captures the durable size; saves the durable pages in range that
  // are not yet saved. `is_write` remembers the range as the file's last write (torn
  // prefix mode). Returns 0 or an errno.
  int BeforeModify(FileRecord* rec, int opath_fd, off_t begin, off_t end, bool is_write);

  // torn=seq: remembers the bytes of a write (call after BeforeModify, with rec->mu shared).
  void RecordWrite(FileRecord* rec, off_t off, std::string data);

  // Call after BeforeModify of a truncate to `size` (setattr size, O_TRUNC).
  void NoteTruncate(FileRecord* rec, off_t size);

  // Call with rec->mu held exclusively: the file's current contents are now durable.
  void MarkSynced(FileRecord* rec);

  // auto_da_alloc: the file replaced another by rename; flush it at the next journal commit.
  void MarkReplaceFlush(FileRecord* rec);

  // True if the file has size metadata to persist (fdatasync commits the journal then):
  // a truncate since the last commit, or a size `cur_size` that is not the durable one.
  bool SizePending(FileRecord* rec, off_t cur_size);

  // A journal commit under `model`: journaled truncates become durable sizes, files marked
  // flush_on_commit become durable. Call with no FileRecord::mu held.
  void JournalCommit(const PersistenceModel& model);

  // Puts every dirty file whose mount-relative path (`rel_path` of its fd) matches `target`
  // (fnmatch; "" = every file) back to its durable contents (or a seeded torn variant of
  // it); the others keep what they hold. Requires that no modification runs concurrently.
  void Rollback(CutOptions::Torn torn, uint64_t seed, RollbackCounts* counts,
                const std::function<std::string(int fd)>& rel_path, const std::string& target);

  // Calls `fn` with the fd of every dirty file.
  void ForEachDirty(const std::function<void(int fd)>& fn);

  // Forgets every record (after a rollback, everything on the backing store is durable).
  void Clear();

  uint64_t dirty_files() const;
  uint64_t saved_pages() const { return saved_pages_.load(); }

 private:
  void RestoreOne(FileRecord* rec, CutOptions::Torn torn, uint64_t seed, RollbackCounts* counts,
                  const std::string& path);

  mutable std::mutex mu_;
  std::unordered_map<FileKey, std::unique_ptr<FileRecord>, FileKeyHash> records_;
  std::unordered_set<FileRecord*> dirty_;
  std::atomic<uint64_t> saved_pages_{0};
};

// One namespace operation that is not yet durable.
// Entries are named by (parent directory fd, name), not by path, so that undoing them
// still works after an ancestor directory was renamed.
struct MetaOp {
  enum Kind { kCreate, kMkdir, kLink, kUnlink, kRmdir, kRename };
  Kind kind;
  UniqueFd dir_fd;  // O_PATH fd of the parent (rename: of the source's parent)
  std::string name;
  UniqueFd dir2_fd;  // rename: O_PATH fd of the target's parent
  std::string name2;
  FileKey node;              // the inode the new (or removed) entry names
  std::string grave;         // graveyard name of the removed inode, or of a replaced rename target
  std::vector<ino_t> dirs;   // parent directories whose fsync makes the op durable
  std::vector<bool> synced;  // parallel to dirs
  uint32_t shadow = 0;       // bit i: a journal commit under Models()[i] covered this op
};

// What kind of sync a request is, for the persistence model.
enum class SyncKind { kFsync, kFdatasync, kDirFsync };

// Directory entries that are not yet durable, and the graveyard that keeps removed
// inodes restorable. Namespace changes are applied to the backing store through the
// methods here so that the log order is the backing order. Thread-safe.
class MetaLog {
 public:
  // `root_fd` is an fd on the backing root; `root_path` its canonical path.
  MetaLog(int root_fd, std::string root_path, PersistenceModel model);
  ~MetaLog();

  // Name of the hidden directory in the backing root that holds removed inodes.
  static constexpr const char* kGraveyard = ".crashfs-graveyard";

  // Empties (or creates) the graveyard and forgets every op. Throws std::runtime_error.
  void ResetGraveyard();
  // Deletes the graveyard (clean unmount: every removal is final).
  void RemoveGraveyard();

  // Backing-relative path of the inode behind `fd` ("" for the root).
  std::string RelPath(int fd) const;

  // Directory fds passed to the methods below may be O_PATH fds; they are duplicated.

  // Runs `create` (which makes `name` in dir `dir_fd` and returns an fd or 0 for success,
  // -errno for failure) and logs the new entry. Returns create's result.
  int Create(MetaOp::Kind kind, int dir_fd, ino_t dir_ino, const char* name,
             const std::function<int()>& create);

  // unlink / rmdir: moves the entry to the graveyard instead of destroying it. Returns 0 or errno.
  int Remove(bool is_dir, int dir_fd, ino_t dir_ino, const char* name);

  // rename(2) with flags 0 or RENAME_NOREPLACE. Returns 0 or errno. `*replaced` (if given)
  // is set to the source inode when the rename replaced an existing regular file.
  int Rename(int old_dir_fd, ino_t old_dir_ino, const char* old_name, int new_dir_fd,
             ino_t new_dir_ino, const char* new_name, unsigned flags,
             std::optional<FileKey>* replaced = nullptr);

  // A successful sync. Under every model a directory fsync makes the ops whose directories
  // have all been synced durable; a model's journal commit makes every earlier op durable.
  // `has_metadata`: an fdatasync's file has metadata to persist. Tracks every model in the
  // shadow; returns true if the active model committed its journal.
  bool OnSync(SyncKind kind, bool has_metadata, ino_t dir_ino);

  // True if the creation of `node` is not yet durable (a new inode: fdatasync commits).
  bool CreatePending(const FileKey& node) const;

  const PersistenceModel& model() const { return model_; }

  // Undoes every op that is not durable, newest first, and empties the graveyard.
  void Rollback(RollbackCounts* counts);

  uint64_t pending() const;

 private:
  std::string NewGrave();
  void Commit(MetaOp& op);
  static void Release(MetaOp& op);

  int root_fd_;
  PersistenceModel model_;
  int active_;  // index of model_ in Models()
  UniqueFd grave_fd_;
  std::string root_path_;
  mutable std::mutex mu_;
  std::list<MetaOp> ops_;
  uint64_t grave_seq_ = 0;
};

// Deterministic 64-bit mix (splitmix64), for seeded torn writes.
uint64_t Mix64(uint64_t x);

}  // namespace crashlab::crashfs

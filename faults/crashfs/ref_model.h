// The reference model crashfs is checked against: a deliberately simple, independent
// statement of the persistence models (persistence.h) over an in-memory tree of inodes and
// directory edges. It shares no code with model.cc: it replays namespace ops forward from
// the last state in which everything was durable, where crashfs undoes them backwards.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace crashlab::crashfs::testing {

// One file-system operation of a generated sequence, by path below the mount.
struct SeqOp {
  enum Kind {
    kCreate,     // open(O_CREAT|O_WRONLY), close
    kOpenTrunc,  // open(O_WRONLY|O_TRUNC) of an existing file
    kWrite,      // pwrite(off, len) of a seeded pattern
    kTruncate,   // truncate to `off` (extend or shrink)
    kRename,
    kLink,
    kUnlink,
    kMkdir,
    kRmdir,
    kFsync,
    kFdatasync,
    kDirFsync,
    kSyncFileRange,  // SYNC_FILE_RANGE_WRITE|WAIT_AFTER: not a durability point
  };
  Kind kind = kCreate;
  std::string path, path2;
  int64_t off = 0, len = 0;
  uint32_t seed = 0;
};

// "write a/x 100 200 7" etc.; Parse is its inverse (regression cases are kept as text).
std::string ToString(const SeqOp& op);
std::optional<SeqOp> ParseSeqOp(const std::string& line);

// The pattern a kWrite writes.
std::string WriteData(const SeqOp& op);

// What a recovered file may contain.
struct AllowedFile {
  bool dir = false;
  std::string durable;  // the content when nothing unsynced survives
  std::string current;  // the content at the cut
  // Torn prefix: the last write since the file's last sync, if any.
  bool has_last_write = false;
  int64_t lw_off = 0, lw_len = 0;
  // Torn seq: the writes since the last sync and last truncate, split at page boundaries
  // (crashfs may receive one write() as several requests), in order.
  std::vector<std::pair<int64_t, std::string>> writes;
};

// What the reference says a cut leaves: path -> allowed file; `conclusive` is false when
// the model has no single answer (POSIX: a durable op that depends on a non-durable one,
// e.g. an unlink of a name only a non-durable rename made).
struct Expected {
  bool conclusive = true;
  std::string why;
  std::map<std::string, AllowedFile> files;
};

class RefModel {
 public:
  // `ext4`: ext4's rules (persistence.h row "ext4"), else POSIX; `auto_da_alloc` as ext4's.
  RefModel(bool ext4, bool auto_da_alloc);
  // Records `op`, which returned `err` (0 = success) on the real file system.
  void Apply(const SeqOp& op, int err);
  // The tree as it is now (no cut): path -> content.
  std::map<std::string, std::string> Current() const;
  // The tree a power cut now leaves (torn writes not applied: see AllowedFile).
  Expected AfterCut() const;

 private:
  struct Inode {
    bool dir = false;
    std::string data, durable;
    bool dirty = false;  // modified since the last sync of this file
    bool trunc_pending = false;
    int64_t trunc_min = 0, trunc_last = 0;
    bool flush_on_commit = false;
    bool has_last_write = false;
    int64_t lw_off = 0, lw_len = 0;
    std::vector<std::pair<int64_t, std::string>> writes;
  };
  struct Edge {
    int parent;
    std::string name;
    int child;
  };
  struct NsOp {
    std::vector<Edge> removes, adds;
    std::vector<int> dirs;
    std::vector<bool> synced;
    bool durable = false;
    int created = -1;  // the inode a create/mkdir made
  };

  // Inode of `path` (-1 if none); its parent directory and last name.
  int Lookup(const std::string& path) const;
  std::pair<int, std::string> Parent(const std::string& path) const;
  void Log(NsOp op);
  void Modify(int ino);
  void Truncate(int ino, int64_t size);
  void Sync(int ino);
  void DirSync(int ino);
  void JournalCommit();
  bool CreatePending(int ino) const;

  bool ext4_, auto_da_alloc_;
  std::map<int, Inode> inodes_;
  std::map<std::pair<int, std::string>, int> edges_;
  std::vector<NsOp> log_;
  int next_ino_ = 1;
};

}  // namespace crashlab::crashfs::testing

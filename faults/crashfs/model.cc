// Durability model of crashfs: what a power cut takes away, and how it is put back.
#include "faults/crashfs/model.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace crashlab::crashfs {
namespace {

std::string ProcFd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::string ReadLink(int fd) {
  char buf[PATH_MAX];
  ssize_t n = readlink(ProcFd(fd).c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return {};
  return std::string(buf, n);
}

// FNV-1a: stable across runs and builds, unlike std::hash.
uint64_t HashString(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool PwriteAll(int fd, const char* p, size_t n, off_t off) {
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= w;
    off += w;
  }
  return true;
}

ssize_t PreadAll(int fd, char* p, size_t n, off_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, p + done, n - done, off + done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    done += r;
  }
  return done;
}

// Removes `name` under `dirfd`, recursively for directories. Best effort.
void RemoveTreeAt(int parent_fd, const char* name) {
  struct stat st;
  if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    unlinkat(parent_fd, name, 0);
    return;
  }
  UniqueFd fd(openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd) {
    DIR* dp = fdopendir(fd.get());
    if (dp != nullptr) {
      fd.release();  // the DIR owns it now (closedir)
      std::vector<std::string> names;
      while (dirent* de = readdir(dp)) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
          names.emplace_back(de->d_name);
        }
      }
      for (const auto& n : names) RemoveTreeAt(dirfd(dp), n.c_str());
      closedir(dp);
    }
  }
  unlinkat(parent_fd, name, AT_REMOVEDIR);
}

// Returns 0 if `name` under `dirfd` is an empty directory, else an errno.
int CheckEmptyDir(int dirfd, const char* name) {
  UniqueFd fd(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno;
  DIR* dp = fdopendir(fd.get());
  if (dp == nullptr) return errno;
  fd.release();  // the DIR owns it now (closedir)
  int result = 0;
  while (dirent* de = readdir(dp)) {
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
      result = ENOTEMPTY;
      break;
    }
  }
  closedir(dp);
  return result;
}

}  // namespace

uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// ---------------------------------------------------------------- DataLog

DataLog::~DataLog() { Clear(); }

FileRecord* DataLog::Get(const FileKey& key) {
  std::lock_guard lk(mu_);
  auto& slot = records_[key];
  if (!slot) slot = std::make_unique<FileRecord>();
  return slot.get();
}

int DataLog::BeforeModify(FileRecord* rec, int opath_fd, off_t begin, off_t end, bool is_write) {
  std::lock_guard lk(rec->state_mu);
  if (!rec->dirty) {
    // The size now is the durable size: every change since the last sync passed here.
    UniqueFd fd(open(ProcFd(opath_fd).c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) return errno;
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return errno;
    rec->fd = std::move(fd);
    rec->durable_size = st.st_size;
    rec->data_limit = st.st_size;
    rec->dirty = true;
    std::lock_guard dl(mu_);
    dirty_.insert(rec);
  }
  if (is_write) {
    rec->last_write_off = begin;
    rec->last_write_len = end - begin;
  }
  off_t limit = std::min(end, rec->durable_size);
  for (off_t page = begin / kPageSize; page * kPageSize < limit; ++page) {
    if (rec->pages.count(page) != 0) continue;
    off_t at = page * kPageSize;
    std::string old(std::min(kPageSize, rec->durable_size - at), '\0');
    ssize_t n = PreadAll(rec->fd.get(), old.data(), old.size(), at);
    if (n < 0) return errno;
    old.resize(n);
    rec->pages.emplace(page, std::move(old));
    saved_pages_.fetch_add(1, std::memory_order_relaxed);
  }
  return 0;
}

void DataLog::RecordWrite(FileRecord* rec, off_t off, std::string data) {
  std::lock_guard lk(rec->state_mu);
  rec->writes.emplace_back(off, std::move(data));
}

void DataLog::NoteTruncate(FileRecord* rec, off_t size) {
  std::lock_guard lk(rec->state_mu);
  rec->writes.clear();  // torn=seq keeps no write from before a truncate
  rec->trunc_min = rec->trunc_pending ? std::min(rec->trunc_min, size) : size;
  rec->trunc_last = size;
  rec->trunc_pending = true;
}

void DataLog::MarkReplaceFlush(FileRecord* rec) {
  std::lock_guard lk(rec->state_mu);
  if (rec->dirty) rec->flush_on_commit = true;
}

bool DataLog::SizePending(FileRecord* rec, off_t cur_size) {
  std::lock_guard lk(rec->state_mu);
  return rec->dirty && (rec->trunc_pending || cur_size != rec->durable_size);
}

void DataLog::JournalCommit(const PersistenceModel& model) {
  std::vector<FileRecord*> dirty;
  {
    std::lock_guard lk(mu_);
    dirty.assign(dirty_.begin(), dirty_.end());
  }
  for (FileRecord* rec : dirty) {
    bool flush = false;
    {
      std::lock_guard lk(rec->state_mu);
      if (model.truncate_journaled && rec->trunc_pending) {
        rec->data_limit = std::min({rec->data_limit, rec->trunc_min, rec->durable_size});
        rec->durable_size = rec->trunc_last;
        rec->trunc_pending = false;
      }
      flush = model.replace_rename_flushes_data && rec->flush_on_commit;
    }
    if (flush) {
      std::unique_lock lk(rec->mu);
      MarkSynced(rec);
    }
  }
}

void DataLog::MarkSynced(FileRecord* rec) {
  std::lock_guard lk(rec->state_mu);
  rec->flush_on_commit = false;
  rec->trunc_pending = false;
  if (!rec->dirty) return;
  rec->pages.clear();
  rec->writes.clear();
  rec->dirty = false;
  rec->last_write_len = 0;
  rec->fd.reset();
  std::lock_guard dl(mu_);
  dirty_.erase(rec);
}

void DataLog::RestoreOne(FileRecord* rec, CutOptions::Torn torn, uint64_t seed,
                         RollbackCounts* counts, const std::string& path) {
  std::lock_guard lk(rec->state_mu);
  if (!rec->dirty) return;
  counts->files++;
  int fd = rec->fd.get();
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  const off_t cur = st.st_size;
  // Durable bytes end at data_limit; a journaled truncate may have grown the durable size
  // beyond it (zeros).
  const off_t durable = rec->data_limit;
  const off_t durable_size = rec->durable_size;
  counts->unsynced_files.push_back(
      path + ": durable " + std::to_string(durable_size) + " B, current " + std::to_string(cur) +
      " B, " + std::to_string(rec->pages.size()) + " synced page(s) overwritten");
  // Seeded by the path, not the inode number, so that a replay on a fresh backing
  // directory tears the same pages.
  const uint64_t file_seed = Mix64(seed ^ HashString(ReadLink(fd)));

  if (torn == CutOptions::Torn::kRandomPages) {
    auto keep = [&](uint64_t page) { return (Mix64(file_seed ^ Mix64(page)) & 1) != 0; };
    off_t new_size = durable;
    const uint64_t first_new = durable / kPageSize;
    const uint64_t end_page = (cur + kPageSize - 1) / kPageSize;
    for (uint64_t p = first_new; p < end_page; ++p) {
      if ((p + 1) * kPageSize > static_cast<uint64_t>(durable) && keep(p)) {
        new_size = std::max<off_t>(new_size, std::min<off_t>(cur, (p + 1) * kPageSize));
      }
    }
    for (auto& [page, old] : rec->pages) {
      if (keep(page)) {
        counts->pages_kept_torn++;
        continue;
      }
      PwriteAll(fd, old.data(), old.size(), page * kPageSize);
      counts->pages_restored++;
    }
    // Lost pages below the new end of file read back as zeros, as after a real crash
    // where the size reached the disk but the data did not.
    std::string zeros(kPageSize, '\0');
    for (uint64_t p = first_new; p < end_page; ++p) {
      off_t lo = std::max<off_t>(p * kPageSize, durable);
      off_t hi = std::min<off_t>((p + 1) * kPageSize, new_size);
      if (hi <= lo) continue;
      if (keep(p)) {
        counts->pages_kept_torn++;
      } else {
        PwriteAll(fd, zeros.data(), hi - lo, lo);
      }
    }
    if (ftruncate(fd, new_size) != 0) { /* best effort: nothing more to do */
    }
    if (durable_size > new_size && ftruncate(fd, durable_size) != 0) { /* best effort */
    }
    return;
  }

  std::string prefix;
  off_t prefix_off = rec->last_write_off;
  if (torn == CutOptions::Torn::kPrefix && rec->last_write_len > 0 && prefix_off < cur) {
    off_t len = std::min<off_t>(rec->last_write_len, cur - prefix_off);
    off_t sectors = len / 512;
    off_t keep = std::min<off_t>(len, static_cast<off_t>(Mix64(file_seed) % (sectors + 1)) * 512);
    prefix.resize(keep);
    ssize_t n = PreadAll(fd, prefix.data(), keep, prefix_off);
    prefix.resize(n < 0 ? 0 : n);
  }
  for (auto& [page, old] : rec->pages) {
    PwriteAll(fd, old.data(), old.size(), page * kPageSize);
    counts->pages_restored++;
  }
  if (ftruncate(fd, durable) != 0) { /* best effort */
  }
  if (durable_size > durable && ftruncate(fd, durable_size) != 0) { /* best effort */
  }
  if (!prefix.empty()) {
    PwriteAll(fd, prefix.data(), prefix.size(), prefix_off);
    counts->pages_kept_torn += (prefix.size() + kPageSize - 1) / kPageSize;
  }
  if (torn == CutOptions::Torn::kSeq) {
    for (size_t i = 0; i < rec->writes.size(); ++i) {
      if ((Mix64(file_seed ^ Mix64(i + 1)) & 1) == 0) continue;
      const auto& [off, data] = rec->writes[i];
      PwriteAll(fd, data.data(), data.size(), off);
      counts->pages_kept_torn += (data.size() + kPageSize - 1) / kPageSize;
    }
  }
}

void DataLog::Rollback(CutOptions::Torn torn, uint64_t seed, RollbackCounts* counts,
                       const std::function<std::string(int fd)>& rel_path,
                       const std::string& target) {
  std::vector<FileRecord*> dirty;
  {
    std::lock_guard lk(mu_);
    dirty.assign(dirty_.begin(), dirty_.end());
  }
  for (FileRecord* rec : dirty) {
    struct stat st;
    // A file whose last name is gone for good (a durable unlink) cannot come back.
    if (fstat(rec->fd.get(), &st) == 0 && st.st_nlink == 0) continue;
    const std::string path = rel_path(rec->fd.get());
    if (!target.empty() && fnmatch(target.c_str(), path.c_str(), 0) != 0) {
      counts->unsynced_files.push_back(path + " kept (not targeted by " + target + ")");
      continue;
    }
    RestoreOne(rec, torn, seed, counts, path);
  }
}

void DataLog::ForEachDirty(const std::function<void(int fd)>& fn) {
  std::lock_guard lk(mu_);
  for (FileRecord* rec : dirty_) fn(rec->fd.get());
}

void DataLog::Clear() {
  std::lock_guard lk(mu_);
  records_.clear();  // each record closes its fd
  dirty_.clear();
  saved_pages_ = 0;
}

uint64_t DataLog::dirty_files() const {
  std::lock_guard lk(mu_);
  return dirty_.size();
}

// ---------------------------------------------------------------- MetaLog

MetaLog::MetaLog(int root_fd, std::string root_path, PersistenceModel model)
    : root_fd_(root_fd),
      model_(std::move(model)),
      active_(ModelIndex(model_.name)),
      root_path_(std::move(root_path)) {}

MetaLog::~MetaLog() = default;  // ops_ and grave_fd_ close their fds

void MetaLog::ResetGraveyard() {
  std::lock_guard lk(mu_);
  grave_fd_.reset();
  RemoveTreeAt(root_fd_, kGraveyard);
  if (mkdirat(root_fd_, kGraveyard, 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error(std::string("crashfs: cannot create graveyard in backing dir: ") +
                             strerror(errno));
  }
  grave_fd_.reset(openat(root_fd_, kGraveyard, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!grave_fd_) {
    throw std::runtime_error(std::string("crashfs: cannot open graveyard: ") + strerror(errno));
  }
  for (auto& op : ops_) Release(op);
  ops_.clear();
}

void MetaLog::RemoveGraveyard() {
  std::lock_guard lk(mu_);
  grave_fd_.reset();
  RemoveTreeAt(root_fd_, kGraveyard);
  for (auto& op : ops_) Release(op);
  ops_.clear();
}

std::string MetaLog::RelPath(int fd) const {
  std::string p = ReadLink(fd);
  if (p == root_path_) return {};
  if (p.size() > root_path_.size() && p.compare(0, root_path_.size(), root_path_) == 0 &&
      p[root_path_.size()] == '/') {
    return p.substr(root_path_.size() + 1);
  }
  return p;
}

void MetaLog::Release(MetaOp& op) {
  op.dir_fd.reset();
  op.dir2_fd.reset();
}

std::string MetaLog::NewGrave() { return "g" + std::to_string(++grave_seq_); }

int MetaLog::Create(MetaOp::Kind kind, int dir_fd, ino_t dir_ino, const char* name,
                    const std::function<int()>& create) {
  std::lock_guard lk(mu_);
  int r = create();
  if (r < 0) return r;
  struct stat st;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return r;
  MetaOp op{kind,   UniqueFd(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)),
            name,   UniqueFd(),
            "",     {st.st_dev, st.st_ino},
            "",     {dir_ino},
            {false}};
  ops_.push_back(std::move(op));
  return r;
}

int MetaLog::Remove(bool is_dir, int dir_fd, ino_t dir_ino, const char* name) {
  std::lock_guard lk(mu_);
  struct stat st;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  if (is_dir) {
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    if (int e = CheckEmptyDir(dir_fd, name)) return e;
  } else if (S_ISDIR(st.st_mode)) {
    return EISDIR;
  }
  // The entry goes to the graveyard, not away: until the directory is synced, a power cut
  // must be able to bring it back with its durable contents.
  std::string grave = NewGrave();
  if (renameat(dir_fd, name, grave_fd_.get(), grave.c_str()) != 0) {
    // A different filesystem mounted inside the backing dir: the graveyard cannot hold
    // the entry, so this removal is final at once (not revertible by a power cut).
    if (errno != EXDEV) return errno;
    return unlinkat(dir_fd, name, is_dir ? AT_REMOVEDIR : 0) == 0 ? 0 : errno;
  }
  MetaOp op{is_dir ? MetaOp::kRmdir : MetaOp::kUnlink,
            UniqueFd(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)),
            name,
            UniqueFd(),
            "",
            {st.st_dev, st.st_ino},
            grave,
            {dir_ino},
            {false}};
  ops_.push_back(std::move(op));
  return 0;
}

int MetaLog::Rename(int old_dir_fd, ino_t old_dir_ino, const char* old_name, int new_dir_fd,
                    ino_t new_dir_ino, const char* new_name, unsigned flags,
                    std::optional<FileKey>* replaced) {
  if ((flags & ~RENAME_NOREPLACE) != 0) return EINVAL;
  std::lock_guard lk(mu_);
  struct stat src, dst;
  if (fstatat(old_dir_fd, old_name, &src, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  bool exists = fstatat(new_dir_fd, new_name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
  std::string grave;
  if (exists) {
    if (flags & RENAME_NOREPLACE) return EEXIST;
    if (src.st_ino == dst.st_ino && src.st_dev == dst.st_dev) return 0;
    if (S_ISDIR(src.st_mode) && !S_ISDIR(dst.st_mode)) return ENOTDIR;
    if (!S_ISDIR(src.st_mode) && S_ISDIR(dst.st_mode)) return EISDIR;
    if (S_ISDIR(dst.st_mode)) {
      if (int e = CheckEmptyDir(new_dir_fd, new_name)) return e;
    }
    grave = NewGrave();
    if (renameat(new_dir_fd, new_name, grave_fd_.get(), grave.c_str()) != 0) return errno;
  }
  if (renameat(old_dir_fd, old_name, new_dir_fd, new_name) != 0) {
    int e = errno;
    if (!grave.empty()) renameat(grave_fd_.get(), grave.c_str(), new_dir_fd, new_name);
    return e;
  }
  MetaOp op{MetaOp::kRename,
            UniqueFd(fcntl(old_dir_fd, F_DUPFD_CLOEXEC, 0)),
            old_name,
            UniqueFd(fcntl(new_dir_fd, F_DUPFD_CLOEXEC, 0)),
            new_name,
            {src.st_dev, src.st_ino},
            grave,
            {},
            {}};
  op.dirs.push_back(old_dir_ino);
  if (new_dir_ino != old_dir_ino) op.dirs.push_back(new_dir_ino);
  op.synced.assign(op.dirs.size(), false);
  ops_.push_back(std::move(op));
  if (replaced != nullptr && exists && S_ISREG(src.st_mode))
    *replaced = FileKey{src.st_dev, src.st_ino};
  return 0;
}

void MetaLog::Commit(MetaOp& op) {
  if (!op.grave.empty()) RemoveTreeAt(grave_fd_.get(), op.grave.c_str());
  Release(op);
}

namespace {
// Whether a sync of `kind` commits `m`'s journal.
bool CommitsJournal(const PersistenceModel& m, SyncKind kind, bool has_metadata) {
  switch (kind) {
    case SyncKind::kFsync:
      return m.fsync_commits_journal;
    case SyncKind::kFdatasync:
      return m.fdatasync_commits_with_metadata && has_metadata;
    case SyncKind::kDirFsync:
      return m.dirsync_commits_journal;
  }
  return false;
}
}  // namespace

bool MetaLog::OnSync(SyncKind kind, bool has_metadata, ino_t dir_ino) {
  std::lock_guard lk(mu_);
  const auto& models = Models();
  uint32_t commit_mask = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    if (CommitsJournal(models[i], kind, has_metadata)) commit_mask |= 1u << i;
  }
  const bool active_commits = CommitsJournal(model_, kind, has_metadata);
  for (auto it = ops_.begin(); it != ops_.end();) {
    bool all = true;
    for (size_t i = 0; i < it->dirs.size(); ++i) {
      if (kind == SyncKind::kDirFsync && it->dirs[i] == dir_ino) it->synced[i] = true;
      all = all && it->synced[i];
    }
    it->shadow |= commit_mask;
    if (all || active_commits) {
      Commit(*it);
      it = ops_.erase(it);
    } else {
      ++it;
    }
  }
  return active_commits;
}

bool MetaLog::CreatePending(const FileKey& node) const {
  std::lock_guard lk(mu_);
  for (const auto& op : ops_) {
    if ((op.kind == MetaOp::kCreate || op.kind == MetaOp::kMkdir) && op.node == node) return true;
  }
  return false;
}

void MetaLog::Rollback(RollbackCounts* counts) {
  std::lock_guard lk(mu_);
  auto names = [&](int dir, const std::string& name, const FileKey& key) {
    struct stat st;
    return fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == key.ino &&
           st.st_dev == key.dev;
  };
  auto is_free = [&](int dir, const std::string& name) {
    struct stat st;
    return fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
  };
  auto from_grave = [&](const std::string& grave, int dir, const std::string& name) {
    return renameat2(grave_fd_.get(), grave.c_str(), dir, name.c_str(), RENAME_NOREPLACE) == 0;
  };
  static const char* kKind[] = {"create", "mkdir", "link", "unlink", "rmdir", "rename"};
  for (const MetaOp& op : ops_) {
    std::string line = std::string(kKind[op.kind]) + " " + RelPath(op.dir_fd.get());
    line += (line.back() == ' ' ? "" : "/") + op.name;
    if (op.kind == MetaOp::kRename) {
      std::string to = RelPath(op.dir2_fd.get());
      line += " -> " + (to.empty() ? op.name2 : to + "/" + op.name2);
    }
    counts->pending_ops.push_back(line);
    for (size_t i = 0; i < counts->dropped_kept_by.size(); ++i) {
      if (op.shadow & (1u << i)) counts->dropped_kept_by[i]++;
    }
  }
  // Newest first: each undo then sees the namespace as it was right after its op.
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) {
    MetaOp& op = *it;
    bool done = false;
    switch (op.kind) {
      case MetaOp::kCreate:
      case MetaOp::kLink:
        done = names(op.dir_fd.get(), op.name, op.node) &&
               unlinkat(op.dir_fd.get(), op.name.c_str(), 0) == 0;
        break;
      case MetaOp::kMkdir:
        if (names(op.dir_fd.get(), op.name, op.node)) {
          RemoveTreeAt(op.dir_fd.get(), op.name.c_str());
          done = true;
        }
        break;
      case MetaOp::kUnlink:
      case MetaOp::kRmdir:
        done = from_grave(op.grave, op.dir_fd.get(), op.name);
        break;
      case MetaOp::kRename:
        if (names(op.dir2_fd.get(), op.name2, op.node)) {
          done = renameat2(op.dir2_fd.get(), op.name2.c_str(), op.dir_fd.get(), op.name.c_str(),
                           RENAME_NOREPLACE) == 0;
        }
        if (!op.grave.empty() && is_free(op.dir2_fd.get(), op.name2)) {
          done = from_grave(op.grave, op.dir2_fd.get(), op.name2) && done;
        }
        break;
    }
    if (done) {
      counts->meta_ops_undone++;
    } else {
      counts->meta_ops_skipped++;
    }
    Release(op);
  }
  ops_.clear();
  // What is left in the graveyard belonged to removals that were durable.
  if (grave_fd_) {
    // A fresh open file description: a dup would share (and exhaust) the read position.
    UniqueFd fd(openat(grave_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (DIR* dp = fd ? fdopendir(fd.get()) : nullptr) {
      fd.release();  // the DIR owns it now (closedir)
      std::vector<std::string> left;
      while (dirent* de = readdir(dp)) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
          left.emplace_back(de->d_name);
        }
      }
      for (const auto& n : left) RemoveTreeAt(grave_fd_.get(), n.c_str());
      closedir(dp);
    }
  }
}

uint64_t MetaLog::pending() const {
  std::lock_guard lk(mu_);
  return ops_.size();
}

}  // namespace crashlab::crashfs

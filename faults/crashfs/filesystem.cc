// crashfs request handlers (passthrough_ll model plus durability hooks) and session lifecycle.
#define FUSE_USE_VERSION 312

#include "faults/crashfs/filesystem.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <fuse_lowlevel.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace crashlab::crashfs {
namespace {

// Nothing but this daemon changes the backing store while it is mounted, and a power cut
// starts a fresh mount, so the kernel may cache entries and attributes for as long as it likes.
constexpr double kCacheTimeout = 86400.0;
constexpr size_t kMaxEvents = 20000;
constexpr unsigned kMaxWrite = 1u << 20;

Session* Sess(fuse_req_t req) { return static_cast<Session*>(fuse_req_userdata(req)); }

Inode* Ino(Session* s, fuse_ino_t ino) {
  return ino == FUSE_ROOT_ID ? &s->root : reinterpret_cast<Inode*>(static_cast<uintptr_t>(ino));
}

FileHandle* Fh(fuse_file_info* fi) { return reinterpret_cast<FileHandle*>(fi->fh); }
DirHandle* Dh(fuse_file_info* fi) { return reinterpret_cast<DirHandle*>(fi->fh); }

std::string ProcFd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool IsHidden(fuse_ino_t parent, const char* name) {
  return parent == FUSE_ROOT_ID && strcmp(name, MetaLog::kGraveyard) == 0;
}

// Runs backing calls with the requesting user's fs identity, so that files created by a
// non-root client belong to it; restores root afterwards. fsuid is per thread.
class FsCreds {
 public:
  explicit FsCreds(fuse_req_t req) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    if (geteuid() == 0 && (ctx->uid != 0 || ctx->gid != 0)) {
      setfsgid(ctx->gid);
      setfsuid(ctx->uid);
      active_ = true;
    }
  }
  ~FsCreds() {
    if (active_) {
      setfsuid(0);
      setfsgid(0);
    }
  }

 private:
  bool active_ = false;
};

// The kernel already applied the caller's umask to create modes; the process umask must
// not apply a second time. umask is per process, so each worker thread gets its own fs
// context first (the embedding process keeps its umask).
void ZeroThreadUmask() {
  thread_local bool done = false;
  if (!done) {
    if (unshare(CLONE_FS) == 0) umask(0);
    done = true;
  }
}

void FillEntry(fuse_entry_param* e) {
  e->attr_timeout = kCacheTimeout;
  e->entry_timeout = kCacheTimeout;
}

int DoLookup(Session* s, fuse_ino_t parent, const char* name, fuse_entry_param* e) {
  memset(e, 0, sizeof(*e));
  if (IsHidden(parent, name)) return ENOENT;
  FillEntry(e);
  UniqueFd fd(openat(Ino(s, parent)->fd.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno;
  if (fstatat(fd.get(), "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return errno;
  FileKey key{e->attr.st_dev, e->attr.st_ino};
  Inode* in;
  {
    std::lock_guard lk(s->mu);
    auto it = s->inodes.find(key);
    if (it != s->inodes.end()) {
      in = it->second;
      in->nlookup++;
    } else {
      in = new Inode;
      in->fd = std::move(fd);
      in->key = key;
      in->nlookup = 1;
      s->inodes.emplace(key, in);
    }
  }
  e->ino = reinterpret_cast<uintptr_t>(in);
  return 0;
}

void Unref(Session* s, Inode* in, uint64_t n) {
  if (in == &s->root) return;
  std::lock_guard lk(s->mu);
  in->nlookup -= std::min(n, in->nlookup);
  if (in->nlookup == 0) {
    s->inodes.erase(in->key);
    delete in;
  }
}

// --------------------------------------------------------------- handlers

void OpInit(void* userdata, fuse_conn_info* conn) {
  Session* s = static_cast<Session*>(userdata);
  if (s->fs->options().writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
    conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  }
  // Locks stay in the kernel: every user of the backing store goes through this mount.
  conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
  conn->max_write = kMaxWrite;
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  fuse_entry_param e;
  int err = DoLookup(s, parent, name, &e);
  if (err != 0) return (void)fuse_reply_err(req, err);
  fuse_reply_entry(req, &e);
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Unref(Sess(req), Ino(Sess(req), ino), nlookup);
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Session* s = Sess(req);
  for (size_t i = 0; i < count; ++i) Unref(s, Ino(s, forgets[i].ino), forgets[i].nlookup);
  fuse_reply_none(req);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  struct stat st;
  if (fstatat(Ino(s, ino)->fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    return (void)fuse_reply_err(req, errno);
  }
  fuse_reply_attr(req, &st, kCacheTimeout);
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* in = Ino(s, ino);
  ReqGate g(fs, (valid & FUSE_SET_ATTR_SIZE) ? static_cast<int>(FsOp::kWrite) : -1,
            (valid & FUSE_SET_ATTR_SIZE) && fs->TriggerWants(FsOp::kWrite)
                ? fs->MountPath(in->fd.get())
                : std::string());
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  std::string proc = ProcFd(in->fd.get());
  int res = 0;
  if (valid & FUSE_SET_ATTR_MODE) {
    res = fi ? fchmod(Fh(fi)->fd.get(), attr->st_mode) : chmod(proc.c_str(), attr->st_mode);
    if (res != 0) return (void)fuse_reply_err(req, errno);
  }
  if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
    uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : static_cast<uid_t>(-1);
    gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : static_cast<gid_t>(-1);
    if (fchownat(in->fd.get(), "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
      return (void)fuse_reply_err(req, errno);
    }
  }
  if (valid & FUSE_SET_ATTR_SIZE) {
    FileRecord* rec = fs->Record(in);
    std::shared_lock lk(rec->mu);
    if (int err = fs->data().BeforeModify(rec, in->fd.get(), attr->st_size, INT64_MAX, false)) {
      return (void)fuse_reply_err(req, err);
    }
    res = fi ? ftruncate(Fh(fi)->fd.get(), attr->st_size) : truncate(proc.c_str(), attr->st_size);
    if (res != 0) return (void)fuse_reply_err(req, errno);
    fs->data().NoteTruncate(rec, attr->st_size);
  }
  if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
    struct timespec tv[2];
    tv[0].tv_sec = tv[1].tv_sec = 0;
    tv[0].tv_nsec = tv[1].tv_nsec = UTIME_OMIT;
    if (valid & FUSE_SET_ATTR_ATIME_NOW) {
      tv[0].tv_nsec = UTIME_NOW;
    } else if (valid & FUSE_SET_ATTR_ATIME) {
      tv[0] = attr->st_atim;
    }
    if (valid & FUSE_SET_ATTR_MTIME_NOW) {
      tv[1].tv_nsec = UTIME_NOW;
    } else if (valid & FUSE_SET_ATTR_MTIME) {
      tv[1] = attr->st_mtim;
    }
    res = fi ? futimens(Fh(fi)->fd.get(), tv) : utimensat(AT_FDCWD, proc.c_str(), tv, 0);
    if (res != 0) return (void)fuse_reply_err(req, errno);
  }
  struct stat st;
  if (fstatat(in->fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    return (void)fuse_reply_err(req, errno);
  }
  fuse_reply_attr(req, &st, kCacheTimeout);
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  char buf[PATH_MAX + 1];
  ssize_t n = readlinkat(Ino(s, ino)->fd.get(), "", buf, sizeof(buf));
  if (n < 0) return (void)fuse_reply_err(req, errno);
  if (n == sizeof(buf)) return (void)fuse_reply_err(req, ENAMETOOLONG);
  buf[n] = '\0';
  fuse_reply_readlink(req, buf);
}

// mknod, mkdir, symlink: `make` creates `name` in the parent (0 or -errno).
void MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, MetaOp::Kind kind,
              const char* event, const std::function<int(int dir_fd)>& make) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* dir = Ino(s, parent);
  if (IsHidden(parent, name)) return (void)fuse_reply_err(req, EPERM);
  std::string path = fs->MountPath(dir->fd.get(), name);
  ReqGate g(fs, static_cast<int>(FsOp::kCreate), path);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  ZeroThreadUmask();
  int r = fs->meta().Create(kind, dir->fd.get(), dir->key.ino, name, [&] {
    FsCreds creds(req);
    return make(dir->fd.get());
  });
  fs->AddEvent(event, path, "", r < 0 ? -r : 0);
  if (r < 0) return (void)fuse_reply_err(req, -r);
  fuse_entry_param e;
  int err = DoLookup(s, parent, name, &e);
  if (err != 0) return (void)fuse_reply_err(req, err);
  fuse_reply_entry(req, &e);
}

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  MakeNode(req, parent, name, MetaOp::kCreate, "mknod", [&](int dfd) {
    int r = S_ISFIFO(mode) ? mkfifoat(dfd, name, mode) : mknodat(dfd, name, mode, rdev);
    return r == 0 ? 0 : -errno;
  });
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  MakeNode(req, parent, name, MetaOp::kMkdir, "mkdir",
           [&](int dfd) { return mkdirat(dfd, name, mode) == 0 ? 0 : -errno; });
}

void OpSymlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  MakeNode(req, parent, name, MetaOp::kCreate, "symlink",
           [&](int dfd) { return symlinkat(link, dfd, name) == 0 ? 0 : -errno; });
}

void OpLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  Session* s = Sess(req);
  Inode* in = Ino(s, ino);
  MakeNode(req, parent, name, MetaOp::kLink, "link", [&](int dfd) {
    return linkat(AT_FDCWD, ProcFd(in->fd.get()).c_str(), dfd, name, AT_SYMLINK_FOLLOW) == 0
               ? 0
               : -errno;
  });
}

void RemoveEntry(fuse_req_t req, fuse_ino_t parent, const char* name, bool is_dir) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* dir = Ino(s, parent);
  if (IsHidden(parent, name)) return (void)fuse_reply_err(req, ENOENT);
  std::string path = fs->MountPath(dir->fd.get(), name);
  ReqGate g(fs, static_cast<int>(FsOp::kUnlink), path);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  int err = fs->meta().Remove(is_dir, dir->fd.get(), dir->key.ino, name);
  fs->AddEvent(is_dir ? "rmdir" : "unlink", path, "", err);
  fuse_reply_err(req, err);
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  RemoveEntry(req, parent, name, false);
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  RemoveEntry(req, parent, name, true);
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* from = Ino(s, parent);
  Inode* to = Ino(s, newparent);
  if (IsHidden(parent, name) || IsHidden(newparent, newname)) {
    return (void)fuse_reply_err(req, EPERM);
  }
  std::string p1 = fs->MountPath(from->fd.get(), name);
  std::string p2 = fs->MountPath(to->fd.get(), newname);
  ReqGate g(fs, static_cast<int>(FsOp::kRename), p1, p2);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  std::optional<FileKey> replaced;
  int err = fs->meta().Rename(from->fd.get(), from->key.ino, name, to->fd.get(), to->key.ino,
                              newname, flags, &replaced);
  if (err == 0 && replaced && fs->model().replace_rename_flushes_data) {
    fs->data().MarkReplaceFlush(fs->data().Get(*replaced));
  }
  fs->AddEvent("rename", p1, p2, err);
  fuse_reply_err(req, err);
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  UniqueFd fd(openat(Ino(s, ino)->fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return (void)fuse_reply_err(req, errno);
  DIR* dp = fdopendir(fd.get());
  if (dp == nullptr) return (void)fuse_reply_err(req, errno);
  fd.release();  // the DIR owns it now (closedir)
  auto* d = new DirHandle;
  d->dp = dp;
  {
    std::lock_guard lk(s->mu);
    s->dirs.insert(d);
  }
  fi->fh = reinterpret_cast<uintptr_t>(d);
  if (fuse_reply_open(req, fi) != 0) {
    std::lock_guard lk(s->mu);
    s->dirs.erase(d);
    closedir(dp);
    delete d;
  }
}

bool IsDotOrDotDot(const char* n) {
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

void DoReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi,
               bool plus) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  DirHandle* d = Dh(fi);
  std::string buf(size, '\0');
  char* p = buf.data();
  size_t rem = size;
  int err = 0;
  if (offset != d->offset) {
    seekdir(d->dp, offset);
    d->entry = nullptr;
    d->offset = offset;
  }
  while (true) {
    if (d->entry == nullptr) {
      errno = 0;
      d->entry = readdir(d->dp);
      if (d->entry == nullptr) {
        err = errno;
        break;
      }
    }
    off_t next = d->entry->d_off;
    const char* name = d->entry->d_name;
    if (IsHidden(ino, name)) {
      d->entry = nullptr;
      d->offset = next;
      continue;
    }
    size_t entsize;
    fuse_ino_t entry_ino = 0;
    if (plus) {
      fuse_entry_param e;
      if (IsDotOrDotDot(name)) {
        memset(&e, 0, sizeof(e));
        e.attr.st_ino = d->entry->d_ino;
        e.attr.st_mode = d->entry->d_type << 12;
      } else {
        err = DoLookup(s, ino, name, &e);
        if (err != 0) break;
        entry_ino = e.ino;
      }
      entsize = fuse_add_direntry_plus(req, p, rem, name, &e, next);
    } else {
      struct stat st;
      memset(&st, 0, sizeof(st));
      st.st_ino = d->entry->d_ino;
      st.st_mode = d->entry->d_type << 12;
      entsize = fuse_add_direntry(req, p, rem, name, &st, next);
    }
    if (entsize > rem) {
      if (entry_ino != 0) Unref(s, Ino(s, entry_ino), 1);
      break;
    }
    p += entsize;
    rem -= entsize;
    d->entry = nullptr;
    d->offset = next;
  }
  // Entries already in the buffer carry lookup counts: an error can only be reported
  // when the buffer is empty.
  if (err != 0 && rem == size) return (void)fuse_reply_err(req, err);
  fuse_reply_buf(req, buf.data(), size - rem);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  DoReaddir(req, ino, size, off, fi, false);
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  DoReaddir(req, ino, size, off, fi, true);
}

void OpReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Session* s = Sess(req);
  DirHandle* d = Dh(fi);
  {
    std::lock_guard lk(s->mu);
    s->dirs.erase(d);
  }
  closedir(d->dp);
  delete d;
  fuse_reply_err(req, 0);
}

// Applies the sync mode to an fsync-like request. Returns -1 to proceed with a real sync,
// or the errno to answer (0 = acknowledged without making anything durable).
int SyncVerdict(Filesystem* fs, const char* kind, const std::string& path) {
  switch (fs->sync_mode()) {
    case SyncMode::kFail:
      fs->AddEvent(kind, path, "", EIO, "injected");
      return EIO;
    case SyncMode::kLie:
      fs->AddEvent(kind, path, "", 0, "lie");
      return 0;
    case SyncMode::kPass:
      break;
  }
  return -1;
}

void OpFsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* in = Ino(s, ino);
  std::string path = fs->MountPath(in->fd.get());
  ReqGate g(fs, static_cast<int>(FsOp::kFsyncDir), path);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  fs->n_fsyncdirs++;
  int v = SyncVerdict(fs, "fsyncdir", path);
  if (v >= 0) return (void)fuse_reply_err(req, v);
  if (fs->options().backing_fsync) {
    int fd = dirfd(Dh(fi)->dp);
    if ((datasync ? fdatasync(fd) : fsync(fd)) != 0) {
      int err = errno;
      fs->AddEvent("fsyncdir", path, "", err, "backing");
      return (void)fuse_reply_err(req, err);
    }
  }
  fs->OnSync(SyncKind::kDirFsync, false, in->key.ino);
  fs->AddEvent("fsyncdir", path, "", 0);
  fuse_reply_err(req, 0);
}

// Open flags for the backing file. With writeback caching the kernel reads pages to fill
// partial writes, and it implements O_APPEND itself.
int BackingFlags(Filesystem* fs, int flags) {
  if (fs->options().writeback_cache) {
    if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
    flags &= ~O_APPEND;
  }
  return (flags & ~O_NOFOLLOW) | O_CLOEXEC;
}

void ReplyOpened(fuse_req_t req, Session* s, UniqueFd fd, fuse_file_info* fi,
                 const fuse_entry_param* e) {
  auto* h = new FileHandle{std::move(fd)};
  {
    std::lock_guard lk(s->mu);
    s->files.insert(h);
  }
  fi->fh = reinterpret_cast<uintptr_t>(h);
  fi->keep_cache = 1;
  int r = e ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);
  if (r != 0) {
    std::lock_guard lk(s->mu);
    s->files.erase(h);
    delete h;
  }
}

// Opens an existing file; O_TRUNC is a modification and goes through the undo log.
int OpenExisting(Filesystem* fs, Inode* in, int flags) {
  std::string proc = ProcFd(in->fd.get());
  if (flags & O_TRUNC) {
    FileRecord* rec = fs->Record(in);
    std::shared_lock lk(rec->mu);
    if (int err = fs->data().BeforeModify(rec, in->fd.get(), 0, INT64_MAX, false)) return -err;
    int fd = open(proc.c_str(), BackingFlags(fs, flags));
    if (fd >= 0) fs->data().NoteTruncate(rec, 0);
    return fd >= 0 ? fd : -errno;
  }
  int fd = open(proc.c_str(), BackingFlags(fs, flags));
  return fd >= 0 ? fd : -errno;
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* dir = Ino(s, parent);
  if (IsHidden(parent, name)) return (void)fuse_reply_err(req, EPERM);
  std::string path = fs->MountPath(dir->fd.get(), name);
  ReqGate g(fs, static_cast<int>(FsOp::kCreate), path);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  ZeroThreadUmask();
  int fd = fs->meta().Create(MetaOp::kCreate, dir->fd.get(), dir->key.ino, name, [&] {
    FsCreds creds(req);
    int r = openat(dir->fd.get(), name, BackingFlags(fs, fi->flags) | O_CREAT | O_EXCL, mode);
    return r >= 0 ? r : -errno;
  });
  bool created = fd >= 0;
  if (fd == -EEXIST && !(fi->flags & O_EXCL)) {
    // Lost a race with another creator: this is an open of an existing file.
    fuse_entry_param e;
    if (int err = DoLookup(s, parent, name, &e)) return (void)fuse_reply_err(req, err);
    fd = OpenExisting(fs, Ino(s, e.ino), fi->flags);
    if (fd < 0) {
      Unref(s, Ino(s, e.ino), 1);
      return (void)fuse_reply_err(req, -fd);
    }
    return ReplyOpened(req, s, UniqueFd(fd), fi, &e);
  }
  fs->AddEvent("create", path, "", fd < 0 ? -fd : 0);
  if (!created) return (void)fuse_reply_err(req, -fd);
  UniqueFd file(fd);
  fuse_entry_param e;
  if (int err = DoLookup(s, parent, name, &e)) return (void)fuse_reply_err(req, err);
  ReplyOpened(req, s, std::move(file), fi, &e);
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* in = Ino(s, ino);
  bool trunc = (fi->flags & O_TRUNC) != 0;
  ReqGate g(fs, trunc ? static_cast<int>(FsOp::kWrite) : -1,
            trunc && fs->TriggerWants(FsOp::kWrite) ? fs->MountPath(in->fd.get()) : std::string());
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  int fd = OpenExisting(fs, in, fi->flags);
  if (fd < 0) return (void)fuse_reply_err(req, -fd);
  ReplyOpened(req, s, UniqueFd(fd), fi, nullptr);
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Session* s = Sess(req);
  FileHandle* h = Fh(fi);
  {
    std::lock_guard lk(s->mu);
    s->files.erase(h);
  }
  delete h;
  fuse_reply_err(req, 0);
}

void OpFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  // Closing a duplicate makes the backing filesystem report a deferred write error now.
  int res = UniqueFd(dup(Fh(fi)->fd.get())).Close();
  fuse_reply_err(req, res == -1 ? errno : 0);
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* in = Ino(s, ino);
  const char* kind = datasync ? "fdatasync" : "fsync";
  std::string path = fs->MountPath(in->fd.get());
  ReqGate g(fs, static_cast<int>(FsOp::kFsync), path);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  fs->n_fsyncs++;
  int v = SyncVerdict(fs, kind, path);
  if (v >= 0) return (void)fuse_reply_err(req, v);
  if (fs->options().backing_fsync) {
    int fd = Fh(fi)->fd.get();
    if ((datasync ? fdatasync(fd) : fsync(fd)) != 0) {
      int err = errno;
      fs->AddEvent(kind, path, "", err, "backing");
      return (void)fuse_reply_err(req, err);
    }
  }
  FileRecord* rec = fs->Record(in);
  bool has_metadata = false;
  {
    std::unique_lock lk(rec->mu);
    if (datasync) {
      struct stat st;
      const off_t size = fstat(Fh(fi)->fd.get(), &st) == 0 ? st.st_size : -1;
      has_metadata = fs->data().SizePending(rec, size) || fs->meta().CreatePending(in->key);
    }
    fs->data().MarkSynced(rec);
  }
  // After the file's own lock is released: a journal commit may lock other files.
  fs->OnSync(datasync ? SyncKind::kFdatasync : SyncKind::kFsync, has_metadata, 0);
  fs->AddEvent(kind, path, "", 0);
  fuse_reply_err(req, 0);
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
  buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  buf.buf[0].fd = Fh(fi)->fd.get();
  buf.buf[0].pos = off;
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

// torn=seq: the write goes through memory so that its bytes can be kept for the cut.
// Called with rec->mu held shared, after BeforeModify.
void WriteRecorded(fuse_req_t req, Filesystem* fs, FileRecord* rec, fuse_bufvec* in_buf, off_t off,
                   fuse_file_info* fi) {
  std::string data(fuse_buf_size(in_buf), '\0');
  fuse_bufvec mem = FUSE_BUFVEC_INIT(data.size());
  mem.buf[0].mem = data.data();
  ssize_t n = fuse_buf_copy(&mem, in_buf, static_cast<fuse_buf_copy_flags>(0));
  if (n < 0) return (void)fuse_reply_err(req, static_cast<int>(-n));
  data.resize(static_cast<size_t>(n));
  ssize_t res = pwrite(Fh(fi)->fd.get(), data.data(), data.size(), off);
  if (res < 0) return (void)fuse_reply_err(req, errno);
  data.resize(static_cast<size_t>(res));
  fs->n_writes++;
  fs->n_bytes += res;
  fs->data().RecordWrite(rec, off, std::move(data));
  fuse_reply_write(req, static_cast<size_t>(res));
}

void OpWriteBuf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in_buf, off_t off,
                fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* in = Ino(s, ino);
  size_t len = fuse_buf_size(in_buf);
  ReqGate g(fs, static_cast<int>(FsOp::kWrite),
            fs->TriggerWants(FsOp::kWrite) ? fs->MountPath(in->fd.get()) : std::string());
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  FileRecord* rec = fs->Record(in);
  std::shared_lock lk(rec->mu);
  if (int err = fs->data().BeforeModify(rec, in->fd.get(), off, off + len, true)) {
    return (void)fuse_reply_err(req, err);
  }
  if (fs->record_writes.load(std::memory_order_relaxed))
    return WriteRecorded(req, fs, rec, in_buf, off, fi);
  fuse_bufvec out_buf = FUSE_BUFVEC_INIT(len);
  out_buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  out_buf.buf[0].fd = Fh(fi)->fd.get();
  out_buf.buf[0].pos = off;
  ssize_t res = fuse_buf_copy(&out_buf, in_buf, static_cast<fuse_buf_copy_flags>(0));
  if (res < 0) return (void)fuse_reply_err(req, -res);
  fs->n_writes++;
  fs->n_bytes += res;
  fuse_reply_write(req, res);
}

void OpStatfs(fuse_req_t req, fuse_ino_t ino) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  struct statvfs st;
  if (fstatvfs(Ino(s, ino)->fd.get(), &st) != 0) return (void)fuse_reply_err(req, errno);
  fuse_reply_statfs(req, &st);
}

void OpFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                 fuse_file_info* fi) {
  Session* s = Sess(req);
  Filesystem* fs = s->fs;
  Inode* in = Ino(s, ino);
  ReqGate g(fs, static_cast<int>(FsOp::kWrite),
            fs->TriggerWants(FsOp::kWrite) ? fs->MountPath(in->fd.get()) : std::string());
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  FileRecord* rec = fs->Record(in);
  std::shared_lock lk(rec->mu);
  // Plain allocation changes no bytes (only, perhaps, the size); hole punching and zeroing
  // change the range; collapsing or inserting shifts everything after it.
  off_t end = off + len;
  if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) end = INT64_MAX;
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_COLLAPSE_RANGE |
              FALLOC_FL_INSERT_RANGE)) {
    if (int err = fs->data().BeforeModify(rec, in->fd.get(), off, end, false)) {
      return (void)fuse_reply_err(req, err);
    }
  } else if (int err = fs->data().BeforeModify(rec, in->fd.get(), INT64_MAX, INT64_MAX, false)) {
    return (void)fuse_reply_err(req, err);
  }
  int err = fallocate(Fh(fi)->fd.get(), mode, off, len) == 0 ? 0 : errno;
  fuse_reply_err(req, err);
}

void OpLseek(fuse_req_t req, fuse_ino_t, off_t off, int whence, fuse_file_info* fi) {
  Session* s = Sess(req);
  ReqGate g(s->fs);
  if (!g.ok) return (void)fuse_reply_err(req, EIO);
  off_t res = lseek(Fh(fi)->fd.get(), off, whence);
  if (res == -1) return (void)fuse_reply_err(req, errno);
  fuse_reply_lseek(req, res);
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops;
  memset(&ops, 0, sizeof(ops));
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.setattr = OpSetattr;
  ops.readlink = OpReadlink;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.symlink = OpSymlink;
  ops.link = OpLink;
  ops.unlink = OpUnlink;
  ops.rmdir = OpRmdir;
  ops.rename = OpRename;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.releasedir = OpReleasedir;
  ops.fsyncdir = OpFsyncdir;
  ops.create = OpCreate;
  ops.open = OpOpen;
  ops.release = OpRelease;
  ops.flush = OpFlush;
  ops.fsync = OpFsync;
  ops.read = OpRead;
  ops.write_buf = OpWriteBuf;
  ops.statfs = OpStatfs;
  ops.fallocate = OpFallocate;
  ops.lseek = OpLseek;
  return ops;
}

const fuse_lowlevel_ops kOps = MakeOps();

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

// --------------------------------------------------------------- gate

ReqGate::ReqGate(Filesystem* f, int kind, const std::string& p1, const std::string& p2) : fs(f) {
  fs->Enter(this, kind, p1, p2);
}

ReqGate::~ReqGate() { fs->Leave(this); }

bool Filesystem::Enter(ReqGate* g, int kind, const std::string& p1, const std::string& p2) {
  n_requests.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lk(gate_mu_);
  const int tk = trig_kind_.load(std::memory_order_relaxed);
  if (kind >= 0 && (tk == kind || tk == static_cast<int>(FsOp::kAny)) &&
      state_ == GateState::kLive) {
    // The mount's root directory has the empty relative path: match it as ".".
    bool match = fnmatch(trig_.glob.c_str(), p1.empty() ? "." : p1.c_str(), 0) == 0 ||
                 (!p2.empty() && fnmatch(trig_.glob.c_str(), p2.c_str(), 0) == 0);
    if (match && ++trig_count_ == trig_.k) {
      // This request is the trigger: the power cut happens before it takes effect. It is
      // counted as held before the lock is dropped, so a PowerCut() that follows at once
      // still answers it before tearing the session down.
      triggered_ = true;
      trig_kind_ = -1;
      state_ = GateState::kFrozen;
      held_++;
      g->held = true;
      gate_cv_.notify_all();
      CrashPoint t = trig_;
      lk.unlock();
      AddEvent("trigger", p1, p2, 0,
               std::string(ToString(t.op)) + " #" + std::to_string(t.k) + " " + t.glob);
      AddEvent("freeze", "", "", 0, "trigger");
      lk.lock();
    }
  }
  if (state_ == GateState::kFrozen) {
    if (!g->held) {
      held_++;
      g->held = true;
    }
    gate_cv_.wait(lk, [&] { return state_ != GateState::kFrozen; });
  }
  if (state_ == GateState::kCut) return false;
  inflight_++;
  g->ok = true;
  return true;
}

void Filesystem::Leave(ReqGate* g) {
  if (!g->ok && !g->held) return;
  std::lock_guard lk(gate_mu_);
  if (g->ok) inflight_--;
  if (g->held) held_--;
  gate_cv_.notify_all();
}

// --------------------------------------------------------------- lifecycle

Session::~Session() {
  for (auto& [key, in] : inodes) delete in;
  for (FileHandle* h : files) delete h;
  for (DirHandle* d : dirs) {
    closedir(d->dp);
    delete d;
  }
}

namespace {
PersistenceModel ModelOf(const Options& o) {
  auto m = FindModel(o.fs_model, o.auto_da_alloc);
  if (!m) {
    throw std::runtime_error("crashfs: unknown fs_model '" + o.fs_model + "' (" + ModelNames() +
                             ")");
  }
  return *m;
}
}  // namespace

Filesystem::Filesystem(const Options& options) : options_(options), model_(ModelOf(options)) {
  t0_ = std::chrono::steady_clock::now();
}

Filesystem::~Filesystem() {
  std::lock_guard api(api_mu_);
  if (session_) {
    {
      // Held requests belong to a frozen instant that never got its power cut: fail them
      // so the unmount does not wait on them.
      std::unique_lock lk(gate_mu_);
      if (state_ == GateState::kFrozen) state_ = GateState::kCut;
      gate_cv_.notify_all();
      gate_cv_.wait(lk, [&] { return held_ == 0; });
    }
    StopSession(true);
  }
  data_.Clear();
  if (meta_) meta_->RemoveGraveyard();
  root_fd_.reset();
}

void Filesystem::Start() {
  if (options_.backing.empty() || options_.mountpoint.empty()) {
    throw std::runtime_error("crashfs: backing and mountpoint are required");
  }
  char real[PATH_MAX];
  if (realpath(options_.backing.c_str(), real) == nullptr) {
    throw std::runtime_error("crashfs: backing directory " + options_.backing + ": " +
                             strerror(errno));
  }
  root_path_ = real;
  if (realpath(options_.mountpoint.c_str(), real) == nullptr) {
    throw std::runtime_error("crashfs: mountpoint " + options_.mountpoint + ": " + strerror(errno));
  }
  options_.mountpoint = real;
  if (root_path_ == options_.mountpoint) {
    throw std::runtime_error("crashfs: backing and mountpoint must differ");
  }
  root_fd_.reset(open(root_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd_) {
    throw std::runtime_error("crashfs: cannot open backing directory " + root_path_ + ": " +
                             strerror(errno));
  }
  struct stat st;
  fstat(root_fd_.get(), &st);
  root_key_ = {st.st_dev, st.st_ino};
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    throw std::runtime_error(std::string("crashfs: /dev/fuse not usable: ") + strerror(errno));
  }
  if (options_.allow_other && geteuid() != 0) {
    throw std::runtime_error("crashfs: allow_other needs root (or set Options::allow_other=false)");
  }
  // Every dirty file holds an fd until it is synced.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  meta_ = std::make_unique<MetaLog>(root_fd_.get(), root_path_, model_);
  meta_->ResetGraveyard();
  StartSession();
}

namespace {
constexpr int kMaxWorkers = 256;
// Big enough for a max_write request plus its header (libfuse uses 256 pages + 4 KiB).
constexpr size_t kRequestBufferSize = kMaxWrite + 0x10000;
}  // namespace

// Starts one more worker unless the pool is stopping or full. Workers read requests
// from /dev/fuse themselves (not fuse_session_receive_buf, which perror()s on an aborted
// connection) and hand them to libfuse; a frozen request keeps its worker busy, so a
// worker that finds no idle peer left starts another before processing.
void Filesystem::SpawnWorker(Session* s) {
  std::lock_guard lk(s->workers_mu);
  if (s->stopping || static_cast<int>(s->workers.size()) >= kMaxWorkers) return;
  s->workers.emplace_back([this, s] {
    std::vector<char> buf(kRequestBufferSize);
    const int fd = fuse_session_fd(s->se);
    while (!fuse_session_exited(s->se)) {
      s->idle.fetch_add(1);
      const ssize_t n = read(fd, buf.data(), buf.size());
      const int err = errno;
      s->idle.fetch_sub(1);
      if (n < 0) {
        // ENOENT: the request was interrupted before we read it.
        if (err == EINTR || err == EAGAIN || err == ENOENT) continue;
        break;  // ENODEV (unmounted) or ECONNABORTED (power cut): the session is over
      }
      if (n == 0) break;
      if (s->idle.load() == 0) SpawnWorker(s);
      fuse_buf fbuf{};
      fbuf.mem = buf.data();
      fbuf.size = static_cast<size_t>(n);
      fuse_session_process_buf(s->se, &fbuf);
    }
    fuse_session_exit(s->se);
  });
}

void Filesystem::StartSession() {
  auto s = std::make_unique<Session>(this);
  s->root.fd.reset(open(root_path_.c_str(), O_PATH | O_CLOEXEC));
  s->root.key = root_key_;
  s->root.nlookup = 2;
  std::string opts = "fsname=crashfs,subtype=crashfs";
  if (options_.allow_other) opts += ",allow_other,default_permissions";
  std::vector<std::string> argv = {"crashfs", "-o", opts};
  if (options_.debug) argv.push_back("-d");
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
  s->se = fuse_session_new(&args, &kOps, sizeof(kOps), s.get());
  fuse_opt_free_args(&args);
  if (s->se == nullptr) throw std::runtime_error("crashfs: fuse_session_new failed");
  if (fuse_session_mount(s->se, options_.mountpoint.c_str()) != 0) {
    fuse_session_destroy(s->se);
    s->se = nullptr;
    throw std::runtime_error("crashfs: cannot mount on " + options_.mountpoint +
                             " (is it an existing directory, and are you root?)");
  }
  SpawnWorker(s.get());
  session_ = std::move(s);
  // The first request completes the INIT handshake; after it the mount is usable.
  struct stat st;
  if (stat(options_.mountpoint.c_str(), &st) != 0) {
    int err = errno;
    StopSession(false);
    throw std::runtime_error("crashfs: mount did not come up: " + std::string(strerror(err)));
  }
}

void Filesystem::StopSession(bool clean) {
  Session* s = session_.get();
  if (s == nullptr) return;
  const char* mnt = options_.mountpoint.c_str();
  // MNT_FORCE aborts the FUSE connection: pending requests and dirty kernel pages are
  // dropped and the loop's reads return ENODEV. MNT_DETACH takes the mount out of the
  // namespace even if a (killed) process still holds a file of it.
  if (!clean || umount2(mnt, 0) != 0) umount2(mnt, MNT_FORCE | MNT_DETACH);
  // Every worker's read now fails (ENODEV or ECONNABORTED): they all return. Join until
  // none is left; no new one starts once stopping is set.
  {
    std::lock_guard lk(s->workers_mu);
    s->stopping = true;
  }
  for (auto& t : s->workers) t.join();
  s->workers.clear();
  // The connection is gone, so this only closes the device fd (it checks POLLERR first).
  fuse_session_unmount(s->se);
  fuse_session_destroy(s->se);
  session_.reset();
}

void Filesystem::Freeze() {
  std::unique_lock lk(gate_mu_);
  if (state_ != GateState::kLive) return;
  state_ = GateState::kFrozen;
  gate_cv_.wait(lk, [&] { return inflight_ == 0; });
  lk.unlock();
  AddEvent("freeze", "", "", 0, "api");
}

CutReport Filesystem::PowerCut(const CutOptions& cut) {
  std::lock_guard api(api_mu_);
  CutReport rep;
  auto t0 = std::chrono::steady_clock::now();
  Freeze();
  {
    // Freeze() returns early if a trigger froze us: wait for its in-flight requests too.
    std::unique_lock lk(gate_mu_);
    gate_cv_.wait(lk, [&] { return inflight_ == 0; });
  }
  uint64_t seed = cut.seed.value_or(options_.seed + cuts_);
  RollbackCounts c;
  // Names at the instant of the cut, before namespace undo moves or removes them.
  std::unordered_map<int, std::string> names;
  data_.ForEachDirty([&](int fd) { names[fd] = meta_->RelPath(fd); });
  meta_->Rollback(&c);
  data_.Rollback(
      cut.torn, seed, &c,
      [&](int fd) {
        auto it = names.find(fd);
        return it != names.end() ? it->second : meta_->RelPath(fd);
      },
      cut.target);
  auto t1 = std::chrono::steady_clock::now();
  {
    // Held requests are answered now, after the state they would have changed is gone.
    std::unique_lock lk(gate_mu_);
    state_ = GateState::kCut;
    gate_cv_.notify_all();
    gate_cv_.wait(lk, [&] { return held_ == 0; });
  }
  StopSession(false);
  data_.Clear();
  {
    std::lock_guard lk(gate_mu_);
    state_ = GateState::kLive;
    trig_kind_ = -1;
  }
  StartSession();
  auto t2 = std::chrono::steady_clock::now();
  rep.files_rolled_back = c.files;
  rep.pages_restored = c.pages_restored;
  rep.pages_kept_torn = c.pages_kept_torn;
  rep.meta_ops_undone = c.meta_ops_undone;
  rep.meta_ops_skipped = c.meta_ops_skipped;
  rep.fs_model = model_.name;
  for (size_t i = 0; i < Models().size(); ++i) {
    if (Models()[i].name != model_.name) {
      rep.dropped_ops_kept_under[Models()[i].name] = c.dropped_kept_by[i];
    }
  }
  rep.unsynced_files = std::move(c.unsynced_files);
  rep.pending_ops = std::move(c.pending_ops);
  rep.rollback_ms = Ms(t1 - t0);
  rep.remount_ms = Ms(t2 - t1);
  rep.total_ms = Ms(t2 - t0);
  {
    std::lock_guard lk(gate_mu_);
    cuts_++;
    last_cut_ms_ = rep.total_ms;
  }
  char note[200];
  snprintf(note, sizeof(note), "torn=%s seed=%llu files=%llu pages=%llu meta=%llu/%llu ms=%.2f",
           ToString(cut.torn), static_cast<unsigned long long>(seed),
           static_cast<unsigned long long>(c.files),
           static_cast<unsigned long long>(c.pages_restored),
           static_cast<unsigned long long>(c.meta_ops_undone),
           static_cast<unsigned long long>(c.meta_ops_undone + c.meta_ops_skipped), rep.total_ms);
  AddEvent("power-cut", "", "", 0, note);
  return rep;
}

void Filesystem::ArmTrigger(const CrashPoint& t) {
  std::lock_guard lk(gate_mu_);
  trig_ = t;
  if (trig_.k == 0) trig_.k = 1;
  trig_count_ = 0;
  triggered_ = false;
  trig_kind_ = static_cast<int>(t.op);
}

void Filesystem::DisarmTrigger() {
  std::lock_guard lk(gate_mu_);
  trig_kind_ = -1;
  triggered_ = false;
}

bool Filesystem::Triggered() const {
  std::lock_guard lk(gate_mu_);
  return triggered_;
}

bool Filesystem::WaitTriggered(std::chrono::milliseconds timeout) const {
  std::unique_lock lk(gate_mu_);
  // Also wait for requests that were already in progress: then the backing store shows
  // exactly the state at the instant of the cut.
  return gate_cv_.wait_for(lk, timeout, [&] { return triggered_ && inflight_ == 0; });
}

void Filesystem::AddEvent(const char* kind, std::string path, std::string path2, int error,
                          std::string note) {
  Event e;
  e.t_ms = Ms(std::chrono::steady_clock::now() - t0_);
  e.kind = kind;
  e.path = std::move(path);
  e.path2 = std::move(path2);
  e.error = error;
  e.note = std::move(note);
  std::lock_guard lk(ev_mu_);
  e.seq = ++ev_seq_;
  events_.push_back(std::move(e));
  if (events_.size() > kMaxEvents) events_.pop_front();
}

std::vector<Event> Filesystem::Events() const {
  std::lock_guard lk(ev_mu_);
  return {events_.begin(), events_.end()};
}

Stats Filesystem::GetStats() const {
  Stats st;
  st.requests = n_requests.load();
  st.writes = n_writes.load();
  st.bytes_written = n_bytes.load();
  st.fsyncs = n_fsyncs.load();
  st.fsyncdirs = n_fsyncdirs.load();
  st.pages_saved = data_.saved_pages();
  st.dirty_files = data_.dirty_files();
  st.pending_meta_ops = meta_ ? meta_->pending() : 0;
  std::lock_guard lk(gate_mu_);
  st.power_cuts = cuts_;
  st.frozen = state_ != GateState::kLive;
  st.triggered = triggered_;
  st.last_cut_ms = last_cut_ms_;
  return st;
}

}  // namespace crashlab::crashfs

// Internal state of a crashfs mount: request gate, trigger, events, FUSE sessions.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "faults/crashfs/crashfs.h"
#include "faults/crashfs/model.h"
#include "framework/unique_fd.h"

struct fuse_session;

namespace crashlab::crashfs {

class Filesystem;

// One kernel-side inode the current session has handed out (passthrough_ll style: the
// FUSE node id is the address of this object, the backing inode is held by an O_PATH fd).
struct Inode {
  UniqueFd fd;
  FileKey key;
  uint64_t nlookup = 0;                   // guarded by Session::mu
  std::atomic<FileRecord*> rec{nullptr};  // cached DataLog record
};

struct FileHandle {
  UniqueFd fd;
};

struct DirHandle {
  DIR* dp = nullptr;
  struct dirent* entry = nullptr;
  off_t offset = 0;
};

// One mount of the filesystem: a FUSE session, its loop thread and the kernel-visible
// inodes and open handles. A power cut ends the session and starts a new one.
struct Session {
  explicit Session(Filesystem* f) : fs(f) {}
  ~Session();
  Filesystem* fs;
  fuse_session* se = nullptr;
  // Our own worker pool instead of fuse_session_loop_mt: libfuse's loop pthread_cancels
  // its workers, and a worker cancelled inside perror() ("reading device" after a power
  // cut aborts the connection) leaves stderr's lock held forever. Ours never cancel.
  std::mutex workers_mu;
  std::vector<std::thread> workers;
  std::atomic<int> idle{0};
  bool stopping = false;  // guarded by workers_mu: no new workers
  Inode root;
  std::mutex mu;
  std::unordered_map<FileKey, Inode*, FileKeyHash> inodes;
  std::unordered_set<FileHandle*> files;
  std::unordered_set<DirHandle*> dirs;
};

enum class GateState { kLive, kFrozen, kCut };

// Per-request admission: counts requests in progress so Freeze() can wait for them, and
// holds new ones while frozen.
struct ReqGate {
  ReqGate(Filesystem* fs, int kind = -1, const std::string& p1 = {}, const std::string& p2 = {});
  ~ReqGate();
  ReqGate(const ReqGate&) = delete;
  ReqGate& operator=(const ReqGate&) = delete;
  Filesystem* fs;
  bool ok = false;    // the request may proceed; otherwise answer EIO
  bool held = false;  // counted in held_
};

class Filesystem {
 public:
  explicit Filesystem(const Options& options);
  ~Filesystem();

  void Start();  // first mount; throws std::runtime_error
  void Freeze();
  CutReport PowerCut(const CutOptions& cut);
  void SetSyncMode(SyncMode m) {
    sync_mode_.store(m);
    AddEvent("sync-mode", "", "", 0, ToString(m));
  }
  SyncMode sync_mode() const { return sync_mode_.load(); }
  void ArmTrigger(const CrashPoint& t);
  void DisarmTrigger();
  bool Triggered() const;
  bool WaitTriggered(std::chrono::milliseconds timeout) const;
  std::vector<Event> Events() const;
  Stats GetStats() const;
  const Options& options() const { return options_; }

  // --- used by the request handlers
  bool TriggerWants(FsOp kind) const {
    const int t = trig_kind_.load(std::memory_order_relaxed);
    return t == static_cast<int>(kind) || t == static_cast<int>(FsOp::kAny);
  }
  bool Enter(ReqGate* g, int kind, const std::string& p1, const std::string& p2);
  void Leave(ReqGate* g);
  void AddEvent(const char* kind, std::string path, std::string path2, int error,
                std::string note = {});
  // Mount-relative path of the backing inode behind `fd`.
  std::string MountPath(int fd) const { return meta_->RelPath(fd); }
  std::string MountPath(int dir_fd, const char* name) const {
    std::string d = meta_->RelPath(dir_fd);
    return d.empty() ? std::string(name) : d + "/" + name;
  }
  FileRecord* Record(Inode* in) {
    FileRecord* r = in->rec.load(std::memory_order_acquire);
    if (r == nullptr) {
      r = data_.Get(in->key);
      in->rec.store(r, std::memory_order_release);
    }
    return r;
  }

  DataLog& data() { return data_; }
  const PersistenceModel& model() const { return model_; }
  // A successful sync under the persistence model: directory entries and, when the model
  // commits its journal, truncates and replace-by-rename flushes become durable.
  void OnSync(SyncKind kind, bool has_metadata, ino_t dir_ino) {
    if (meta_->OnSync(kind, has_metadata, dir_ino)) data_.JournalCommit(model_);
  }
  MetaLog& meta() { return *meta_; }
  int root_fd() const { return root_fd_.get(); }
  const FileKey& root_key() const { return root_key_; }

  std::atomic<bool> record_writes{false};  // torn=seq: keep each write's bytes
  std::atomic<uint64_t> n_requests{0}, n_writes{0}, n_bytes{0}, n_fsyncs{0}, n_fsyncdirs{0};

 private:
  void StartSession();
  void SpawnWorker(Session* s);
  void StopSession(bool clean);

  Options options_;
  PersistenceModel model_;
  UniqueFd root_fd_;
  FileKey root_key_;
  std::string root_path_;
  std::unique_ptr<MetaLog> meta_;
  DataLog data_;
  std::unique_ptr<Session> session_;
  std::chrono::steady_clock::time_point t0_;

  std::mutex api_mu_;  // serializes PowerCut and teardown

  mutable std::mutex gate_mu_;
  mutable std::condition_variable gate_cv_;
  GateState state_ = GateState::kLive;
  int inflight_ = 0;
  int held_ = 0;
  std::atomic<int> trig_kind_{-1};
  CrashPoint trig_;
  uint64_t trig_count_ = 0;
  bool triggered_ = false;

  std::atomic<SyncMode> sync_mode_{SyncMode::kPass};
  uint64_t cuts_ = 0;
  double last_cut_ms_ = 0;

  mutable std::mutex ev_mu_;
  std::deque<Event> events_;
  uint64_t ev_seq_ = 0;
};

}  // namespace crashlab::crashfs

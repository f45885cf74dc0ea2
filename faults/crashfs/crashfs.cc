// crashfs public API: thin wrapper over Filesystem, plus name conversions for CLIs.
#include "faults/crashfs/crashfs.h"

#include "faults/crashfs/filesystem.h"

namespace crashlab::crashfs {

std::unique_ptr<CrashFs> CrashFs::Mount(const Options& options) {
  auto fs = std::make_unique<Filesystem>(options);
  fs->Start();
  return std::unique_ptr<CrashFs>(new CrashFs(std::move(fs)));
}

CrashFs::CrashFs(std::unique_ptr<Filesystem> fs) : fs_(std::move(fs)) {}
CrashFs::~CrashFs() = default;

void CrashFs::Freeze() { fs_->Freeze(); }
CutReport CrashFs::PowerCut(const CutOptions& cut) { return fs_->PowerCut(cut); }
void CrashFs::SetSyncMode(SyncMode mode) { fs_->SetSyncMode(mode); }
SyncMode CrashFs::GetSyncMode() const { return fs_->sync_mode(); }
void CrashFs::RecordWrites(bool on) { fs_->record_writes.store(on); }
void CrashFs::ArmTrigger(const CrashPoint& point) { fs_->ArmTrigger(point); }
void CrashFs::DisarmTrigger() { fs_->DisarmTrigger(); }
bool CrashFs::Triggered() const { return fs_->Triggered(); }
bool CrashFs::WaitTriggered(std::chrono::milliseconds timeout) const {
  return fs_->WaitTriggered(timeout);
}
std::vector<Event> CrashFs::Events() const { return fs_->Events(); }
Stats CrashFs::GetStats() const { return fs_->GetStats(); }
const Options& CrashFs::options() const { return fs_->options(); }

const char* ToString(FsOp op) {
  switch (op) {
    case FsOp::kWrite:
      return "write";
    case FsOp::kFsync:
      return "fsync";
    case FsOp::kFsyncDir:
      return "fsyncdir";
    case FsOp::kRename:
      return "rename";
    case FsOp::kUnlink:
      return "unlink";
    case FsOp::kCreate:
      return "create";
    case FsOp::kAny:
      return "any";
  }
  return "?";
}

const char* ToString(SyncMode mode) {
  switch (mode) {
    case SyncMode::kPass:
      return "pass";
    case SyncMode::kFail:
      return "fail";
    case SyncMode::kLie:
      return "lie";
  }
  return "?";
}

const char* ToString(CutOptions::Torn torn) {
  switch (torn) {
    case CutOptions::Torn::kNone:
      return "none";
    case CutOptions::Torn::kRandomPages:
      return "pages";
    case CutOptions::Torn::kPrefix:
      return "prefix";
    case CutOptions::Torn::kSeq:
      return "seq";
  }
  return "?";
}

std::optional<FsOp> ParseFsOp(const std::string& s) {
  for (FsOp k : {FsOp::kWrite, FsOp::kFsync, FsOp::kFsyncDir, FsOp::kRename, FsOp::kUnlink,
                 FsOp::kCreate, FsOp::kAny}) {
    if (s == ToString(k)) return k;
  }
  return std::nullopt;
}

std::optional<SyncMode> ParseSyncMode(const std::string& s) {
  for (SyncMode m : {SyncMode::kPass, SyncMode::kFail, SyncMode::kLie}) {
    if (s == ToString(m)) return m;
  }
  return std::nullopt;
}

std::optional<CutOptions::Torn> ParseTorn(const std::string& s) {
  for (auto t : {CutOptions::Torn::kNone, CutOptions::Torn::kRandomPages, CutOptions::Torn::kPrefix,
                 CutOptions::Torn::kSeq}) {
    if (s == ToString(t)) return t;
  }
  return std::nullopt;
}

}  // namespace crashlab::crashfs

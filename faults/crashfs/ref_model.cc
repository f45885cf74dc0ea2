// The reference persistence model (see ref_model.h): forward replay of durable ops.
#include "faults/crashfs/ref_model.h"

#include <algorithm>
#include <deque>
#include <sstream>

namespace crashlab::crashfs::testing {
namespace {

constexpr const char* kNames[] = {"create",    "open-trunc", "write",          "truncate", "rename",
                                  "link",      "unlink",     "mkdir",          "rmdir",    "fsync",
                                  "fdatasync", "dirfsync",   "sync-file-range"};

}  // namespace

std::string ToString(const SeqOp& op) {
  std::ostringstream s;
  s << kNames[op.kind] << " " << (op.path.empty() ? "." : op.path);
  if (op.kind == SeqOp::kRename || op.kind == SeqOp::kLink) s << " " << op.path2;
  if (op.kind == SeqOp::kWrite) s << " " << op.off << " " << op.len << " " << op.seed;
  if (op.kind == SeqOp::kTruncate) s << " " << op.off;
  return s.str();
}

std::optional<SeqOp> ParseSeqOp(const std::string& line) {
  std::istringstream in(line);
  std::string kind;
  SeqOp op;
  if (!(in >> kind >> op.path)) return std::nullopt;
  if (op.path == ".") op.path.clear();
  auto it =
      std::find_if(std::begin(kNames), std::end(kNames), [&](const char* n) { return kind == n; });
  if (it == std::end(kNames)) return std::nullopt;
  op.kind = static_cast<SeqOp::Kind>(it - std::begin(kNames));
  if (op.kind == SeqOp::kRename || op.kind == SeqOp::kLink) {
    if (!(in >> op.path2)) return std::nullopt;
  }
  if (op.kind == SeqOp::kWrite && !(in >> op.off >> op.len >> op.seed)) return std::nullopt;
  if (op.kind == SeqOp::kTruncate && !(in >> op.off)) return std::nullopt;
  return op;
}

std::string WriteData(const SeqOp& op) {
  std::string s(static_cast<size_t>(op.len), '\0');
  uint32_t x = op.seed * 2654435761u + 17;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>('a' + (x >> 24) % 26);
  }
  return s;
}

RefModel::RefModel(bool ext4, bool auto_da_alloc) : ext4_(ext4), auto_da_alloc_(auto_da_alloc) {
  inodes_[0].dir = true;
}

int RefModel::Lookup(const std::string& path) const {
  int ino = 0;
  std::istringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty()) continue;
    auto it = edges_.find({ino, part});
    if (it == edges_.end()) return -1;
    ino = it->second;
  }
  return ino;
}

std::pair<int, std::string> RefModel::Parent(const std::string& path) const {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {0, path};
  return {Lookup(path.substr(0, slash)), path.substr(slash + 1)};
}

void RefModel::Log(NsOp op) {
  for (const Edge& e : op.removes) edges_.erase({e.parent, e.name});
  for (const Edge& e : op.adds) edges_[{e.parent, e.name}] = e.child;
  op.synced.assign(op.dirs.size(), false);
  log_.push_back(std::move(op));
}

void RefModel::Modify(int ino) { inodes_[ino].dirty = true; }

void RefModel::Truncate(int ino, int64_t size) {
  Inode& in = inodes_[ino];
  in.data.resize(static_cast<size_t>(size), '\0');
  in.trunc_min = in.trunc_pending ? std::min(in.trunc_min, size) : size;
  in.trunc_last = size;
  in.trunc_pending = true;
  in.writes.clear();
}

void RefModel::Sync(int ino) {
  Inode& in = inodes_[ino];
  in.durable = in.data;
  in.dirty = in.trunc_pending = in.flush_on_commit = in.has_last_write = false;
  in.writes.clear();
}

void RefModel::JournalCommit() {
  for (NsOp& op : log_) op.durable = true;
  for (auto& [ino, in] : inodes_) {
    if (in.trunc_pending) {
      const int64_t keep = std::min<int64_t>(static_cast<int64_t>(in.durable.size()), in.trunc_min);
      in.durable.resize(static_cast<size_t>(keep));
      in.durable.resize(static_cast<size_t>(in.trunc_last), '\0');
      in.trunc_pending = false;
    }
    if (in.flush_on_commit) Sync(ino);
  }
}

void RefModel::DirSync(int ino) {
  for (NsOp& op : log_) {
    if (op.durable) continue;
    bool all = true;
    for (size_t i = 0; i < op.dirs.size(); ++i) {
      if (op.dirs[i] == ino) op.synced[i] = true;
      all = all && op.synced[i];
    }
    op.durable = all;
  }
}

bool RefModel::CreatePending(int ino) const {
  return std::any_of(log_.begin(), log_.end(),
                     [&](const NsOp& op) { return op.created == ino && !op.durable; });
}

void RefModel::Apply(const SeqOp& op, int err) {
  if (err != 0) return;  // a failed call changes nothing
  const int ino = Lookup(op.path);
  const auto [parent, name] = Parent(op.path);
  switch (op.kind) {
    case SeqOp::kCreate:
    case SeqOp::kMkdir: {
      if (ino >= 0) return;  // open of an existing file
      const int n = next_ino_++;
      inodes_[n].dir = op.kind == SeqOp::kMkdir;
      NsOp ns;
      ns.adds = {{parent, name, n}};
      ns.dirs = {parent};
      ns.created = n;
      Log(std::move(ns));
      return;
    }
    case SeqOp::kOpenTrunc:
      Modify(ino);
      Truncate(ino, 0);
      return;
    case SeqOp::kWrite: {
      Modify(ino);
      Inode& in = inodes_[ino];
      const std::string d = WriteData(op);
      if (in.data.size() < static_cast<size_t>(op.off + op.len)) {
        in.data.resize(static_cast<size_t>(op.off + op.len), '\0');
      }
      in.data.replace(static_cast<size_t>(op.off), d.size(), d);
      in.has_last_write = true;
      in.lw_off = op.off;
      in.lw_len = op.len;
      for (int64_t at = op.off; at < op.off + op.len; at = (at / 4096 + 1) * 4096) {
        const int64_t end = std::min<int64_t>(op.off + op.len, (at / 4096 + 1) * 4096);
        in.writes.emplace_back(at, d.substr(at - op.off, end - at));
      }
      return;
    }
    case SeqOp::kTruncate:
      Modify(ino);
      Truncate(ino, op.off);
      return;
    case SeqOp::kRename: {
      const int dst = Lookup(op.path2);
      if (dst == ino) return;  // two names of one inode: rename does nothing
      const auto [p2, n2] = Parent(op.path2);
      NsOp ns;
      ns.removes = {{parent, name, ino}};
      if (dst >= 0) ns.removes.push_back({p2, n2, dst});
      ns.adds = {{p2, n2, ino}};
      ns.dirs = {parent};
      if (p2 != parent) ns.dirs.push_back(p2);
      if (ext4_ && auto_da_alloc_ && dst >= 0 && !inodes_[ino].dir && inodes_[ino].dirty) {
        inodes_[ino].flush_on_commit = true;
      }
      Log(std::move(ns));
      return;
    }
    case SeqOp::kLink: {
      const auto [p2, n2] = Parent(op.path2);
      NsOp ns;
      ns.adds = {{p2, n2, ino}};
      ns.dirs = {p2};
      Log(std::move(ns));
      return;
    }
    case SeqOp::kUnlink:
    case SeqOp::kRmdir: {
      NsOp ns;
      ns.removes = {{parent, name, ino}};
      ns.dirs = {parent};
      Log(std::move(ns));
      return;
    }
    case SeqOp::kFsync:
      Sync(ino);
      if (ext4_) JournalCommit();
      return;
    case SeqOp::kFdatasync: {
      const Inode& in = inodes_[ino];
      const bool meta = (in.dirty && (in.trunc_pending || in.data.size() != in.durable.size())) ||
                        CreatePending(ino);
      Sync(ino);
      if (ext4_ && meta) JournalCommit();
      return;
    }
    case SeqOp::kDirFsync:
      DirSync(ino);
      if (ext4_) JournalCommit();
      return;
    case SeqOp::kSyncFileRange:
      return;
  }
}

std::map<std::string, std::string> RefModel::Current() const {
  std::map<std::string, std::string> out;
  std::deque<std::pair<int, std::string>> todo{{0, ""}};
  while (!todo.empty()) {
    auto [dir, prefix] = todo.front();
    todo.pop_front();
    for (const auto& [key, child] : edges_) {
      if (key.first != dir) continue;
      const std::string p = prefix.empty() ? key.second : prefix + "/" + key.second;
      const Inode& in = inodes_.at(child);
      out[p] = in.dir ? std::string("<dir>") : in.data;
      if (in.dir) todo.push_back({child, p});
    }
  }
  return out;
}

Expected RefModel::AfterCut() const {
  Expected e;
  std::map<std::pair<int, std::string>, int> durable;
  for (const NsOp& op : log_) {
    if (!op.durable) continue;
    for (const Edge& r : op.removes) {
      auto it = durable.find({r.parent, r.name});
      if (it == durable.end() || it->second != r.child) {
        e.conclusive = false;
        e.why = "a durable op removes an entry only a non-durable op made";
      } else {
        durable.erase(it);
      }
    }
    for (const Edge& a : op.adds) {
      if (!durable.emplace(std::make_pair(a.parent, a.name), a.child).second) {
        e.conclusive = false;
        e.why = "a durable op adds an entry a non-durable op should have removed";
        durable[{a.parent, a.name}] = a.child;
      }
    }
  }
  std::deque<std::pair<int, std::string>> todo{{0, ""}};
  std::map<int, bool> seen{{0, true}};
  while (!todo.empty()) {
    auto [dir, prefix] = todo.front();
    todo.pop_front();
    for (const auto& [key, child] : durable) {
      if (key.first != dir) continue;
      const std::string p = prefix.empty() ? key.second : prefix + "/" + key.second;
      const Inode& in = inodes_.at(child);
      AllowedFile f;
      f.dir = in.dir;
      f.durable = in.durable;
      f.current = in.data;
      f.has_last_write = in.has_last_write;
      f.lw_off = in.lw_off;
      f.lw_len = in.lw_len;
      f.writes = in.writes;
      e.files[p] = f;
      if (in.dir && !seen[child]) {
        seen[child] = true;
        todo.push_back({child, p});
      }
    }
  }
  return e;
}

}  // namespace crashlab::crashfs::testing

// The rows of the persistence-model table (sources in README.md "Persistence models").
#include "faults/crashfs/persistence.h"

namespace crashlab::crashfs {

const std::vector<PersistenceModel>& Models() {
  static const std::vector<PersistenceModel> models = [] {
    PersistenceModel posix;
    posix.name = "posix";
    posix.description =
        "strict POSIX: file data durable at that file's fsync/fdatasync, a directory entry "
        "at an fsync of its parent directory (both directories for a rename)";
    PersistenceModel ext4;
    ext4.name = "ext4";
    ext4.description =
        "ext4 data=ordered (and XFS): namespace ops and truncates journaled in order; any "
        "fsync, directory fsync or fdatasync with metadata to persist commits all earlier "
        "ones; file data durable only where that file was synced";
    ext4.fsync_commits_journal = true;
    ext4.fdatasync_commits_with_metadata = true;
    ext4.dirsync_commits_journal = true;
    ext4.truncate_journaled = true;
    ext4.replace_rename_flushes_data = true;
    return std::vector<PersistenceModel>{posix, ext4};
  }();
  return models;
}

std::optional<PersistenceModel> FindModel(const std::string& name, bool auto_da_alloc) {
  for (const auto& m : Models()) {
    if (m.name != name) continue;
    PersistenceModel r = m;
    if (!auto_da_alloc) r.replace_rename_flushes_data = false;
    return r;
  }
  return std::nullopt;
}

int ModelIndex(const std::string& name) {
  const auto& ms = Models();
  for (size_t i = 0; i < ms.size(); ++i) {
    if (ms[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string ModelNames() {
  std::string s;
  for (const auto& m : Models()) s += (s.empty() ? "" : "|") + m.name;
  return s;
}

}  // namespace crashlab::crashfs

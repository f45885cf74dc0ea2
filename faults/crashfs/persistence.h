// Persistence models: which sync makes which earlier change durable, per file system.
// A model is a row of rules; crashfs (model.cc) applies the active row and tracks the
// others in the shadow, so a cut can say which models would have kept what it dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crashlab::crashfs {

// The rules of one model. A new model (btrfs, "no ordering") is a new row in Models();
// no store and no request handler changes. See README.md "Persistence models" for sources.
struct PersistenceModel {
  std::string name;         // "posix", "ext4"
  std::string description;  // one line
  // A successful fsync of a file commits the journal: every earlier namespace op (and,
  // with truncate_journaled, every earlier truncate) becomes durable.
  bool fsync_commits_journal = false;
  // fdatasync commits the journal only when its file has metadata to persist: a new
  // inode not yet committed, or a size that differs from the durable one.
  bool fdatasync_commits_with_metadata = false;
  // fsync of a directory commits the journal (every earlier namespace op, any directory).
  bool dirsync_commits_journal = false;
  // A truncate's new size is durable at a journal commit (not only at the file's own sync).
  bool truncate_journaled = false;
  // ext4 auto_da_alloc: a rename that replaces an existing file makes the source file's
  // data durable with the journal commit that makes the rename durable.
  bool replace_rename_flushes_data = false;
};

// Every model, fewest guarantees first. Index = bit in a MetaOp's shadow mask (< 32).
const std::vector<PersistenceModel>& Models();

// The model `name` ("posix", "ext4"); ext4's auto_da_alloc rule as `auto_da_alloc` says
// (ignored for models without it). nullopt for an unknown name.
std::optional<PersistenceModel> FindModel(const std::string& name, bool auto_da_alloc = true);
// Index of `name` in Models(), or -1.
int ModelIndex(const std::string& name);
// "posix|ext4", for help texts and errors.
std::string ModelNames();

}  // namespace crashlab::crashfs

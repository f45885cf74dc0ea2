// Registers the storage layer: the knobs storage= and sync_fault= of every scenario whose
// store keeps its data on it.
#include "faults/storage/storage.h"
#include "framework/registry.h"

namespace crashlab::storage {

CRASHLAB_STORAGE(local) {
  StorageSpec s;
  s.knobs = StorageKnobs();
  s.missing = [](const Knobs& k) { return k.Get("storage") == "crashfs" ? MissingCrashfs() : ""; };
  s.prerequisites = {{"root and /dev/fuse (storage=crashfs)", MissingCrashfs}};
  s.make = [](const Knobs& k, const RunOptions& o,
              const std::filesystem::path& work_dir) -> std::shared_ptr<StorageLayer> {
    return LocalStorage::Create(StorageConfigFrom(k, o), work_dir);
  };
  return s;
}

}  // namespace crashlab::storage

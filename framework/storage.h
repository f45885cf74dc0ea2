// Where a store keeps its data: the interface of the storage layer (disk, tmpfs, crashfs
// or a user-given directory, with passing, failing or lying fsyncs). The layer itself
// lives in faults/storage; the registry makes one per run and hands it to the store and
// to the faults, and keeps it alive until the store has stopped.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace crashlab {

class StorageLayer {
 public:
  virtual ~StorageLayer() = default;
  // The store's work area (logs, sockets, config and the data dir below it).
  virtual const std::filesystem::path& Root() const = 0;
  // Root()/rel, created: the directory the faults act on (a crashfs mount goes here).
  // Put only the store's data dir there. Call once.
  virtual std::filesystem::path Place(const std::filesystem::path& rel) = 0;
  // Creates Root()/rel durably (synced with its parent), as an operator would provision it.
  virtual void ProvisionDir(const std::filesystem::path& rel) = 0;
  // Environment the store's processes need (e.g. the sync-fault preload).
  virtual std::map<std::string, std::string> Env() const = 0;
  // For the report: kind, mountpoint, sync fault.
  virtual std::map<std::string, std::string> Describe() const = 0;
};

}  // namespace crashlab

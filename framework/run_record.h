// The on-disk record of what a live run created, so that what a signal cannot clean up
// (FUSE mounts, container engines and their cgroups, IPC segments, work dirs) is removed
// after the runner dies by any means: by its guardian within seconds, or by
// `crashlab clean`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace crashlab::runrecord {

// Where records live: $CRASHLAB_STATE_DIR if set, else /run/crashlab as root, else
// $TMPDIR/.crashlab-state-UID. Created 0700.
std::filesystem::path StateRoot();

// The directories of cgroup `name` (relative to each hierarchy's root) in every
// hierarchy, deepest first: the order rmdir needs.
std::vector<std::filesystem::path> CgroupDirs(const std::string& name);

// What a record names. kDir: a directory the run created (processes whose working dir,
// root or command line lie in it are killed, mounts under it unmounted, then it is
// removed); kKeepDir: the same but the directory stays (--keep-data); kCgroup: a cgroup
// directory name created in every hierarchy (its processes are killed, it is removed);
// kShm: a System V shared-memory segment "ID KEY" (removed once nothing is attached).
enum class Kind { kDir, kKeepDir, kCgroup, kShm };
const char* ToString(Kind kind);

struct Resource {
  Kind kind = Kind::kDir;
  std::string value;
};

// The current run's record. The constructor writes StateRoot()/PID-STARTTIME-N/ with an
// empty resource list and starts the guardian (the crashlab-guard helper, in its own
// session), which waits for the runner to die and then cleans. The destructor — after
// the run cleaned up after itself — removes the record and lets the guardian go. Only
// one record is active per process; a nested one is inert.
class ActiveRun {
 public:
  ActiveRun();
  ~ActiveRun();
  ActiveRun(const ActiveRun&) = delete;
  ActiveRun& operator=(const ActiveRun&) = delete;
  // The record's directory (empty if inert or the state root is not writable).
  const std::filesystem::path& dir() const { return dir_; }
  // The guardian's pid (0 if none could be started).
  pid_t guardian() const { return guardian_; }

 private:
  std::filesystem::path dir_;
  pid_t guardian_ = 0;
  int guardian_fd_ = -1;  // write end of the pipe the guardian watches
  bool owner_ = false;
};

// Adds a resource to the active run's record; a no-op when no run is active.
// Thread-safe (one O_APPEND write per resource).
void Add(Kind kind, const std::string& value);
// The active run's record directory (empty if none).
std::filesystem::path ActiveDir();

// A record found under StateRoot().
struct Record {
  std::filesystem::path dir;
  pid_t runner = 0;
  uint64_t start_time = 0;  // the runner's start time in clock ticks (/proc/PID/stat)
  bool live = false;        // that very process still exists
  std::vector<Resource> resources;
};
// Every record, oldest runner first.
std::vector<Record> List();
// Reads one record directory.
Record Read(const std::filesystem::path& dir);

// Removes what a dead runner's record names (processes first, then mounts, cgroups,
// segments, directories), then the record. Returns one line per thing removed. Does
// nothing for a live runner's record or one another cleaner holds (returns {}).
std::vector<std::string> Clean(const Record& record);

// The guardian's loop: waits until `run_fd` reports end of file (the runner closed it or
// died), and if the record is still there, until the runner is gone; then cleans it.
// Returns the process exit code.
int Guard(const std::filesystem::path& dir, int run_fd);

// A process's start time in clock ticks since boot (0 if it does not exist).
uint64_t ProcessStartTime(pid_t pid);

}  // namespace crashlab::runrecord

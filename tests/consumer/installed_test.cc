// Run against an installed crashlab: the helpers come from the package this program was
// configured against ($CRASHLAB_EXPECTED_PREFIX), wherever that package has been moved,
// and the fault libraries (powercut storage, the syncfault preload) work from there.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "faults/storage/storage.h"
#include "faults/syncfault/controller.h"
#include "framework/helpers.h"
#include "framework/process.h"
#include "framework/version.h"

namespace {

namespace fs = std::filesystem;
using namespace crashlab;

fs::path PackageLibexec() {
  const char* prefix = std::getenv("CRASHLAB_EXPECTED_PREFIX");
  if (prefix == nullptr) throw std::runtime_error("set CRASHLAB_EXPECTED_PREFIX");
  return fs::weakly_canonical(prefix) / "libexec/crashlab";
}

TEST(InstalledCrashlab, HelpersComeFromThePackage) {
  EXPECT_STRNE(kVersion, "");
  for (const char* name : {"crashlab-sqlite-agent", "crashfs", "libcrashlab_syncfault.so"}) {
    EXPECT_EQ(fs::weakly_canonical(HelperProgram(name)), PackageLibexec() / name);
  }
  EXPECT_EQ(fs::weakly_canonical(syncfault::Controller::PreloadPath()),
            PackageLibexec() / "libcrashlab_syncfault.so");
}

// A process given the storage's environment runs under the package's preload, whose
// failing fsync it sees (dd conv=fsync fails); with pass mode it succeeds.
TEST(InstalledCrashlab, FailingFsyncThroughThePackagesPreload) {
  supervisor::Init();
  TempDir dir("crashlab-consumer-");
  storage::StorageConfig config;
  config.sync_fault = storage::SyncFault::kFail;
  auto storage = storage::LocalStorage::Create(config, dir.path());
  storage->ApplyBaseSyncMode();
  const auto env = storage->Env();
  // The store gets a copy of the package's preload beside the control file (readable by
  // a store that runs as another user), byte for byte the package's.
  const fs::path preload = env.at("LD_PRELOAD");
  EXPECT_EQ(preload.parent_path(), fs::weakly_canonical(storage->Root()));
  EXPECT_EQ(fs::file_size(preload), fs::file_size(PackageLibexec() / "libcrashlab_syncfault.so"));

  auto dd = [&](const std::string& file) {
    ProcessOptions o;
    o.argv = {"dd",         "if=/dev/zero", "of=" + (storage->Root() / file).string(),
              "bs=4096",    "count=1",      "conv=fsync",
              "status=none"};
    o.env = env;
    Process p = Process::Spawn(o);
    EXPECT_TRUE(p.WaitFor(Millis(10000)));
    return p.DescribeExit();
  };
  EXPECT_EQ(dd("failing"), "exited with code 1");
  storage->SyncControl().PassAll();
  EXPECT_EQ(dd("passing"), "exited with code 0");
}

}  // namespace

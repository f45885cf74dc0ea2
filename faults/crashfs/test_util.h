// Shared fixture for crashfs tests: a fresh backing dir + mountpoint per test, file helpers.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "faults/crashfs/crashfs.h"
#include "framework/process.h"
#include "framework/unique_fd.h"

namespace crashlab::crashfs::testing {

// Why the FUSE tests cannot run here, or "" if they can.
inline std::string FuseUnavailableReason() {
  if (geteuid() != 0) return "crashfs tests need root (mount, allow_other, setfsuid)";
  if (access("/dev/fuse", R_OK | W_OK) != 0) return "/dev/fuse is not available";
  return {};
}

inline std::string ReadAll(const std::string& path) {
  const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "<missing>";
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) out.append(buf, n);
  return out;
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Writes `data` at `off` (creating the file); fsyncs the file if `sync`.
inline void WriteAt(const std::string& path, const std::string& data, off_t off, bool sync,
                    int extra_flags = 0) {
  const UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0644));
  ASSERT_TRUE(fd) << path << ": " << strerror(errno);
  ASSERT_EQ(pwrite(fd.get(), data.data(), data.size(), off), static_cast<ssize_t>(data.size()));
  if (sync) {
    ASSERT_EQ(fsync(fd.get()), 0) << strerror(errno);
  }
}

inline void WriteFile(const std::string& path, const std::string& data, bool sync) {
  WriteAt(path, data, 0, sync, O_TRUNC);
}

inline void AppendFile(const std::string& path, const std::string& data, bool sync) {
  const UniqueFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  ASSERT_TRUE(fd) << path << ": " << strerror(errno);
  ASSERT_EQ(write(fd.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
  if (sync) {
    ASSERT_EQ(fsync(fd.get()), 0);
  }
}

inline int FsyncPath(const std::string& path) {
  const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno;
  return fsync(fd.get()) == 0 ? 0 : errno;
}

inline std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

class CrashFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = FuseUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    // Under /tmp, not $TMPDIR: other users (ownership test) must reach the mount.
    dir_.emplace("crashfs-test-", "/tmp");
    base_ = dir_->path().string();
    chmod(base_.c_str(), 0755);
    std::filesystem::create_directories(base_ + "/backing");
    std::filesystem::create_directories(base_ + "/mnt");
    Remount();
  }

  void TearDown() override {
    fs_.reset();
    dir_.reset();
  }

  // (Re)mounts with options_ as adjusted by the test.
  void Remount() {
    fs_.reset();
    options_.backing = base_ + "/backing";
    options_.mountpoint = base_ + "/mnt";
    fs_ = CrashFs::Mount(options_);
  }

  std::string M(const std::string& rel) const { return base_ + "/mnt/" + rel; }
  std::string B(const std::string& rel) const { return base_ + "/backing/" + rel; }

  Options options_;
  std::optional<TempDir> dir_;
  std::string base_;
  std::unique_ptr<CrashFs> fs_;
};

}  // namespace crashlab::crashfs::testing

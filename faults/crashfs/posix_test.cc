// crashfs with no fault active behaves like the backing filesystem (passthrough sanity).
#include <dirent.h>
#include <sys/stat.h>

#include <set>

#include "faults/crashfs/model.h"
#include "faults/crashfs/test_util.h"

namespace crashlab::crashfs::testing {
namespace {

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> names;
  DIR* dp = opendir(dir.c_str());
  if (dp == nullptr) return names;
  while (dirent* de = readdir(dp)) names.insert(de->d_name);
  closedir(dp);
  return names;
}

class PosixTest : public CrashFsTest {};

TEST_F(PosixTest, FilesOfManySizesReadBackIdentical) {
  const size_t sizes[] = {0, 1, 511, 4095, 4096, 4097, 65536 + 7, (1u << 20) + 123, 3u << 20};
  int i = 0;
  for (size_t n : sizes) {
    std::string name = "f" + std::to_string(i++);
    std::string data = Pattern(n, i);
    WriteFile(M(name), data, true);
    EXPECT_EQ(ReadAll(M(name)), data) << name;
    EXPECT_EQ(ReadAll(B(name)), data) << name;
  }
}

TEST_F(PosixTest, OffsetsSparseAndOverwrites) {
  std::string a = Pattern(10000, 1);
  WriteFile(M("s"), a, false);
  WriteAt(M("s"), "hello", 4094, false);                    // straddles a page boundary
  WriteAt(M("s"), Pattern(3000, 2), (10 << 20) + 5, true);  // sparse tail
  std::string expect = a;
  expect.replace(4094, 5, "hello");
  expect.resize((10 << 20) + 5, '\0');
  expect += Pattern(3000, 2);
  EXPECT_EQ(ReadAll(M("s")), expect);
  EXPECT_EQ(ReadAll(B("s")), expect);
  struct stat st;
  ASSERT_EQ(stat(M("s").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(expect.size()));
}

TEST_F(PosixTest, RenameAndTruncate) {
  WriteFile(M("a"), Pattern(20000, 3), true);
  ASSERT_EQ(rename(M("a").c_str(), M("b").c_str()), 0);
  EXPECT_FALSE(Exists(M("a")));
  EXPECT_FALSE(Exists(B("a")));
  ASSERT_EQ(truncate(M("b").c_str(), 5000), 0);
  EXPECT_EQ(ReadAll(M("b")), Pattern(20000, 3).substr(0, 5000));
  ASSERT_EQ(truncate(M("b").c_str(), 9000), 0);
  std::string expect = Pattern(20000, 3).substr(0, 5000) + std::string(4000, '\0');
  EXPECT_EQ(ReadAll(M("b")), expect);
  EXPECT_EQ(ReadAll(B("b")), expect);
  // Rename over an existing file replaces it.
  WriteFile(M("c"), "old", true);
  ASSERT_EQ(rename(M("b").c_str(), M("c").c_str()), 0);
  EXPECT_EQ(ReadAll(M("c")), expect);
  EXPECT_EQ(ReadAll(B("c")), expect);
  // O_TRUNC on open.
  WriteFile(M("c"), "short", true);
  EXPECT_EQ(ReadAll(B("c")), "short");
}

TEST_F(PosixTest, DirectoriesSymlinksReaddirStatChmod) {
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(M("d/e").c_str(), 0700), 0);
  WriteFile(M("d/e/f"), "x", false);
  WriteFile(M("d/g"), "yy", false);
  ASSERT_EQ(symlink("e/f", M("d/link").c_str()), 0);
  char buf[64];
  ssize_t n = readlink(M("d/link").c_str(), buf, sizeof(buf));
  ASSERT_EQ(n, 3);
  EXPECT_EQ(std::string(buf, n), "e/f");
  EXPECT_EQ(ReadAll(M("d/link")), "x");
  EXPECT_EQ(List(M("d")), (std::set<std::string>{".", "..", "e", "g", "link"}));
  EXPECT_EQ(List(M("d")), List(B("d")));
  struct stat st;
  ASSERT_EQ(stat(M("d/e").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(chmod(M("d/g").c_str(), 0600), 0);
  ASSERT_EQ(stat(B("d/g").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 2);
  ASSERT_EQ(lstat(M("d/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // Hard link.
  ASSERT_EQ(link(M("d/g").c_str(), M("d/h").c_str()), 0);
  EXPECT_EQ(ReadAll(M("d/h")), "yy");
  ASSERT_EQ(stat(M("d/h").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  // rmdir of a non-empty directory fails; of an empty one works.
  EXPECT_NE(rmdir(M("d/e").c_str()), 0);
  EXPECT_EQ(errno, ENOTEMPTY);
  ASSERT_EQ(unlink(M("d/e/f").c_str()), 0);
  ASSERT_EQ(rmdir(M("d/e").c_str()), 0);
  EXPECT_FALSE(Exists(B("d/e")));
  EXPECT_NE(unlink(M("d").c_str()), 0);
  EXPECT_EQ(errno, EISDIR);
}

TEST_F(PosixTest, UnlinkOfAnOpenFile) {
  WriteFile(M("u"), "before", true);
  UniqueFd fd(open(M("u").c_str(), O_RDWR));
  ASSERT_TRUE(fd);
  ASSERT_EQ(unlink(M("u").c_str()), 0);
  EXPECT_FALSE(Exists(M("u")));
  EXPECT_FALSE(Exists(B("u")));
  ASSERT_EQ(pwrite(fd.get(), "AFTER", 5, 6), 5);
  char buf[32];
  ssize_t n = pread(fd.get(), buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), "beforeAFTER");
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 11);
  fd.reset();
  // The name is free again.
  WriteFile(M("u"), "new", false);
  EXPECT_EQ(ReadAll(M("u")), "new");
}

TEST_F(PosixTest, GraveyardIsHidden) {
  WriteFile(M("x"), "1", true);
  ASSERT_EQ(unlink(M("x").c_str()), 0);
  auto names = List(M(""));
  EXPECT_EQ(names.count(MetaLog::kGraveyard), 0u);
  EXPECT_FALSE(Exists(M(MetaLog::kGraveyard)));
  EXPECT_NE(mkdir(M(MetaLog::kGraveyard).c_str(), 0755), 0);
}

TEST_F(PosixTest, CleanUnmountKeepsEverythingAndRemovesGraveyard) {
  WriteFile(M("kept"), "unsynced but clean shutdown", false);
  WriteFile(M("gone"), "x", true);
  ASSERT_EQ(unlink(M("gone").c_str()), 0);
  fs_.reset();
  EXPECT_EQ(ReadAll(B("kept")), "unsynced but clean shutdown");
  EXPECT_FALSE(Exists(B("gone")));
  EXPECT_FALSE(Exists(B(MetaLog::kGraveyard)));
  // Nothing is left mounted.
  struct stat mnt, parent;
  ASSERT_EQ(stat(M("").c_str(), &mnt), 0);
  ASSERT_EQ(stat(base_.c_str(), &parent), 0);
  EXPECT_EQ(mnt.st_dev, parent.st_dev);
}

}  // namespace
}  // namespace crashlab::crashfs::testing

// crashfs power cuts: what was made durable survives, everything else is gone.
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "faults/crashfs/test_util.h"

namespace crashlab::crashfs::testing {
namespace {

class PowerCutTest : public CrashFsTest {
 protected:
  // A file whose data and directory entry are durable.
  void Durable(const std::string& rel, const std::string& data) {
    WriteFile(M(rel), data, true);
    std::string dir = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
    ASSERT_EQ(FsyncPath(M(dir)), 0);
  }
};

TEST_F(PowerCutTest, SyncedDataSurvivesUnsyncedAppendIsLost) {
  Durable("f", "synced");
  AppendFile(M("f"), "-unsynced", false);
  EXPECT_EQ(ReadAll(M("f")), "synced-unsynced");
  CutReport r = fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), "synced");
  EXPECT_EQ(ReadAll(B("f")), "synced");
  EXPECT_LT(r.total_ms, 500.0);
  RecordProperty("power_cut_ms", std::to_string(r.total_ms));
}

TEST_F(PowerCutTest, UnsyncedOverwriteOfSyncedDataIsReverted) {
  std::string orig = Pattern(5 * 4096 + 100, 1);
  Durable("f", orig);
  WriteAt(M("f"), Pattern(9000, 2), 3000, false);         // pages 0..2
  WriteAt(M("f"), Pattern(50, 3), 5 * 4096 + 80, false);  // last partial page + append
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), orig);
}

TEST_F(PowerCutTest, FdatasyncMakesDataDurable) {
  Durable("f", "a");
  UniqueFd fd(open(M("f").c_str(), O_WRONLY | O_APPEND));
  ASSERT_TRUE(fd);
  ASSERT_EQ(write(fd.get(), "bc", 2), 2);
  ASSERT_EQ(fdatasync(fd.get()), 0);
  ASSERT_EQ(write(fd.get(), "lost", 4), 4);
  fd.reset();
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), "abc");
}

TEST_F(PowerCutTest, UnsyncedTruncateIsReverted) {
  std::string orig = Pattern(10000, 4);
  Durable("f", orig);
  ASSERT_EQ(truncate(M("f").c_str(), 100), 0);
  WriteAt(M("f"), "zz", 50, false);
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), orig);
}

TEST_F(PowerCutTest, CreateWithoutDirFsyncDisappears) {
  WriteFile(M("new"), "data", true);  // file fsynced, directory not
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  WriteFile(M("d/inner"), "x", true);
  ASSERT_EQ(FsyncPath(M("d")), 0);  // d's entries durable, but d itself is not
  fs_->PowerCut();
  EXPECT_FALSE(Exists(M("new")));
  EXPECT_FALSE(Exists(B("new")));
  EXPECT_FALSE(Exists(M("d")));
}

TEST_F(PowerCutTest, CreateWithDirFsyncSurvives) {
  WriteFile(M("new"), "data", true);
  ASSERT_EQ(FsyncPath(M("")), 0);
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  ASSERT_EQ(FsyncPath(M("")), 0);
  WriteFile(M("d/inner"), "x", true);
  ASSERT_EQ(FsyncPath(M("d")), 0);
  WriteFile(M("empty"), "not synced data", false);
  ASSERT_EQ(FsyncPath(M("")), 0);
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("new")), "data");
  EXPECT_EQ(ReadAll(M("d/inner")), "x");
  EXPECT_EQ(ReadAll(M("empty")), "");  // the entry is durable, its data is not
}

TEST_F(PowerCutTest, RenameWithoutDirFsyncIsReverted) {
  Durable("a", "A");
  Durable("b", "B");
  Durable("t", "T");
  ASSERT_EQ(rename(M("a").c_str(), M("c").c_str()), 0);
  ASSERT_EQ(rename(M("b").c_str(), M("c2").c_str()), 0);
  ASSERT_EQ(rename(M("c2").c_str(), M("t").c_str()), 0);  // replaces t
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("a")), "A");
  EXPECT_EQ(ReadAll(M("b")), "B");
  EXPECT_EQ(ReadAll(M("t")), "T");
  EXPECT_FALSE(Exists(M("c")));
  EXPECT_FALSE(Exists(M("c2")));
}

TEST_F(PowerCutTest, RenameWithDirFsyncSurvives) {
  ASSERT_EQ(mkdir(M("x").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(M("y").c_str(), 0755), 0);
  ASSERT_EQ(FsyncPath(M("")), 0);
  Durable("x/f", "F");
  ASSERT_EQ(rename(M("x/f").c_str(), M("y/g").c_str()), 0);
  ASSERT_EQ(FsyncPath(M("y")), 0);  // one of two directories: not yet durable
  CutReport r = fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("x/f")), "F");
  EXPECT_FALSE(Exists(M("y/g")));
  EXPECT_EQ(r.meta_ops_undone, 1u);
  ASSERT_EQ(rename(M("x/f").c_str(), M("y/g").c_str()), 0);
  ASSERT_EQ(FsyncPath(M("y")), 0);
  ASSERT_EQ(FsyncPath(M("x")), 0);
  fs_->PowerCut();
  EXPECT_FALSE(Exists(M("x/f")));
  EXPECT_EQ(ReadAll(M("y/g")), "F");
}

TEST_F(PowerCutTest, UndoFollowsRenamedAncestors) {
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  ASSERT_EQ(FsyncPath(M("")), 0);
  Durable("d/g", "g");
  WriteFile(M("d/f"), "f", true);  // entry in d not durable
  ASSERT_EQ(rename(M("d").c_str(), M("e").c_str()), 0);
  ASSERT_EQ(FsyncPath(M("")), 0);  // the rename of d is durable
  fs_->PowerCut();
  EXPECT_FALSE(Exists(M("d")));
  EXPECT_FALSE(Exists(M("e/f")));
  EXPECT_EQ(ReadAll(M("e/g")), "g");
}

TEST_F(PowerCutTest, UnlinkWithoutDirFsyncIsRevertedWithDurableContent) {
  Durable("f", "durable content");
  WriteAt(M("f"), "OVERWRITTEN", 0, false);
  AppendFile(M("f"), "+more", false);
  ASSERT_EQ(unlink(M("f").c_str()), 0);
  Durable("g", "g");
  ASSERT_EQ(unlink(M("g").c_str()), 0);
  ASSERT_EQ(FsyncPath(M("")), 0);  // makes both unlinks durable...
  Durable("h", "h");
  ASSERT_EQ(unlink(M("h").c_str()), 0);  // ...but not this one
  fs_->PowerCut();
  EXPECT_FALSE(Exists(M("f")));
  EXPECT_FALSE(Exists(M("g")));
  EXPECT_EQ(ReadAll(M("h")), "h");
}

TEST_F(PowerCutTest, UnlinkedFileComesBackWithDurableContent) {
  Durable("f", "durable content");
  WriteAt(M("f"), "OVERWRITTEN", 0, false);
  ASSERT_EQ(unlink(M("f").c_str()), 0);
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), "durable content");
}

TEST_F(PowerCutTest, LieModeLosesSyncedData) {
  Durable("f", "before");
  fs_->SetSyncMode(SyncMode::kLie);
  AppendFile(M("f"), "+acked", true);  // fsync says yes
  WriteFile(M("g"), "new", true);
  ASSERT_EQ(FsyncPath(M("")), 0);
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), "before");
  EXPECT_FALSE(Exists(M("g")));
  bool saw_lie = false;
  for (const Event& e : fs_->Events()) saw_lie |= e.note == "lie";
  EXPECT_TRUE(saw_lie);
}

TEST_F(PowerCutTest, FailModeReturnsEio) {
  Durable("f", "before");
  fs_->SetSyncMode(SyncMode::kFail);
  UniqueFd fd(open(M("f").c_str(), O_WRONLY | O_APPEND));
  ASSERT_TRUE(fd);
  ASSERT_EQ(write(fd.get(), "x", 1), 1);
  EXPECT_EQ(fsync(fd.get()), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(fdatasync(fd.get()), -1);
  EXPECT_EQ(errno, EIO);
  fd.reset();
  EXPECT_EQ(FsyncPath(M("")), EIO);
  fs_->SetSyncMode(SyncMode::kPass);
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), "before");
}

// Trigger tests run the I/O on a thread: it blocks at the trigger until the power cut.
class TriggerTest : public PowerCutTest {
 protected:
  void SetUp() override {
    options_.writeback_cache = false;  // one write() = one WRITE request
    PowerCutTest::SetUp();
  }
};

TEST_F(TriggerTest, FsyncTriggerFiresAtKthMatchingFsync) {
  Durable("db.wal", "");
  Durable("other", "");
  fs_->ArmTrigger({FsOp::kFsync, 3, "*.wal"});
  int last_ok = 0, err = 0;
  std::thread io([&] {
    const UniqueFd fd(open(M("db.wal").c_str(), O_WRONLY | O_APPEND));
    const UniqueFd ofd(open(M("other").c_str(), O_WRONLY | O_APPEND));
    for (int i = 1; i <= 5; ++i) {
      std::string rec = "rec" + std::to_string(i) + ";";
      if (write(fd.get(), rec.data(), rec.size()) < 0 || write(ofd.get(), "o", 1) < 0 ||
          fsync(ofd.get()) != 0) {
        err = -errno;
        break;
      }
      if (fdatasync(fd.get()) != 0) {
        err = errno;
        break;
      }
      last_ok = i;
    }
  });
  ASSERT_TRUE(fs_->WaitTriggered(std::chrono::seconds(10)));
  // Frozen before the third fsync: rec3 reached the backing file, nothing after it did.
  EXPECT_EQ(ReadAll(B("db.wal")), "rec1;rec2;rec3;");
  fs_->PowerCut();
  io.join();
  EXPECT_EQ(last_ok, 2);
  EXPECT_EQ(err, EIO);
  EXPECT_EQ(ReadAll(M("db.wal")), "rec1;rec2;");
  EXPECT_EQ(ReadAll(M("other")), "ooo");
}

TEST_F(TriggerTest, WriteTriggerStopsBeforeTheKthWrite) {
  Durable("f", "");
  fs_->ArmTrigger({FsOp::kWrite, 3, "f"});
  std::thread io([&] {
    const UniqueFd fd(open(M("f").c_str(), O_WRONLY));
    for (int i = 0; i < 5; ++i) {
      std::string page(4096, static_cast<char>('a' + i));
      if (pwrite(fd.get(), page.data(), page.size(), i * 4096) < 0) break;
    }
  });
  ASSERT_TRUE(fs_->WaitTriggered(std::chrono::seconds(10)));
  EXPECT_EQ(ReadAll(B("f")), std::string(4096, 'a') + std::string(4096, 'b'));
  fs_->PowerCut();
  io.join();
  EXPECT_EQ(ReadAll(M("f")), "");
}

TEST_F(TriggerTest, CreateAndRenameTriggers) {
  fs_->ArmTrigger({FsOp::kCreate, 2, "*.tmp"});
  std::thread io([&] {
    for (const char* n : {"a.tmp", "x.dat", "b.tmp", "c.tmp"}) {
      const UniqueFd fd(open(M(n).c_str(), O_WRONLY | O_CREAT, 0644));
      if (!fd) break;
    }
  });
  ASSERT_TRUE(fs_->WaitTriggered(std::chrono::seconds(10)));
  EXPECT_TRUE(Exists(B("a.tmp")));
  EXPECT_TRUE(Exists(B("x.dat")));
  EXPECT_FALSE(Exists(B("b.tmp")));
  fs_->PowerCut();
  io.join();
  EXPECT_FALSE(Exists(M("a.tmp")));  // never durable

  Durable("cur", "1");
  fs_->ArmTrigger({FsOp::kRename, 1, "cur"});
  std::thread io2([&] {
    WriteFile(M("next"), "2", true);
    rename(M("next").c_str(), M("cur").c_str());
  });
  ASSERT_TRUE(fs_->WaitTriggered(std::chrono::seconds(10)));
  EXPECT_EQ(ReadAll(B("cur")), "1");
  fs_->PowerCut();
  io2.join();
  EXPECT_EQ(ReadAll(M("cur")), "1");
  EXPECT_FALSE(Exists(M("next")));
}

TEST_F(PowerCutTest, FreezeHoldsRequestsAndPowerCutFailsThem) {
  Durable("f", "x");
  fs_->Freeze();
  std::atomic<int> rc{0}, err{0};
  std::string path = M("f");
  std::thread io([&] {
    UniqueFd fd(open(path.c_str(), O_RDONLY));  // held: the lookup/open waits for the cut
    int e = errno;
    int r = -1;
    if (fd) {
      r = fsync(fd.get());
      e = errno;
      fd.reset();
    }
    err = e;
    rc = r < 0 ? -1 : 1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(rc, 0);  // still held
  fs_->PowerCut();
  io.join();
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(err, EIO);
  EXPECT_EQ(ReadAll(M("f")), "x");  // the new mount works
}

class TornTest : public PowerCutTest {
 protected:
  // Durable 16 zero pages, then (unsynced) 16 pages rewritten and 16 appended.
  std::string RunRandomPages(uint64_t seed) {
    Durable("t", std::string(16 * 4096, '\0'));
    WriteAt(M("t"), std::string(32 * 4096, 'N'), 0, false);
    CutOptions cut;
    cut.torn = CutOptions::Torn::kRandomPages;
    cut.seed = seed;
    fs_->PowerCut(cut);
    std::string got = ReadAll(M("t"));
    EXPECT_EQ(unlink(M("t").c_str()), 0);
    EXPECT_EQ(FsyncPath(M("")), 0);
    return got;
  }
  std::string RunPrefix(uint64_t seed) {
    Durable("p", std::string(4096, 'D'));
    WriteAt(M("p"), std::string(64 * 1024, 'N'), 4096, false);
    CutOptions cut;
    cut.torn = CutOptions::Torn::kPrefix;
    cut.seed = seed;
    fs_->PowerCut(cut);
    std::string got = ReadAll(M("p"));
    EXPECT_EQ(unlink(M("p").c_str()), 0);
    EXPECT_EQ(FsyncPath(M("")), 0);
    return got;
  }
};

TEST_F(TornTest, RandomPagesAreSeeded) {
  std::string a = RunRandomPages(7);
  std::string b = RunRandomPages(7);
  std::string c = RunRandomPages(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  size_t kept = 0, lost = 0;
  for (size_t p = 0; p < 16; ++p) (a[p * 4096] == 'N' ? kept : lost)++;
  EXPECT_GT(kept, 0u);
  EXPECT_GT(lost, 0u);
  EXPECT_GE(a.size(), 16u * 4096);
  EXPECT_EQ(a.size() % 4096, 0u);
}

TEST_F(TornTest, PrefixOfLastWriteIsSeeded) {
  std::string a = RunPrefix(3);
  std::string b = RunPrefix(3);
  EXPECT_EQ(a, b);
  ASSERT_GE(a.size(), 4096u);
  EXPECT_EQ(a.substr(0, 4096), std::string(4096, 'D'));
  EXPECT_EQ((a.size() - 4096) % 512, 0u);
  EXPECT_EQ(a.substr(4096), std::string(a.size() - 4096, 'N'));
  bool differs = false;
  for (uint64_t s = 4; s < 8 && !differs; ++s) differs = RunPrefix(s).size() != a.size();
  EXPECT_TRUE(differs);
}

TEST_F(PowerCutTest, ManyCutsInARowAreFast) {
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    WriteFile(M("f" + std::to_string(i)), Pattern(10000, i), true);
    worst = std::max(worst, fs_->PowerCut().total_ms);
  }
  RecordProperty("worst_power_cut_ms", std::to_string(worst));
  EXPECT_LT(worst, 500.0);
  EXPECT_EQ(fs_->GetStats().power_cuts, 20u);
}

}  // namespace
}  // namespace crashlab::crashfs::testing

namespace crashlab::crashfs::testing {
namespace {

class Ext4ModelTest : public PowerCutTest {
 protected:
  void SetUp() override {
    const std::string why = FuseUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    options_.fs_model = "ext4";
    PowerCutTest::SetUp();
  }
};

// The Redis pattern: mkdir + create, then only the file is fsynced. Lost under posix,
// kept under ext4 (the fsync commits the journal); the posix cut says so.
TEST_F(PowerCutTest, FileFsyncKeepsNoEntryUnderPosixAndSaysExt4Would) {
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  WriteFile(M("d/log"), "record", true);
  const CutReport r = fs_->PowerCut();
  EXPECT_FALSE(Exists(M("d")));
  EXPECT_EQ(r.fs_model, "posix");
  EXPECT_EQ(r.dropped_ops_kept_under.at("ext4"), 2u);  // mkdir d, create d/log
  EXPECT_EQ(r.pending_ops.size(), 2u);
}

TEST_F(Ext4ModelTest, FileFsyncCommitsEarlierNamespaceOps) {
  ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
  WriteFile(M("d/log"), "record", true);
  WriteFile(M("other"), "unsynced", false);  // created after the commit: lost
  const CutReport r = fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("d/log")), "record");
  EXPECT_FALSE(Exists(M("other")));
  EXPECT_EQ(r.fs_model, "ext4");
}

TEST_F(Ext4ModelTest, CommittedCreateOfUnsyncedFileIsEmpty) {
  WriteFile(M("a"), "unsynced data", false);
  WriteFile(M("b"), "x", true);  // commits a's create, not a's data
  fs_->PowerCut();
  EXPECT_TRUE(Exists(M("a")));
  EXPECT_EQ(ReadAll(M("a")), "");
}

TEST_F(Ext4ModelTest, OverwriteOnlyFdatasyncDoesNotCommit) {
  Durable("f", "0123456789");
  WriteFile(M("new"), "", false);
  {
    const UniqueFd fd(open(M("f").c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_EQ(pwrite(fd.get(), "ab", 2, 0), 2);
    ASSERT_EQ(fdatasync(fd.get()), 0);  // same size, old inode: no journal commit
  }
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("f")), "ab23456789");
  EXPECT_FALSE(Exists(M("new")));
}

TEST_F(Ext4ModelTest, ReplaceByRenameFlushesDataWithAutoDaAlloc) {
  Durable("cfg", "old");
  WriteFile(M("cfg.tmp"), "new", false);
  ASSERT_EQ(rename(M("cfg.tmp").c_str(), M("cfg").c_str()), 0);
  WriteFile(M("x"), "", true);  // any fsync: commits the rename and, with it, cfg's data
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("cfg")), "new");
}

TEST_F(Ext4ModelTest, ReplaceByRenameWithoutAutoDaAllocLeavesEmptyFile) {
  options_.auto_da_alloc = false;
  Remount();
  Durable("cfg", "old");
  WriteFile(M("cfg.tmp"), "new", false);
  ASSERT_EQ(rename(M("cfg.tmp").c_str(), M("cfg").c_str()), 0);
  WriteFile(M("x"), "", true);
  fs_->PowerCut();
  EXPECT_EQ(ReadAll(M("cfg")), "");  // the famous zero-length file
}

TEST_F(PowerCutTest, TargetGlobLimitsDataLoss) {
  Durable("a.log", "");
  Durable("b.db", "");
  WriteFile(M("a.log"), "aaaa", false);
  WriteFile(M("b.db"), "bbbb", false);
  CutOptions cut;
  cut.target = "*.log";
  const CutReport r = fs_->PowerCut(cut);
  EXPECT_EQ(ReadAll(M("a.log")), "");
  EXPECT_EQ(ReadAll(M("b.db")), "bbbb");
  ASSERT_EQ(r.unsynced_files.size(), 2u);
}

TEST_F(TriggerTest, AnyOpTriggerCountsTheMergedSequence) {
  fs_->ArmTrigger({FsOp::kAny, 3, "*"});
  std::thread io([&] {
    const UniqueFd fd(open(M("f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));  // 1 create
    if (!fd) return;
    if (pwrite(fd.get(), "x", 1, 0) != 1) return;  // 2 write
    if (fsync(fd.get()) != 0) return;              // 3 fsync: the trigger, before it
  });
  ASSERT_TRUE(fs_->WaitTriggered(std::chrono::seconds(10)));
  fs_->PowerCut();
  io.join();
  EXPECT_FALSE(Exists(M("f")));
}

}  // namespace
}  // namespace crashlab::crashfs::testing

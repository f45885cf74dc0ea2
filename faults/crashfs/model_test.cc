// Unit tests of the durability model on a plain directory (no FUSE, no root needed).
#include "faults/crashfs/model.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "faults/crashfs/test_util.h"

namespace crashlab::crashfs::testing {
namespace {

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path().string();
    root_fd_.reset(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
    struct stat st;
    fstat(root_fd_.get(), &st);
    root_ino_ = st.st_ino;
    meta_ = std::make_unique<MetaLog>(root_fd_.get(), std::filesystem::canonical(dir_).string(),
                                      *FindModel("posix"));
    meta_->ResetGraveyard();
  }
  void TearDown() override { meta_.reset(); }
  std::string P(const std::string& rel) { return dir_ + "/" + rel; }

  // Writes through the model: save, then modify.
  void ModelWrite(const std::string& rel, const std::string& data, off_t off) {
    const UniqueFd opath(open(P(rel).c_str(), O_PATH));
    struct stat st;
    fstat(opath.get(), &st);
    FileRecord* rec = data_.Get({st.st_dev, st.st_ino});
    ASSERT_EQ(data_.BeforeModify(rec, opath.get(), off, off + data.size(), true), 0);
    const UniqueFd fd(open(P(rel).c_str(), O_WRONLY));
    ASSERT_EQ(pwrite(fd.get(), data.data(), data.size(), off), static_cast<ssize_t>(data.size()));
  }

  TempDir tmp_{"crashfs-model-"};
  std::string dir_;
  UniqueFd root_fd_;
  ino_t root_ino_ = 0;
  std::unique_ptr<MetaLog> meta_;
  DataLog data_;
};

TEST_F(ModelTest, DataRollbackRestoresPagesAndSize) {
  std::string orig = Pattern(3 * 4096 + 10, 1);
  WriteFile(P("f"), orig, false);
  ModelWrite("f", Pattern(5000, 2), 4000);
  ModelWrite("f", Pattern(9000, 3), 3 * 4096);
  EXPECT_NE(ReadAll(P("f")), orig);
  EXPECT_EQ(data_.dirty_files(), 1u);
  RollbackCounts c;
  data_.Rollback(
      CutOptions::Torn::kNone, 0, &c, [](int) { return std::string("f"); }, "");
  EXPECT_EQ(ReadAll(P("f")), orig);
  EXPECT_EQ(c.files, 1u);
  EXPECT_EQ(c.pages_restored, 4u);  // pages 0-2, and 3 (the partial last one)
}

TEST_F(ModelTest, SyncedDataIsKept) {
  WriteFile(P("f"), "abc", false);
  ModelWrite("f", "XY", 1);
  struct stat st;
  stat(P("f").c_str(), &st);
  FileRecord* rec = data_.Get({st.st_dev, st.st_ino});
  data_.MarkSynced(rec);
  ModelWrite("f", "tail", 3);
  RollbackCounts c;
  data_.Rollback(
      CutOptions::Torn::kNone, 0, &c, [](int) { return std::string("f"); }, "");
  EXPECT_EQ(ReadAll(P("f")), "aXY");
}

TEST_F(ModelTest, MetaRollbackUndoesInReverse) {
  WriteFile(P("keep"), "k", false);
  WriteFile(P("victim"), "v", false);
  ASSERT_EQ(meta_->Create(MetaOp::kCreate, root_fd_.get(), root_ino_, "new",
                          [&] {
                            const UniqueFd created(
                                openat(root_fd_.get(), "new", O_CREAT | O_WRONLY, 0644));
                            return 0;
                          }),
            0);
  ASSERT_EQ(meta_->Rename(root_fd_.get(), root_ino_, "new", root_fd_.get(), root_ino_, "keep", 0),
            0);
  ASSERT_EQ(meta_->Remove(false, root_fd_.get(), root_ino_, "victim"), 0);
  EXPECT_FALSE(Exists(P("victim")));
  EXPECT_EQ(ReadAll(P("keep")), "");
  EXPECT_EQ(meta_->pending(), 3u);
  RollbackCounts c;
  meta_->Rollback(&c);
  EXPECT_EQ(c.meta_ops_undone, 3u);
  EXPECT_EQ(ReadAll(P("keep")), "k");
  EXPECT_EQ(ReadAll(P("victim")), "v");
  EXPECT_FALSE(Exists(P("new")));
}

TEST_F(ModelTest, DirSyncMakesOpsDurable) {
  WriteFile(P("victim"), "v", false);
  ASSERT_EQ(meta_->Remove(false, root_fd_.get(), root_ino_, "victim"), 0);
  meta_->OnSync(SyncKind::kDirFsync, false, root_ino_);
  EXPECT_EQ(meta_->pending(), 0u);
  RollbackCounts c;
  meta_->Rollback(&c);
  EXPECT_FALSE(Exists(P("victim")));
  EXPECT_TRUE(std::filesystem::is_empty(P(MetaLog::kGraveyard)));
}

TEST_F(ModelTest, RemoveChecksTypes) {
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  WriteFile(P("d/f"), "x", false);
  EXPECT_EQ(meta_->Remove(false, root_fd_.get(), root_ino_, "d"), EISDIR);
  EXPECT_EQ(meta_->Remove(true, root_fd_.get(), root_ino_, "d"), ENOTEMPTY);
  const UniqueFd dfd(open(P("d").c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(meta_->Remove(true, dfd.get(), 0, "f"), ENOTDIR);
}

}  // namespace
}  // namespace crashlab::crashfs::testing

// Unit tests of UniqueFd: one owner per descriptor, closed exactly once.
#include "framework/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace crashlab {
namespace {

// True iff `fd` names an open descriptor of this process.
bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int OpenDevNull() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFdTest, ClosesWhenDestroyed) {
  int raw;
  {
    UniqueFd fd(OpenDevNull());
    raw = fd.get();
    ASSERT_TRUE(fd);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, EmptyAndNegativeHoldNothing) {
  UniqueFd none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get(), -1);
  UniqueFd failed(-1);  // what a failed open() gives
  EXPECT_FALSE(failed);
}

TEST(UniqueFdTest, MoveTransfersOwnership) {
  UniqueFd a(OpenDevNull());
  const int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a);  // a moved-from UniqueFd is empty
  EXPECT_EQ(b.get(), raw);
  UniqueFd c(OpenDevNull());
  const int old_c = c.get();
  c = std::move(b);  // closes what c held
  EXPECT_EQ(c.get(), raw);
  EXPECT_FALSE(IsOpen(old_c));
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFdTest, ReleaseGivesUpWithoutClosing) {
  UniqueFd fd(OpenDevNull());
  const int raw = fd.release();
  EXPECT_FALSE(fd);
  EXPECT_TRUE(IsOpen(raw));
  const UniqueFd again(raw);  // owned (and closed) once more
}

TEST(UniqueFdTest, ResetClosesTheOldOneAndKeepsErrno) {
  UniqueFd fd(OpenDevNull());
  const int first = fd.get();
  errno = ENOSPC;
  fd.reset(OpenDevNull());
  EXPECT_EQ(errno, ENOSPC);    // cleanup on an error path keeps the error being reported
  EXPECT_NE(fd.get(), first);  // opened while the first was still open
  EXPECT_FALSE(IsOpen(first));
  EXPECT_TRUE(IsOpen(fd.get()));
  fd.reset();
  EXPECT_FALSE(fd);
}

TEST(UniqueFdTest, CloseReturnsTheResultOfClose) {
  UniqueFd fd(OpenDevNull());
  EXPECT_EQ(fd.Close(), 0);
  EXPECT_FALSE(fd);
  errno = 0;
  EXPECT_EQ(fd.Close(), -1);  // nothing held: like close(-1)
  EXPECT_EQ(errno, EBADF);
}

TEST(UniqueFdTest, OpenPipeOwnsBothEnds) {
  PipeFds p;
  ASSERT_EQ(OpenPipe(&p), 0);
  ASSERT_TRUE(p.read_end);
  ASSERT_TRUE(p.write_end);
  EXPECT_NE(::fcntl(p.read_end.get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(::write(p.write_end.get(), "x", 1), 1);
  p.write_end.reset();
  char c[2];
  EXPECT_EQ(::read(p.read_end.get(), c, 2), 1);
  EXPECT_EQ(::read(p.read_end.get(), c, 2), 0);  // EOF: the only writer is gone
}

}  // namespace
}  // namespace crashlab

// Unit tests of process supervision: spawn, logs, group kill, reaping, proof of death.
#include "framework/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "framework/unique_fd.h"

namespace crashlab {
namespace {

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { supervisor::Init(); }
};

TEST_F(ProcessTest, SpawnWritesLogAndExitStatus) {
  TempDir dir("proc-test-");
  ProcessOptions o;
  o.argv = {"sh", "-c", "echo hello; echo oops >&2; exit 3"};
  o.log = dir.path() / "log";
  Process p = Process::Spawn(o);
  ASSERT_TRUE(p.WaitFor(Millis(5000)));
  EXPECT_EQ(p.DescribeExit(), "exited with code 3");
  const std::string log = TailFile(o.log);
  EXPECT_NE(log.find("hello"), std::string::npos);
  EXPECT_NE(log.find("oops"), std::string::npos);
}

TEST_F(ProcessTest, MissingProgramIsAClearError) {
  ProcessOptions o;
  o.argv = {"crashlab-no-such-program"};
  try {
    Process::Spawn(o);
    FAIL() << "spawn of a missing program succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("crashlab-no-such-program"), std::string::npos);
  }
}

TEST_F(ProcessTest, KillAndReapProvesTheWholeGroupGone) {
  // A parent with a child that ignores SIGTERM: both must be gone, and reaped, at once.
  ProcessOptions o;
  o.argv = {"sh", "-c", "trap '' TERM; sleep 1000 & wait"};
  Process p = Process::Spawn(o);
  const pid_t pid = p.pid();
  const pid_t pgid = p.pgid();
  EXPECT_EQ(pid, pgid);
  std::this_thread::sleep_for(Millis(100));
  EXPECT_FALSE(GroupGone(pgid));
  const auto t0 = Clock::now();
  p.KillAndReap();
  EXPECT_LT(Clock::now() - t0, Millis(1500)) << "no waiting for PID 1's slow reaping";
  EXPECT_TRUE(PidGone(pid));
  EXPECT_TRUE(GroupGone(pgid));
}

TEST_F(ProcessTest, StopIsTermThenKill) {
  ProcessOptions o;
  o.argv = {"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"};
  Process p = Process::Spawn(o);
  std::this_thread::sleep_for(Millis(100));
  EXPECT_FALSE(p.Stop(Millis(200)));  // ignored SIGTERM: not a clean stop
  EXPECT_FALSE(p.Running());
  EXPECT_TRUE(PidGone(p.pid()));
}

TEST_F(ProcessTest, DestructorLeavesNothingRunning) {
  pid_t pid;
  {
    ProcessOptions o;
    o.argv = {"sleep", "1000"};
    Process p = Process::Spawn(o);
    pid = p.pid();
  }
  EXPECT_TRUE(PidGone(pid));
}

TEST_F(ProcessTest, ExtraDescriptorsReachTheChild) {
  PipeFds pipe;
  ASSERT_EQ(OpenPipe(&pipe), 0);
  ProcessOptions o;
  o.argv = {"sh", "-c", "echo via-fd-5 >&5"};
  o.fds = {{5, pipe.write_end.get()}};
  Process p = Process::Spawn(o);
  pipe.write_end.reset();
  char buf[64] = {};
  ASSERT_GT(::read(pipe.read_end.get(), buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "via-fd-5\n");
  p.WaitFor(Millis(5000));
}

TEST_F(ProcessTest, EnvironmentIsPassed) {
  TempDir dir("proc-test-");
  ProcessOptions o;
  o.argv = {"sh", "-c", "echo \"$CRASHLAB_X\""};
  o.env = {{"CRASHLAB_X", "forty-two"}};
  o.log = dir.path() / "log";
  Process p = Process::Spawn(o);
  ASSERT_TRUE(p.WaitFor(Millis(5000)));
  EXPECT_EQ(TailFile(o.log), "forty-two\n");
}

TEST_F(ProcessTest, DropsPrivilegesWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges";
  auto nobody = LookupUser("nobody");
  if (!nobody) GTEST_SKIP() << "no user 'nobody'";
  TempDir dir("proc-test-");
  ChownRecursive(dir.path(), nobody->uid, nobody->gid);
  ProcessOptions o;
  o.argv = {"id", "-u"};
  o.user = nobody;
  o.log = dir.path() / "log";
  Process p = Process::Spawn(o);
  ASSERT_TRUE(p.WaitFor(Millis(5000)));
  EXPECT_EQ(TailFile(o.log), std::to_string(nobody->uid) + "\n");
}

TEST(TempDirTest, RemovedOnDestruction) {
  std::filesystem::path p;
  {
    TempDir d("tempdir-test-");
    p = d.path();
    std::ofstream(p / "f") << "x";
    EXPECT_TRUE(std::filesystem::exists(p / "f"));
  }
  EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(FreePort, IsBindable) {
  const int port = FreeLoopbackPort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace crashlab

// Unit tests of RunCommand: argv without a shell, both streams, exit codes, the deadline.
#include "framework/run_command.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

class RunCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { supervisor::Init(); }
};

TEST_F(RunCommandTest, CapturesStdoutAndStderrApart) {
  const CommandResult r = RunCommand({"sh", "-c", "echo to-out; echo to-err >&2"}, Millis(10000));
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_EQ(r.err, "to-err\n");
  EXPECT_EQ(r.command, "sh -c echo to-out; echo to-err >&2");
}

TEST_F(RunCommandTest, ArgumentsAreNotInterpretedByAShell) {
  const CommandResult r = RunCommand({"echo", "$HOME", "a;b", "*"}, Millis(10000));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.out, "$HOME a;b *\n");
}

TEST_F(RunCommandTest, ReportsExitCodeAndSignal) {
  CommandResult r = RunCommand({"sh", "-c", "exit 3"}, Millis(10000));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  r = RunCommand({"sh", "-c", "kill -TERM $$"}, Millis(10000));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.term_signal, 15);
  EXPECT_EQ(r.exit_code, 128 + 15);
}

TEST_F(RunCommandTest, EnvironmentIsAdded) {
  const CommandResult r = RunCommand({"sh", "-c", "echo \"$CRASHLAB_RUN_X\""}, Millis(10000),
                                     {{"CRASHLAB_RUN_X", "42"}});
  EXPECT_EQ(r.out, "42\n");
}

TEST_F(RunCommandTest, MissingProgramDoesNotStart) {
  const CommandResult r = RunCommand({"crashlab-no-such-program"}, Millis(10000));
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.err.find("crashlab-no-such-program"), std::string::npos) << r.err;
  EXPECT_FALSE(RunCommand({}, Millis(1000)).started);
}

TEST_F(RunCommandTest, DeadlineKillsTheWholeGroup) {
  const auto t0 = Clock::now();
  // The background sleep is a second member of the group that also holds the pipes.
  const CommandResult r =
      RunCommand({"sh", "-c", "echo started; sleep 30 & echo $! >&2; wait"}, Millis(300));
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_LT(Clock::now() - t0, Millis(5000));
  const pid_t bg = std::stoi(r.err);
  EXPECT_TRUE(PidGone(bg));
}

TEST_F(RunCommandTest, ExitEndsTheCallWhileALeftoverHoldsThePipes) {
  const auto t0 = Clock::now();
  // A process left behind in the group keeps stdout open; the child's exit still ends it.
  const CommandResult r = RunCommand({"sh", "-c", "sleep 30 & echo done"}, Millis(10000));
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "done\n");
  EXPECT_LT(Clock::now() - t0, Millis(5000));
}

}  // namespace
}  // namespace crashlab

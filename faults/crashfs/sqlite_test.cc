// SQLite on crashfs: a killed store plus a power cut keeps exactly what SQLite made durable.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <iostream>
#include <vector>

#include "faults/crashfs/test_util.h"
#include "framework/run_command.h"

extern char** environ;

namespace crashlab::crashfs::testing {
namespace {

// A running crashfs_sqlite_tool whose stdout (one committed id per line) we read.
class Tool {
 public:
  explicit Tool(std::vector<std::string> args) {
    args.insert(args.begin(), CRASHFS_SQLITE_TOOL);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    PipeFds out;
    if (OpenPipe(&out) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out.write_end.get(), 1);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    out_ = std::move(out.read_end);
  }
  ~Tool() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }
  // Reads committed ids until `want` were seen, EOF, or the timeout.
  long ReadAcked(long want, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (acked_count_ < want) {
      int left = std::chrono::duration_cast<std::chrono::milliseconds>(
                     deadline - std::chrono::steady_clock::now())
                     .count();
      if (left <= 0) break;
      pollfd p{out_.get(), POLLIN, 0};
      if (poll(&p, 1, left) <= 0) break;
      char buf[4096];
      ssize_t n = read(out_.get(), buf, sizeof(buf));
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == '\n') {
          max_acked_ = std::max(max_acked_, std::stol(line_));
          acked_count_++;
          line_.clear();
        } else {
          line_.push_back(buf[i]);
        }
      }
    }
    return acked_count_;
  }
  int Wait() {
    int status = 0;
    if (pid_ > 0) waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  pid_t pid() const { return pid_; }
  long max_acked() const { return max_acked_; }

 private:
  pid_t pid_ = -1;
  UniqueFd out_;
  long acked_count_ = 0;
  long max_acked_ = 0;
  std::string line_;
};

// Runs the tool to completion; returns its stdout, or "failed" unless it exited with 0.
std::string RunTool(std::vector<std::string> args) {
  args.insert(args.begin(), CRASHFS_SQLITE_TOOL);
  const CommandResult r = RunCommand(args, Millis(60000));
  std::cerr << r.err;  // the tool's own messages, as when it shared our stderr
  return r.ok() ? r.out : "failed";
}

struct Count {
  long rows = -1, max_id = -1;
};

Count CountRows(const std::string& db) {
  Count c;
  std::string out = RunTool({"count", db});
  if (sscanf(out.c_str(), "%ld %ld", &c.rows, &c.max_id) != 2) c.rows = c.max_id = -1;
  return c;
}

class SqliteTest : public CrashFsTest {
 protected:
  // Freeze, SIGKILL the store, power cut, reap: the runner's crash sequence.
  void Crash(Tool& tool) {
    fs_->Freeze();
    kill(tool.pid(), SIGKILL);
    fs_->PowerCut();
    tool.Wait();
    tool.ReadAcked(LONG_MAX, 100);  // lines written before the kill are in the pipe
  }
};

TEST_F(SqliteTest, WalFullKeepsEveryCommittedRow) {
  std::string db = M("test.db");
  ASSERT_EQ(RunTool({"setup", db}), "");
  for (int cycle = 0; cycle < 3; ++cycle) {
    Tool agent({"agent", db, "FULL", "1000000"});
    ASSERT_GT(agent.ReadAcked(150 + 100 * cycle, 20000), 0);
    Crash(agent);
    Count c = CountRows(db);
    ASSERT_GE(c.rows, 0) << "database unreadable after power cut";
    EXPECT_GE(c.max_id, agent.max_acked()) << "an acknowledged commit was lost";
    EXPECT_LE(c.max_id, agent.max_acked() + 1);  // at most the one in flight
    EXPECT_EQ(c.rows, c.max_id);
    RecordProperty("cycle" + std::to_string(cycle) + "_acked", std::to_string(agent.max_acked()));
  }
}

TEST_F(SqliteTest, WalSynchronousOffLosesCommittedRows) {
  std::string db = M("test.db");
  ASSERT_EQ(RunTool({"setup", db}), "");
  Tool agent({"agent", db, "OFF", "2000"});
  ASSERT_EQ(agent.ReadAcked(2000, 30000), 2000);
  Crash(agent);
  Count c = CountRows(db);
  ASSERT_GE(c.rows, 0) << "database unreadable after power cut";
  EXPECT_LT(c.rows, 2000) << "synchronous=OFF should lose commits that were never synced";
  RecordProperty("acked", "2000");
  RecordProperty("survived", std::to_string(c.rows));
}

}  // namespace
}  // namespace crashlab::crashfs::testing

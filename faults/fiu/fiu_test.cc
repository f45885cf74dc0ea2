// Tests of crashlab_fiu: SQLite and redis-server under fiu-run, failure points switched live.
#include "faults/fiu/fiu.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
// The process helper is syncfault's (one copy for both fault folders).
#include "faults/syncfault/testing/child.h"
#include "framework/process.h"
#include "framework/unique_fd.h"

namespace crashlab::fiu {
namespace {

using namespace std::chrono_literals;
using syncfault::testing::Child;
using syncfault::testing::ChildOptions;
using syncfault::testing::CurrentEnv;

bool InPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && ::access((std::filesystem::path(dir) / name).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

// Why fiu cannot be used here, or "" if it can.
std::string FiuMissing() {
  if (!InPath("fiu-run") || !InPath("fiu-ctrl")) return "fiu-run/fiu-ctrl not in PATH (fiu-utils)";
  if (!std::filesystem::exists("/usr/lib/fiu/fiu_posix_preload.so")) {
    return "/usr/lib/fiu/fiu_posix_preload.so missing (fiu-utils)";
  }
  return "";
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

FailurePoint Point(const std::string& name, int failinfo) {
  FailurePoint p;
  p.name = name;
  p.failinfo = failinfo;
  return p;
}

TEST(FailurePoint, RendersRemoteControlCommands) {
  FailurePoint p = Point(points::kFdatasync, 5);
  EXPECT_EQ(p.EnableCommand(), "enable name=posix/io/sync/fdatasync,failnum=1,failinfo=5");
  EXPECT_EQ(p.DisableCommand(), "disable name=posix/io/sync/fdatasync");
  p.probability = 0.25;
  EXPECT_EQ(p.EnableCommand(),
            "enable_random name=posix/io/sync/fdatasync,failnum=1,failinfo=5,probability=0.25");
}

TEST(FiuRunArgv, PutsOptionsBeforeTheTarget) {
  RunOptions o;
  o.ctl_dir = "/var/run/x";
  o.enabled_at_start = {Point(points::kPwrite, 28)};
  EXPECT_EQ(FiuRunArgv(o, {"/bin/prog", "-v", "arg"}),
            (std::vector<std::string>{"fiu-run", "-x", "-f", "/var/run/x/ctl", "-c",
                                      "enable name=posix/io/rw/pwrite,failnum=1,failinfo=28",
                                      "/bin/prog", "-v", "arg"}));
}

TEST(SeededWindow, IsDeterministicAndWithinBounds) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Window a = SeededWindow(seed, Point(points::kFsync, 5), 10ms, 500ms, 1ms, 50ms);
    Window b = SeededWindow(seed, Point(points::kFsync, 5), 10ms, 500ms, 1ms, 50ms);
    EXPECT_EQ(a.start, b.start);
    EXPECT_EQ(a.duration, b.duration);
    EXPECT_GE(a.start, 10ms);
    EXPECT_LE(a.start, 500ms);
    EXPECT_GE(a.duration, 1ms);
    EXPECT_LE(a.duration, 50ms);
  }
  EXPECT_NE(SeededWindow(1, Point(points::kFsync, 5), 0ms, 100000ms, 0ms, 0ms).start,
            SeededWindow(2, Point(points::kFsync, 5), 0ms, 100000ms, 0ms, 0ms).start);
}

TEST(WindowedFault, HealBeforeTheStartEnablesNothing) {
  FiuControl control("/nonexistent", 1);
  Window w;
  w.point = Point(points::kFsync, 5);
  w.start = 60s;
  w.duration = 1s;
  WindowedFault fault(control, w);
  fault.Start();
  fault.Heal();
  EXPECT_TRUE(fault.WaitClosed(0ms));
  EXPECT_TRUE(control.events().empty());
}

// An sqlite_probe started under fiu-run, with its control FIFOs in a private dir.
class SqliteUnderFiu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = FiuMissing(); !why.empty()) GTEST_SKIP() << why;
  }

  std::unique_ptr<Child> Start(std::vector<FailurePoint> at_start = {}) {
    RunOptions o;
    o.ctl_dir = dir_.path();
    o.enabled_at_start = std::move(at_start);
    ChildOptions c;
    c.argv = FiuRunArgv(o, {CRASHLAB_FIU_SQLITE_PROBE, (dir_.path() / "test.db").string()});
    c.env = CurrentEnv();
    c.pipe_stdin = c.pipe_stdout = true;
    c.output_file = (dir_.path() / "probe.log").string();
    auto child = std::make_unique<Child>(c);
    control_ = std::make_unique<FiuControl>(dir_.path(), child->pid());
    EXPECT_TRUE(control_->WaitReady(10s)) << ReadFile(c.output_file);
    return child;
  }

  TempDir dir_{"crashlab-fiu-"};
  std::unique_ptr<FiuControl> control_;
};

// SQLite syncs with fdatasync; libfiu's fsync point would not affect it.
TEST_F(SqliteUnderFiu, FailingFdatasyncGivesDiskIoError) {
  auto db = Start();
  ASSERT_EQ(db->Call("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"), "ok");
  ASSERT_EQ(db->Call("INSERT INTO t VALUES (1, 'acked')"), "ok");
  ASSERT_TRUE(control_->Enable(Point(points::kFdatasync, EIO)));
  // 1034 = SQLITE_IOERR_FSYNC.
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (2, 'fails')"), "error 1034 disk I/O error");
  ASSERT_TRUE(control_->Disable(points::kFdatasync));
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (3, 'after heal')"), "ok");

  auto events = control_->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::kEnable);
  EXPECT_EQ(events[0].command, "enable name=posix/io/sync/fdatasync,failnum=1,failinfo=5");
  EXPECT_EQ(events[1].kind, Event::Kind::kDisable);
  EXPECT_TRUE(events[0].ok && events[1].ok);
  EXPECT_LE(events[0].at, events[1].at);
}

TEST_F(SqliteUnderFiu, PwriteEnospcGivesDatabaseOrDiskIsFull) {
  auto db = Start();
  ASSERT_EQ(db->Call("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"), "ok");
  ASSERT_TRUE(control_->Enable(Point(points::kPwrite, ENOSPC)));
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (1, 'x')"), "error 13 database or disk is full");
  ASSERT_TRUE(control_->Disable(points::kPwrite));
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (2, 'y')"), "ok");
}

TEST_F(SqliteUnderFiu, PointsEnabledAtStartApplyFromTheFirstCall) {
  auto db = Start({Point(points::kPwrite, ENOSPC)});
  EXPECT_EQ(db->Call("CREATE TABLE t(k INTEGER PRIMARY KEY)"), "error 13 database or disk is full");
}

// A seeded window opens and closes by itself while the workload runs.
TEST_F(SqliteUnderFiu, SeededWindowFailsCommitsOnlyWhileOpen) {
  const uint64_t seed = 42;
  RecordProperty("seed", std::to_string(seed));
  auto db = Start();
  ASSERT_EQ(db->Call("CREATE TABLE t(k INTEGER PRIMARY KEY)"), "ok");
  Window w = SeededWindow(seed, Point(points::kFdatasync, EIO), 20ms, 80ms, 150ms, 250ms);
  WindowedFault fault(*control_, w);
  fault.Start();
  int failed = 0, k = 0;
  auto until = std::chrono::steady_clock::now() + w.start + w.duration + 100ms;
  while (std::chrono::steady_clock::now() < until) {
    std::string r = db->Call("INSERT INTO t VALUES (" + std::to_string(++k) + ")");
    if (r != "ok") {
      EXPECT_EQ(r, "error 1034 disk I/O error");
      ++failed;
    }
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(fault.WaitClosed(5s));
  EXPECT_GT(failed, 0) << "no commit failed inside the window";
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (" + std::to_string(++k) + ")"), "ok");
  auto events = control_->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::kEnable);
  EXPECT_EQ(events[1].kind, Event::Kind::kDisable);
  // The disable is scheduled `duration` after the enable was scheduled; fiu-ctrl's own
  // latency only delays the recorded completion times.
  EXPECT_GE(events[1].at - events[0].at, w.duration - 100ms);
}

TEST_F(SqliteUnderFiu, EnablingAGoneProcessIsReportedAsAnError) {
  auto db = Start();
  pid_t pid = db->pid();
  db->KillAndReap();
  FiuControl gone(dir_.path(), pid);
  EXPECT_FALSE(gone.Enable(Point(points::kFsync, EIO)));
  ASSERT_EQ(gone.events().size(), 1u);
  EXPECT_FALSE(gone.events()[0].ok);
  EXPECT_NE(gone.events()[0].error, "");
}

// One RESP command over a fresh connection; the first reply line, or "" if none came.
std::string RedisCommand(int port, const std::vector<std::string>& args) {
  const UniqueFd s(::socket(AF_INET, SOCK_STREAM, 0));
  timeval tv{2, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    std::string req = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& arg : args) req += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    if (::send(s.get(), req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[256];
      ssize_t n = ::recv(s.get(), buf, sizeof(buf), 0);
      if (n > 0) reply.assign(buf, static_cast<size_t>(n));
    }
  }
  return reply.substr(0, reply.find("\r\n"));
}

// With appendfsync always, Redis must stop rather than acknowledge writes it cannot sync.
TEST(RedisUnderFiu, ExitsWhenAofFdatasyncFails) {
  if (std::string why = FiuMissing(); !why.empty()) GTEST_SKIP() << why;
  if (!InPath("redis-server"))
    GTEST_SKIP() << "redis-server not in PATH (apt package redis-server)";
  TempDir dir("crashlab-fiu-");
  int port = crashlab::FreeLoopbackPort();
  RunOptions o;
  o.ctl_dir = dir.path();
  ChildOptions c;
  c.argv = FiuRunArgv(o, {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                          "--dir", dir.path().string(), "--appendonly", "yes", "--appendfsync",
                          "always", "--save", "", "--daemonize", "no"});
  c.env = CurrentEnv();
  std::filesystem::path log = dir.path() / "redis.log";
  c.output_file = log.string();
  Child redis(c);
  FiuControl control(dir.path(), redis.pid());
  ASSERT_TRUE(control.WaitReady(10s)) << ReadFile(log);

  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (RedisCommand(port, {"PING"}) != "+PONG") {
    ASSERT_TRUE(redis.Running()) << ReadFile(log);
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "redis not ready\n" << ReadFile(log);
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(RedisCommand(port, {"SET", "acked", "1"}), "+OK");

  ASSERT_TRUE(control.Enable(Point(points::kFdatasync, EIO)));
  std::string reply = RedisCommand(port, {"SET", "doomed", "2"});
  EXPECT_NE(reply, "+OK") << "write acknowledged although its AOF fdatasync failed";
  auto status = redis.Wait(10s);
  ASSERT_TRUE(status.has_value()) << "redis-server kept running\n" << ReadFile(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
  EXPECT_NE(ReadFile(log).find("Can't persist AOF"), std::string::npos) << ReadFile(log);
}

}  // namespace
}  // namespace crashlab::fiu

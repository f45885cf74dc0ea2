// The control protocol drives a mounted crashfs and reports errors on bad input.
#include "faults/crashfs/control.h"

#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "faults/crashfs/test_util.h"
#include "framework/helpers.h"

extern char** environ;

namespace crashlab::crashfs::testing {
namespace {

class ControlTest : public CrashFsTest {
 protected:
  std::string Do(const std::string& cmd) {
    bool quit = false;
    return HandleCommand(*fs_, cmd, &quit);
  }
};

TEST_F(ControlTest, CommandsAndErrors) {
  EXPECT_EQ(Do("ping"), "ok");
  EXPECT_EQ(Do("sync-mode lie"), "ok");
  EXPECT_EQ(fs_->GetSyncMode(), SyncMode::kLie);
  EXPECT_EQ(Do("sync-mode pass"), "ok");
  EXPECT_EQ(Do("sync-mode maybe").rfind("error", 0), 0u);
  EXPECT_EQ(Do("trigger fsync 0 *.db").rfind("error", 0), 0u);
  EXPECT_EQ(Do("trigger frobnicate 1").rfind("error", 0), 0u);
  EXPECT_EQ(Do("bogus").rfind("error", 0), 0u);
  EXPECT_EQ(Do("trigger fsync 1 *.db"), "ok");
  EXPECT_EQ(Do("triggered"), "no");
  EXPECT_EQ(Do("disarm"), "ok");
  WriteFile(M("a.db"), "x", true);
  EXPECT_EQ(Do("triggered"), "no");
  std::string stats = Do("stats");
  ASSERT_EQ(stats.rfind("ok ", 0), 0u);
  auto j = nlohmann::json::parse(stats.substr(3));
  EXPECT_GE(j["fsyncs"].get<int>(), 1);
  std::string cut = Do("power-cut pages seed=5");
  EXPECT_EQ(cut.rfind("ok total_ms=", 0), 0u) << cut;
  EXPECT_FALSE(Exists(M("a.db")));  // created without a directory fsync
  std::string events = Do("events");
  ASSERT_EQ(events.rfind("ok ", 0), 0u);
  auto ev = nlohmann::json::parse(events.substr(3));
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back()["kind"], "power-cut");
  bool saw_create = false;
  for (auto& e : ev) saw_create |= e["kind"] == "create" && e["path"] == "a.db";
  EXPECT_TRUE(saw_create);
  bool quit = false;
  EXPECT_EQ(HandleCommand(*fs_, "quit", &quit), "ok");
  EXPECT_TRUE(quit);
}

TEST_F(ControlTest, SocketRoundTrip) {
  std::string sock = base_ + "/ctl.sock";
  std::atomic<bool> stop{false};
  std::thread server([&] { ServeControlSocket(*fs_, sock, stop); });
  std::string answer;
  for (int i = 0; i < 100; ++i) {
    try {
      answer = SendCommand(sock, "ping");
      break;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(answer, "ok");
  EXPECT_EQ(SendCommand(sock, "freeze"), "ok");
  EXPECT_EQ(SendCommand(sock, "power-cut").rfind("ok", 0), 0u);
  EXPECT_EQ(SendCommand(sock, "quit"), "ok");
  server.join();
}

}  // namespace
}  // namespace crashlab::crashfs::testing

namespace crashlab::crashfs::testing {
namespace {

// The crashfs binary: mount in the foreground, drive it over its socket, quit.
TEST(CrashFsCliTest, MountPowerCutQuit) {
  std::string why = FuseUnavailableReason();
  if (!why.empty()) GTEST_SKIP() << why;
  const TempDir dir("crashfs-cli-");
  const std::string base = dir.path().string();
  std::filesystem::create_directories(base + "/b");
  std::filesystem::create_directories(base + "/m");
  std::string sock = base + "/ctl.sock";
  std::vector<std::string> args = {crashlab::HelperProgram("crashfs").string(),
                                   "mount",
                                   "--control",
                                   sock,
                                   base + "/b",
                                   base + "/m"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  std::string answer;
  for (int i = 0; i < 500 && answer != "ok"; ++i) {
    try {
      answer = SendCommand(sock, "ping");
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_EQ(answer, "ok");
  WriteFile(base + "/m/unsynced", "x", false);
  EXPECT_TRUE(Exists(base + "/m/unsynced"));
  EXPECT_EQ(SendCommand(sock, "power-cut").rfind("ok total_ms=", 0), 0u);
  EXPECT_FALSE(Exists(base + "/m/unsynced"));
  EXPECT_EQ(SendCommand(sock, "quit"), "ok");
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  struct stat m, parent;
  ASSERT_EQ(stat((base + "/m").c_str(), &m), 0);
  ASSERT_EQ(stat(base.c_str(), &parent), 0);
  EXPECT_EQ(m.st_dev, parent.st_dev) << "still mounted";
}

}  // namespace
}  // namespace crashlab::crashfs::testing

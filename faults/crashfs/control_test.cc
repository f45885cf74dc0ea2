// The control protocol drives a mounted crashfs and reports errors on bad input.
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "faults/crashfs/control.h"
#include "faults/crashfs/test_util.h"

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

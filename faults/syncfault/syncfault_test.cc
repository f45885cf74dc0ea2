// Tests of libcrashlab_syncfault.so and its Controller against a probe program and SQLite.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include "faults/syncfault/controller.h"
#include "faults/syncfault/testing/child.h"
#include "framework/process.h"

namespace crashlab::syncfault {
namespace {

using testing::Child;
using testing::ChildOptions;
using testing::CurrentEnv;

// A sync_probe process under the preload, driven line by line.
class SyncFaultTest : public ::testing::Test {
 protected:
  SyncFaultTest() : ctl_(Controller::Create(dir_.path() / "syncfault.ctl")) {}

  std::unique_ptr<Child> StartProbe(bool with_ctl = true) {
    ChildOptions o;
    o.argv = {CRASHLAB_SYNC_PROBE};
    o.env = CurrentEnv();
    if (with_ctl) {
      ctl_.AddToEnv(o.env);
    } else {
      o.env["LD_PRELOAD"] = Controller::PreloadPath();
      o.env.erase("CRASHLAB_SYNCFAULT_CTL");
    }
    o.pipe_stdin = o.pipe_stdout = true;
    auto child = std::make_unique<Child>(o);
    EXPECT_EQ(child->Call("open " + (dir_.path() / "data.db").string()), "ok");
    return child;
  }

  TempDir dir_{"crashlab-syncfault-"};
  Controller ctl_;
};

constexpr std::array<Function, 5> kFdFunctions = {Function::kFsync, Function::kFdatasync,
                                                  Function::kSyncfs, Function::kSyncFileRange,
                                                  Function::kMsync};

TEST_F(SyncFaultTest, PassModeCallsThrough) {
  auto probe = StartProbe();
  for (Function f : kFdFunctions) {
    EXPECT_EQ(probe->Call(FunctionName(f)), "0") << FunctionName(f);
    Counters c = ctl_.counters(f);
    EXPECT_EQ(c.calls, 1u) << FunctionName(f);
    EXPECT_EQ(c.passed, 1u) << FunctionName(f);
    EXPECT_EQ(c.failed + c.lied, 0u) << FunctionName(f);
  }
  EXPECT_EQ(probe->Call("sync"), "done");
  EXPECT_EQ(ctl_.counters(Function::kSync).passed, 1u);
}

TEST_F(SyncFaultTest, WithoutControlFileIsPurePassThrough) {
  ctl_.SetRule(kAllFunctions, Rule::Fail());
  auto probe = StartProbe(/*with_ctl=*/false);
  for (Function f : kFdFunctions) EXPECT_EQ(probe->Call(FunctionName(f)), "0") << FunctionName(f);
  EXPECT_EQ(ctl_.counters(Function::kFsync).calls, 0u);
}

TEST_F(SyncFaultTest, FailModeReturnsTheErrno) {
  ctl_.SetRule(kDataSyncFunctions, Rule::Fail());
  ctl_.SetRule(Function::kFdatasync, Rule::Fail(ENOSPC));
  auto probe = StartProbe();
  for (Function f : kFdFunctions) {
    int expected = f == Function::kFdatasync ? ENOSPC : EIO;
    EXPECT_EQ(probe->Call(FunctionName(f)), "-1 " + std::to_string(expected)) << FunctionName(f);
    Counters c = ctl_.counters(f);
    EXPECT_EQ(c.failed, 1u) << FunctionName(f);
    EXPECT_EQ(c.passed, 0u) << FunctionName(f);
  }
}

TEST_F(SyncFaultTest, LieModeReturnsZeroWithoutSyncing) {
  ctl_.SetRule(kAllFunctions, Rule::Lie());
  auto probe = StartProbe();
  for (Function f : kFdFunctions) {
    EXPECT_EQ(probe->Call(FunctionName(f)), "0") << FunctionName(f);
    Counters c = ctl_.counters(f);
    EXPECT_EQ(c.lied, 1u) << FunctionName(f);
    EXPECT_EQ(c.passed, 0u) << FunctionName(f) << ": the real function was called";
  }
  EXPECT_EQ(probe->Call("sync"), "done");
  EXPECT_EQ(ctl_.counters(Function::kSync).lied, 1u);
  EXPECT_EQ(ctl_.counters(Function::kSync).passed, 0u);
}

TEST_F(SyncFaultTest, OnlyTheKthCallFails) {
  ctl_.SetRule(Function::kFsync, Rule::Fail().OnlyCall(3));
  auto probe = StartProbe();
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(probe->Call("fsync"));
  EXPECT_EQ(got, (std::vector<std::string>{"0", "0", "-1 5", "0", "0"}));
  EXPECT_EQ(ctl_.counters(Function::kFsync).failed, 1u);
  EXPECT_EQ(ctl_.counters(Function::kFsync).passed, 4u);
  // Other functions are not affected by fsync's rule.
  EXPECT_EQ(probe->Call("fdatasync"), "0");
}

TEST_F(SyncFaultTest, FromTheKthCallOnEveryCallFails) {
  ctl_.SetRule(Function::kFdatasync, Rule::Fail().FromCall(2));
  auto probe = StartProbe();
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(probe->Call("fdatasync"));
  EXPECT_EQ(got, (std::vector<std::string>{"0", "-1 5", "-1 5", "-1 5"}));
}

TEST_F(SyncFaultTest, CallIndexRestartsWhenTheRuleIsSet) {
  auto probe = StartProbe();
  EXPECT_EQ(probe->Call("fsync"), "0");
  EXPECT_EQ(probe->Call("fsync"), "0");
  ctl_.SetRule(Function::kFsync, Rule::Fail().OnlyCall(2));
  EXPECT_EQ(probe->Call("fsync"), "0");
  EXPECT_EQ(probe->Call("fsync"), "-1 5");
  EXPECT_EQ(probe->Call("fsync"), "0");
}

TEST_F(SyncFaultTest, PathFilterSelectsFiles) {
  auto probe = StartProbe();
  std::string wal = (dir_.path() / "data.db-wal").string();
  std::string db = (dir_.path() / "data.db").string();

  ctl_.SetRule(kDataSyncFunctions, Rule::Fail().PathGlob("*.db-wal"));
  ASSERT_EQ(probe->Call("open " + db), "ok");
  EXPECT_EQ(probe->Call("fsync"), "0");
  EXPECT_EQ(probe->Call("msync"), "0");
  ASSERT_EQ(probe->Call("open " + wal), "ok");
  EXPECT_EQ(probe->Call("fsync"), "-1 5");
  EXPECT_EQ(probe->Call("msync"), "-1 5") << "msync matches the mapped file's path";

  ctl_.SetRule(kDataSyncFunctions, Rule::Fail(EROFS).PathContains("data.db"));
  EXPECT_EQ(probe->Call("fdatasync"), "-1 30");
  ASSERT_EQ(probe->Call("open " + db), "ok");
  EXPECT_EQ(probe->Call("fdatasync"), "-1 30");

  // The filter counts matching calls only: the 2nd call on the WAL, not the 2nd call.
  ctl_.SetRule(Function::kFsync, Rule::Fail().PathContains("-wal").OnlyCall(2));
  EXPECT_EQ(probe->Call("fsync"), "0");
  EXPECT_EQ(probe->Call("fsync"), "0");
  ASSERT_EQ(probe->Call("open " + wal), "ok");
  EXPECT_EQ(probe->Call("fsync"), "0");
  EXPECT_EQ(probe->Call("fsync"), "-1 5");
  EXPECT_EQ(ctl_.counters(Function::kFsync).matched, 3u);  // 1 earlier + 2 here

  // sync() has no file: a filtered rule never applies to it.
  ctl_.SetRule(Function::kSync, Rule::Lie().PathContains("data"));
  EXPECT_EQ(probe->Call("sync"), "done");
  EXPECT_EQ(ctl_.counters(Function::kSync).passed, 1u);
}

TEST_F(SyncFaultTest, ModeSwitchesWhileTheTargetRuns) {
  auto probe = StartProbe();
  EXPECT_EQ(probe->Call("fdatasync"), "0");
  ctl_.SetRule(Function::kFdatasync, Rule::Fail());
  EXPECT_EQ(probe->Call("fdatasync"), "-1 5");
  ctl_.SetRule(Function::kFdatasync, Rule::Lie());
  EXPECT_EQ(probe->Call("fdatasync"), "0");
  ctl_.PassAll();
  EXPECT_EQ(probe->Call("fdatasync"), "0");
  Counters c = ctl_.counters(Function::kFdatasync);
  EXPECT_EQ(c.calls, 4u);
  EXPECT_EQ(c.passed, 2u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.lied, 1u);
  ctl_.ResetCounters();
  EXPECT_EQ(ctl_.counters(Function::kFdatasync).calls, 0u);
}

// Two processes hammer fdatasync while the rule flips: every call is accounted for once,
// and each reply agrees with the counters (no torn rule is ever applied).
TEST_F(SyncFaultTest, ConcurrentCallsAndRuleChangesStayConsistent) {
  auto a = StartProbe();
  auto b = StartProbe();
  ctl_.ResetCounters();
  // Long enough bursts, and a flipper that sleeps between flips, so that each burst spans
  // many flips even when the 2-core scheduler preempts someone for a whole time slice.
  constexpr int kCalls = 200000;
  ctl_.SetRule(Function::kFdatasync, Rule::Fail(EIO));
  a->Send("burst " + std::to_string(kCalls) + " fdatasync");
  b->Send("burst " + std::to_string(kCalls) + " fdatasync");
  std::atomic<bool> done{false};
  std::thread flipper([&] {
    for (int i = 0; !done.load(); ++i) {
      ctl_.SetRule(Function::kFdatasync, i % 2 ? Rule::Fail(EIO) : Rule::Lie());
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  auto ra = a->ReadLine(std::chrono::seconds(30));
  auto rb = b->ReadLine(std::chrono::seconds(30));
  done = true;
  flipper.join();
  ASSERT_TRUE(ra && rb);
  long zero_a, failed_a, zero_b, failed_b;
  ASSERT_EQ(std::sscanf(ra->c_str(), "zero %ld failed %ld", &zero_a, &failed_a), 2) << *ra;
  ASSERT_EQ(std::sscanf(rb->c_str(), "zero %ld failed %ld", &zero_b, &failed_b), 2) << *rb;
  Counters c = ctl_.counters(Function::kFdatasync);
  EXPECT_EQ(c.calls, 2u * kCalls);
  EXPECT_EQ(c.passed + c.failed + c.lied, c.calls);
  EXPECT_EQ(c.failed, static_cast<uint64_t>(failed_a + failed_b));
  EXPECT_EQ(c.passed + c.lied, static_cast<uint64_t>(zero_a + zero_b));
  EXPECT_GT(c.failed, 0u);
  EXPECT_GT(c.lied, 0u) << "the rule never flipped during the bursts";
  EXPECT_EQ(c.passed, 0u) << "pass was never set, yet a call went through";
}

TEST_F(SyncFaultTest, ControlFileHasTheDocumentedHeader) {
  std::ifstream f(ctl_.path(), std::ios::binary);
  crashlab_syncfault_ctl file{};
  f.read(reinterpret_cast<char*>(&file), sizeof(file));
  ASSERT_EQ(f.gcount(), static_cast<std::streamsize>(sizeof(file)));
  EXPECT_EQ(file.magic, CRASHLAB_SYNCFAULT_MAGIC);
  EXPECT_EQ(file.version, CRASHLAB_SYNCFAULT_VERSION);
  EXPECT_EQ(file.size, CRASHLAB_SYNCFAULT_FILE_SIZE);
  EXPECT_EQ(file.rules[0].mode, CRASHLAB_SYNCFAULT_MODE_PASS);
}

TEST_F(SyncFaultTest, EnvNamesTheLibraryAndTheControlFile) {
  auto env = ctl_.Env();
  EXPECT_EQ(env.at("CRASHLAB_SYNCFAULT_CTL"), ctl_.path().string());
  EXPECT_TRUE(std::filesystem::path(env.at("LD_PRELOAD")).is_absolute());
  EXPECT_TRUE(std::filesystem::exists(env.at("LD_PRELOAD")));
  EXPECT_EQ(env.at("LD_PRELOAD"), ctl_.preload_path().string());
  std::map<std::string, std::string> target_env{{"LD_PRELOAD", "/other.so"}};
  ctl_.AddToEnv(target_env);
  EXPECT_EQ(target_env.at("LD_PRELOAD"), ctl_.preload_path().string() + ":/other.so");

  ::setenv("CRASHLAB_SYNCFAULT_SO", "/opt/x/libcrashlab_syncfault.so", 1);
  EXPECT_EQ(Controller::PreloadPath(), "/opt/x/libcrashlab_syncfault.so");
  ::unsetenv("CRASHLAB_SYNCFAULT_SO");
}

// The target may run as another user, who cannot be assumed to read the build tree:
// the preload it gets is a copy next to the control file, readable by everyone.
TEST_F(SyncFaultTest, PreloadIsACopyNextToTheControlFileReadableByAll) {
  const std::filesystem::path copy = ctl_.preload_path();
  EXPECT_EQ(copy.parent_path(), ctl_.path().parent_path());
  EXPECT_NE(copy.string(), Controller::PreloadPath());
  struct stat st {};
  ASSERT_EQ(::stat(copy.c_str(), &st), 0) << copy;
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  auto bytes = [](const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  EXPECT_EQ(bytes(copy), bytes(Controller::PreloadPath()));
  {
    // Even under a umask that would make it private, and removed with its controller.
    const mode_t old = ::umask(077);
    Controller other = Controller::Create(dir_.path() / "other.ctl");
    ::umask(old);
    ASSERT_EQ(::stat(other.preload_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    EXPECT_NE(other.preload_path(), copy);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "other.ctl.preload.so"));
  EXPECT_TRUE(std::filesystem::exists(copy));
}

TEST_F(SyncFaultTest, AMissingPreloadIsAnError) {
  ::setenv("CRASHLAB_SYNCFAULT_SO", (dir_.path() / "no-such.so").c_str(), 1);
  EXPECT_THROW(Controller::Create(dir_.path() / "x.ctl"), std::system_error);
  ::unsetenv("CRASHLAB_SYNCFAULT_SO");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "x.ctl"));
}

TEST_F(SyncFaultTest, RejectsAFilterThatDoesNotFit) {
  EXPECT_THROW(ctl_.SetRule(Function::kFsync, Rule::Fail().PathContains(std::string(300, 'a'))),
               std::invalid_argument);
}

// The preload must not export anything a target could resolve by accident.
TEST(SyncFaultLibrary, ExportsOnlyTheInterposedFunctions) {
  TempDir dir("crashlab-syncfault-");
  std::string out = (dir.path() / "nm.txt").string();
  ChildOptions o;
  o.argv = {"nm", "-D", "--defined-only", Controller::PreloadPath()};
  o.env = CurrentEnv();
  o.output_file = out;
  Child nm(o);
  auto status = nm.Wait(std::chrono::seconds(20));
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) == 127) {
    GTEST_SKIP() << "nm (binutils) is not available";
  }
  std::ifstream f(out);
  std::set<std::string> exported;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream fields(line);
    std::string addr, type, name;
    fields >> addr >> type >> name;
    if (type == "T" || type == "W" || type == "D" || type == "B") exported.insert(name);
  }
  EXPECT_EQ(exported, (std::set<std::string>{"fdatasync", "fsync", "msync", "sync",
                                             "sync_file_range", "syncfs"}));
}

// An sqlite_probe under the preload, one SQL statement per call.
class SqliteUnderSyncFault : public SyncFaultTest {
 protected:
  std::unique_ptr<Child> StartSqlite(const std::string& journal_mode) {
    ChildOptions o;
    o.argv = {CRASHLAB_SQLITE_PROBE, (dir_.path() / ("test-" + journal_mode + ".db")).string()};
    o.env = CurrentEnv();
    ctl_.AddToEnv(o.env);
    o.pipe_stdin = o.pipe_stdout = true;
    auto child = std::make_unique<Child>(o);
    EXPECT_EQ(child->Call("PRAGMA journal_mode=" + journal_mode), "ok");
    EXPECT_EQ(child->Call("PRAGMA synchronous=FULL"), "ok");
    EXPECT_EQ(child->Call("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"), "ok");
    return child;
  }
};

// SQLite syncs with fdatasync; a failure there must surface as SQLITE_IOERR_FSYNC.
TEST_F(SqliteUnderSyncFault, FailingFdatasyncGivesDiskIoErrorOnCommit) {
  for (const std::string mode : {"delete", "wal"}) {
    SCOPED_TRACE(mode);
    auto db = StartSqlite(mode);
    ASSERT_EQ(db->Call("INSERT INTO t VALUES (1, 'acked')"), "ok");
    ctl_.SetRule(Function::kFdatasync, Rule::Fail());
    std::string reply = db->Call("INSERT INTO t VALUES (2, 'must fail')");
    // 1034 = SQLITE_IOERR_FSYNC (primary code 10, SQLITE_IOERR).
    EXPECT_EQ(reply, "error 1034 disk I/O error");
    EXPECT_GE(ctl_.counters(Function::kFdatasync).failed, 1u);
    ctl_.PassAll();
  }
}

// Failing fsync alone has no effect on SQLite, which is worth knowing when writing faults.
TEST_F(SqliteUnderSyncFault, FailingOnlyFsyncDoesNotAffectSqlite) {
  auto db = StartSqlite("delete");
  ctl_.SetRule(Function::kFsync, Rule::Fail());
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (1, 'x')"), "ok");
  EXPECT_EQ(ctl_.counters(Function::kFsync).failed, 0u);
  EXPECT_GE(ctl_.counters(Function::kFdatasync).passed, 1u);
}

// Lying fdatasync lets commits succeed while nothing is synced (what a power cut exploits).
TEST_F(SqliteUnderSyncFault, LyingFdatasyncAcknowledgesCommits) {
  auto db = StartSqlite("wal");
  ctl_.ResetCounters();  // setup synced for real
  ctl_.SetRule(Function::kFdatasync, Rule::Lie());
  EXPECT_EQ(db->Call("INSERT INTO t VALUES (1, 'x')"), "ok");
  EXPECT_GE(ctl_.counters(Function::kFdatasync).lied, 1u);
  EXPECT_EQ(ctl_.counters(Function::kFdatasync).passed, 0u);
}

}  // namespace
}  // namespace crashlab::syncfault

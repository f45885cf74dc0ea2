// PostgreSQL (the server FindPgBin finds) under libcrashlab_syncfault.so: runs cleanly,
// PANICs on sync failure, recovers.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
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

#include "faults/syncfault/controller.h"
#include "faults/syncfault/testing/child.h"
#include "framework/process.h"
#include "workloads/postgres/pg_bin.h"

namespace crashlab::syncfault {
namespace {

using namespace std::chrono_literals;
using testing::Child;
using testing::ChildOptions;
using testing::CurrentEnv;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

// Runs one statement; "" on success, else the error text (a dropped connection included).
std::string Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  std::string err;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    err = PQerrorMessage(c);
    if (err.empty()) err = "failed";
  }
  PQclear(r);
  return err;
}

// A throwaway cluster owned by user postgres in a temp dir; the postmaster is our child.
class PostgresUnderSyncFault : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      pg_bin_ = postgres::FindPgBin();
    } catch (const std::exception& e) {
      GTEST_SKIP() << e.what();
    }
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) GTEST_SKIP() << "no user 'postgres' to run the server as";
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the server as user postgres";
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    dir_ = std::make_unique<TempDir>("crashlab-syncfault-pg-");
    data_ = dir_->path() / "data";
    sock_ = dir_->path() / "sock";
    log_ = dir_->path() / "postgres.log";
    std::filesystem::create_directory(sock_);
    for (const auto& p : {dir_->path(), sock_}) ASSERT_EQ(::chown(p.c_str(), uid_, gid_), 0);
    ctl_ = std::make_unique<Controller>(Controller::Create(dir_->path() / "syncfault.ctl"));
    port_ = crashlab::FreeLoopbackPort();

    ChildOptions o = PgOptions();
    o.argv = {(pg_bin_ / "initdb").string(),
              "-D",
              data_.string(),
              "-A",
              "trust",
              "-U",
              "postgres",
              "--no-sync",
              "-E",
              "UTF8",
              "--locale=C"};
    o.output_file = (dir_->path() / "initdb.log").string();
    Child initdb(o);
    auto status = initdb.Wait(60s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << ReadFile(o.output_file);
  }

  void TearDown() override {
    StopServer();
    ctl_.reset();
    dir_.reset();
  }

  ChildOptions PgOptions() {
    ChildOptions o;
    o.env = CurrentEnv();
    o.env.erase("LD_PRELOAD");
    o.uid = uid_;
    o.gid = gid_;
    o.cwd = dir_->path().string();
    return o;
  }

  std::string ConnInfo() const {
    return "host=" + sock_.string() + " port=" + std::to_string(port_) +
           " user=postgres dbname=postgres connect_timeout=5";
  }

  // Starts the postmaster under the preload and waits for a real libpq ping.
  void StartServer() {
    ChildOptions o = PgOptions();
    ctl_->AddToEnv(o.env);
    o.argv = {(pg_bin_ / "postgres").string(), "-D", data_.string(), "-p", std::to_string(port_),
              "-k", sock_.string(), "-c", "listen_addresses=127.0.0.1",
              // DSM in the data dir: a killed cluster leaves nothing in /dev/shm.
              "-c", "dynamic_shared_memory_type=mmap"};
    o.output_file = log_.string();
    server_ = std::make_unique<Child>(o);
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(ConnInfo().c_str()) == PQPING_OK) return;
      ASSERT_TRUE(server_->Running()) << "postgres exited during startup:\n" << ReadFile(log_);
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "postgres not ready after 30 s:\n" << ReadFile(log_);
  }

  // Fast shutdown (SIGINT), then SIGKILL of the whole group if it does not stop.
  std::optional<int> StopServer() {
    if (!server_) return std::nullopt;
    server_->Signal(SIGINT);
    auto status = server_->Wait(20s);
    server_->KillAndReap();
    server_.reset();
    return status;
  }

  PgConn Connect() {
    PgConn c(PQconnectdb(ConnInfo().c_str()));
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
    return c;
  }

  bool WaitForLog(const std::string& needle, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ReadFile(log_).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  std::unique_ptr<TempDir> dir_;
  std::filesystem::path pg_bin_, data_, sock_, log_;
  std::unique_ptr<Controller> ctl_;
  std::unique_ptr<Child> server_;
};

// libfiu's posix preload segfaults PostgreSQL 15; ours must not disturb it in pass mode.
TEST_F(PostgresUnderSyncFault, RunsCleanlyInPassMode) {
  StartServer();
  {
    PgConn c = Connect();
    ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(k int PRIMARY KEY, v text)"), "");
    for (int k = 1; k <= 20; ++k) {
      ASSERT_EQ(Exec(c.get(), "INSERT INTO t VALUES (" + std::to_string(k) + ", 'v')"), "");
    }
    ASSERT_EQ(Exec(c.get(), "CHECKPOINT"), "");
  }
  // Each commit syncs the WAL (fdatasync by default on Linux); CHECKPOINT fsyncs files.
  EXPECT_GE(ctl_->counters(Function::kFdatasync).passed, 20u);
  EXPECT_GE(ctl_->counters(Function::kFsync).passed, 1u);
  auto status = StopServer();
  ASSERT_TRUE(status.has_value()) << "postgres did not stop on SIGINT";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadFile(log_);
  std::string log = ReadFile(log_);
  EXPECT_EQ(log.find("terminated by signal"), std::string::npos) << log;
  EXPECT_EQ(log.find("PANIC"), std::string::npos) << log;
}

// The fsyncgate contract: a failed WAL sync must PANIC, never be retried and acknowledged.
TEST_F(PostgresUnderSyncFault, FailingSyncPanicsAndRecoversAfterRestart) {
  StartServer();
  {
    PgConn c = Connect();
    ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(k int PRIMARY KEY, v text)"), "");
    for (int k = 1; k <= 10; ++k) {
      ASSERT_EQ(Exec(c.get(), "INSERT INTO t VALUES (" + std::to_string(k) + ", 'acked')"), "");
    }
    ctl_->SetRule({Function::kFsync, Function::kFdatasync}, Rule::Fail(EIO));
    std::string err = Exec(c.get(), "INSERT INTO t VALUES (11, 'in doubt')");
    EXPECT_NE(err, "") << "commit was acknowledged although its WAL sync failed";
    RecordProperty("commit_error", err);
  }
  EXPECT_TRUE(WaitForLog("PANIC", 10s)) << ReadFile(log_);
  EXPECT_GE(ctl_->counters(Function::kFdatasync).failed + ctl_->counters(Function::kFsync).failed,
            1u);

  // Heal, then restart: SIGQUIT is an immediate shutdown whether the postmaster is
  // still looping through crash recovery or has already given up.
  ctl_->PassAll();
  if (server_->Running()) server_->Signal(SIGQUIT);
  ASSERT_TRUE(server_->Wait(20s).has_value() || !server_->Running());
  server_->KillAndReap();
  server_.reset();

  StartServer();
  PgConn c = Connect();
  PGresult* r = PQexec(c.get(), "SELECT count(*) FILTER (WHERE k <= 10), count(*) FROM t");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c.get());
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)), "10") << "acknowledged rows lost";
  // Row 11 is in doubt: its WAL reached the page cache before the sync failed, so it
  // may or may not be there after recovery; either is correct.
  int total = std::stoi(PQgetvalue(r, 0, 1));
  EXPECT_TRUE(total == 10 || total == 11) << total;
  RecordProperty("in_doubt_row_present", total == 11 ? "yes" : "no");
  PQclear(r);
}

// A build tree the server's user cannot read (a checkout under a 0700 /root): ld.so
// would skip the preload with a warning and the server would run without the fault.
// The controller hands the server a copy next to the control file instead.
TEST_F(PostgresUnderSyncFault, PreloadFromAPrivateBuildTreeStillApplies) {
  TempDir private_tree("crashlab-syncfault-private");
  ASSERT_EQ(::chmod(private_tree.path().c_str(), 0700), 0);
  const std::filesystem::path lib = private_tree.path() / "libcrashlab_syncfault.so";
  std::filesystem::copy_file(Controller::PreloadPath(), lib);
  ::setenv("CRASHLAB_SYNCFAULT_SO", lib.c_str(), 1);
  ctl_.reset();
  ctl_ = std::make_unique<Controller>(Controller::Create(dir_->path() / "syncfault.ctl"));
  ::unsetenv("CRASHLAB_SYNCFAULT_SO");
  StartServer();
  {
    PgConn c = Connect();
    ASSERT_EQ(Exec(c.get(), "CREATE TABLE t(k int PRIMARY KEY)"), "");
    for (int k = 1; k <= 5; ++k) {
      ASSERT_EQ(Exec(c.get(), "INSERT INTO t VALUES (" + std::to_string(k) + ")"), "");
    }
  }
  EXPECT_GE(ctl_->counters(Function::kFdatasync).passed, 5u)
      << "the server did not load the preload:\n"
      << ReadFile(log_);
  EXPECT_EQ(ReadFile(log_).find("cannot be preloaded"), std::string::npos) << ReadFile(log_);
}

}  // namespace
}  // namespace crashlab::syncfault

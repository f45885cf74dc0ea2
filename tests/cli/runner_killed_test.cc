// A run cannot outlive its runner: `crashlab run` SIGKILLed in the middle of a PostgreSQL,
// a crashfs and a container scenario leaves, after at most 10 s, no process, mount,
// container cgroup, IPC segment or work dir of that run, and `crashlab clean` has nothing
// to do. And no open door: another local user cannot connect to the run's PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "framework/process.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// What the run's record named while it ran (read by the test, not by crashlab's code).
struct Named {
  std::vector<std::string> dirs, cgroups;
  std::vector<std::pair<int, long long>> segments;
};

fs::path OnlyRecord(const fs::path& state) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(state, ec)) return e.path();
  return {};
}

Named ReadNamed(const fs::path& record) {
  Named n;
  std::istringstream in(Slurp(record / "resources"));
  std::string kind, value;
  while (std::getline(in, kind, '\t') && std::getline(in, value)) {
    if (kind == "dir" || kind == "keep-dir") n.dirs.push_back(value);
    if (kind == "cgroup") n.cgroups.push_back(value);
    if (kind == "shm") {
      std::istringstream v(value);
      int id;
      long long key;
      if (v >> id >> key) n.segments.emplace_back(id, key);
    }
  }
  return n;
}

// pid -> start time of every live (non-zombie) process.
std::map<pid_t, std::string> Processes() {
  std::map<pid_t, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const std::string stat = Slurp(e.path() / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || stat.size() < close + 3 || stat[close + 2] == 'Z') continue;
    out[std::stoi(name)] = stat.substr(close + 2);
  }
  return out;
}

pid_t ParentOf(const std::string& fields_after_comm) {
  std::istringstream in(fields_after_comm);
  std::string state;
  pid_t ppid = 0;
  in >> state >> ppid;
  return ppid;
}

// The runner's descendants (children, grandchildren ...), with their stat lines.
std::map<pid_t, std::string> Descendants(pid_t root) {
  const auto all = Processes();
  std::map<pid_t, std::string> out;
  std::set<pid_t> frontier = {root};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [pid, stat] : all) {
      if (!out.count(pid) && frontier.count(ParentOf(stat))) {
        out[pid] = stat;
        frontier.insert(pid);
        grew = true;
      }
    }
  }
  return out;
}

// Everything of the run still there, one line each ("" when nothing is).
std::string Remains(const Named& n, const std::map<pid_t, std::string>& descendants,
                    const fs::path& record) {
  std::string left;
  const auto now = Processes();
  for (const auto& [pid, stat] : descendants) {
    auto it = now.find(pid);
    // The same pid with the same stat prefix up to the start time is the same process.
    if (it != now.end()) {
      std::istringstream a(stat), b(it->second);
      std::string fa, fb;
      bool same = true;
      for (int i = 3; i <= 22 && (a >> fa) && (b >> fb); ++i) {
        if (i == 22) same = fa == fb;
      }
      if (same)
        left += "process " + std::to_string(pid) + " " +
                Slurp("/proc/" + std::to_string(pid) + "/comm");
    }
  }
  const std::string mounts = Slurp("/proc/self/mountinfo");
  for (const auto& d : n.dirs) {
    if (mounts.find(" " + d + "/") != std::string::npos ||
        mounts.find(" " + d + " ") != std::string::npos)
      left += "mount under " + d + "\n";
    std::error_code ec;
    if (fs::exists(d, ec)) left += "dir " + d + "\n";
    for (const auto& [pid, stat] : now) {
      char buf[4096];
      const ssize_t len =
          ::readlink(("/proc/" + std::to_string(pid) + "/cwd").c_str(), buf, sizeof buf - 1);
      if (len > 0 && std::string(buf, static_cast<size_t>(len)).rfind(d, 0) == 0)
        left += "process " + std::to_string(pid) + " works in " + d + "\n";
    }
  }
  std::error_code ec;
  for (const auto& c : n.cgroups) {
    for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      if (fs::exists(h.path() / c, ec)) left += "cgroup " + (h.path() / c).string() + "\n";
    }
  }
  for (const auto& [id, key] : n.segments) {
    struct shmid_ds ds {};
    if (::shmctl(id, IPC_STAT, &ds) == 0 && static_cast<long long>(ds.shm_perm.__key) == key)
      left += "shm segment " + std::to_string(id) + "\n";
  }
  if (fs::exists(record, ec)) left += "record " + record.string() + "\n";
  return left;
}

std::string CliOutput(const std::vector<std::string>& args, const fs::path& state,
                      const fs::path& log, int* code) {
  ProcessOptions o;
  o.argv = {CRASHLAB_CLI};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = {{"CRASHLAB_STATE_DIR", state.string()}};
  o.log = log;
  std::error_code ec;
  fs::remove(log, ec);
  Process p = Process::Spawn(o);
  EXPECT_TRUE(p.WaitFor(Millis(60000)));
  *code = WIFEXITED(p.raw_status()) ? WEXITSTATUS(p.raw_status()) : -1;
  return Slurp(log);
}

// A started run: the CLI, its private state dir and its report dir.
class LiveRun {
 public:
  LiveRun(const std::string& scenario, const fs::path& dir) : dir_(dir) {
    state_ = dir / "state";
    ProcessOptions o;
    o.argv = {CRASHLAB_CLI, "run", scenario,   "--cycles",
              "100000",     "-q",  "--report", (dir / "report").string()};
    o.env = {{"CRASHLAB_STATE_DIR", state_.string()}};
    o.log = dir / "run.log";
    cli_ = Process::Spawn(o);
  }
  // Waits until the first cycle completed (history.jsonl has records); false on timeout.
  bool WaitMidRun(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      std::error_code ec;
      if (fs::file_size(dir_ / "report" / "history.jsonl", ec) > 0 && !ec) return true;
      if (!cli_.Running()) return false;
      std::this_thread::sleep_for(Millis(50));
    }
    return false;
  }
  Process& cli() { return cli_; }
  const fs::path& state() const { return state_; }
  std::string Log() const { return TailFile(dir_ / "run.log", 30); }

 private:
  fs::path dir_, state_;
  Process cli_;
};

// Why `scenario` cannot run here ("" if it can), as `crashlab run --dry-run` says.
std::string CannotRun(const std::string& scenario, const fs::path& dir) {
  ProcessOptions o;
  o.argv = {CRASHLAB_CLI, "run", scenario, "--dry-run"};
  o.log = dir / "dry.log";
  Process p = Process::Spawn(o);
  if (!p.WaitFor(Millis(60000))) return "crashlab run --dry-run did not finish";
  const std::string out = Slurp(o.log);
  const auto at = out.find("cannot run here");
  return at == std::string::npos ? "" : out.substr(at);
}

class RunnerKilled : public ::testing::TestWithParam<std::string> {};

TEST_P(RunnerKilled, NothingOfTheRunRemainsAfterTenSeconds) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (the scenarios mount FUSE or drop to postgres)";
  TempDir dir("runner-killed-test-");
  if (const std::string why = CannotRun(GetParam(), dir.path()); !why.empty()) GTEST_SKIP() << why;
  LiveRun run(GetParam(), dir.path());
  ASSERT_TRUE(run.WaitMidRun(Millis(180000))) << run.Log();
  const fs::path record = OnlyRecord(run.state());
  ASSERT_FALSE(record.empty()) << "no run record under " << run.state();
  const Named named = ReadNamed(record);
  ASSERT_FALSE(named.dirs.empty()) << Slurp(record / "resources");
  const auto descendants = Descendants(run.cli().pid());
  ASSERT_FALSE(descendants.empty());

  const auto killed_at = Clock::now();
  run.cli().Signal(SIGKILL);  // the runner only, as `kill -9 $!` does
  ASSERT_TRUE(run.cli().WaitFor(Millis(5000)));
  std::string left;
  do {
    std::this_thread::sleep_for(Millis(100));
    left = Remains(named, descendants, record);
  } while (!left.empty() && Clock::now() - killed_at < Millis(10000));
  const double secs = std::chrono::duration<double>(Clock::now() - killed_at).count();
  EXPECT_EQ(left, "") << "after " << secs << " s";
  std::printf(
      "%s: %zu descendant process(es), %zu dir(s), %zu cgroup name(s), %zu shm "
      "segment(s); all gone %.2f s after the runner's SIGKILL\n",
      GetParam().c_str(), descendants.size(), named.dirs.size(), named.cgroups.size(),
      named.segments.size(), secs);

  int code = 0;
  const std::string clean = CliOutput({"clean"}, run.state(), dir.path() / "clean.log", &code);
  EXPECT_EQ(code, 0) << clean;
  EXPECT_NE(clean.find("nothing to clean"), std::string::npos) << clean;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, RunnerKilled,
                         ::testing::Values("postgres-kill", "sqlite-powercut", "postgres-powercut",
                                           "sqlite-container-restart"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// `crashlab clean` never touches a live run's resources.
TEST(Clean, LeavesALiveRunAlone) {
  TempDir dir("runner-killed-test-");
  LiveRun run("sqlite-kill", dir.path());
  ASSERT_TRUE(run.WaitMidRun(Millis(60000))) << run.Log();
  const fs::path record = OnlyRecord(run.state());
  ASSERT_FALSE(record.empty());
  const Named named = ReadNamed(record);
  int code = 0;
  const std::string out = CliOutput({"clean"}, run.state(), dir.path() / "clean.log", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("nothing to clean"), std::string::npos) << out;
  for (const auto& d : named.dirs) EXPECT_TRUE(fs::exists(d)) << d;
  EXPECT_TRUE(run.cli().Running()) << run.Log();
  run.cli().Signal(SIGINT);
  ASSERT_TRUE(run.cli().WaitFor(Millis(20000)));
}

// No open door: during a postgres-kill run, user nobody gets no session over TCP (the
// run's random scram-sha-256 password) nor over the socket (a 0700 directory).
TEST(NoOpenDoor, NobodyCannotConnectToTheRunsPostgres) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (su nobody)";
  if (!ProgramOnPath("psql") || !ProgramOnPath("su")) GTEST_SKIP() << "psql or su is missing";
  TempDir dir("runner-killed-test-");
  if (const std::string why = CannotRun("postgres-kill", dir.path()); !why.empty())
    GTEST_SKIP() << why;
  ::chmod(dir.path().c_str(), 0755);
  LiveRun run("postgres-kill", dir.path());
  ASSERT_TRUE(run.WaitMidRun(Millis(60000))) << run.Log();
  const Named named = ReadNamed(OnlyRecord(run.state()));
  ASSERT_FALSE(named.dirs.empty());
  const fs::path data = fs::path(named.dirs.front()) / "pg" / "data";
  std::istringstream pidfile(Slurp(data / "postmaster.pid"));
  std::string line, port, sockdir;
  for (int i = 1; std::getline(pidfile, line); ++i) {
    if (i == 4) port = line;
    if (i == 5) sockdir = line;
  }
  ASSERT_FALSE(port.empty());
  for (const std::string& host : {std::string("127.0.0.1"), sockdir}) {
    ProcessOptions o;
    o.argv = {"su", "nobody",
              "-s", "/bin/sh",
              "-c", "psql -h " + host + " -p " + port + " -U postgres -c \"select 1\""};
    o.log = dir.path() / (host == "127.0.0.1" ? "psql-tcp.log" : "psql-socket.log");
    Process p = Process::Spawn(o);
    ASSERT_TRUE(p.WaitFor(Millis(20000)));
    const std::string out = Slurp(o.log);
    EXPECT_FALSE(WIFEXITED(p.raw_status()) && WEXITSTATUS(p.raw_status()) == 0)
        << "nobody connected via " << host << ": " << out;
    EXPECT_EQ(out.find("(1 row)"), std::string::npos) << out;
    std::printf("nobody via %s: %s", host.c_str(), out.c_str());
  }
  // Work dir and report dir are not world-writable.
  for (const auto& d : {fs::path(named.dirs.front()), dir.path() / "report"}) {
    struct stat st {};
    ASSERT_EQ(::stat(d.c_str(), &st), 0) << d;
    EXPECT_EQ(st.st_mode & S_IWOTH, 0u) << d;
  }
  run.cli().Signal(SIGINT);
  ASSERT_TRUE(run.cli().WaitFor(Millis(20000)));
}

}  // namespace
}  // namespace crashlab

// End-to-end tests of the crashlab CLI: the "must show" lines, exit codes, bad
// input, replayable schedules, and Ctrl-C leaving nothing behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "framework/process.h"

namespace crashlab {
namespace {

using nlohmann::json;

struct Result {
  int code;
  std::string out;
};

Result Cli(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  ProcessOptions o;
  o.argv = {CRASHLAB_CLI};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log = dir / "cli.log";
  o.cwd = dir;
  std::filesystem::remove(o.log);
  Process p = Process::Spawn(o);
  EXPECT_TRUE(p.WaitFor(Millis(240000)));
  std::ifstream in(o.log);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(p.raw_status()) ? WEXITSTATUS(p.raw_status()) : -1, ss.str()};
}

json ReadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { supervisor::Init(); }
  TempDir dir_{"cli-test-"};
};

TEST_F(CliTest, HelpOnEverySubcommand) {
  for (const auto& sub : std::vector<std::vector<std::string>>{{"--help"},
                                                               {"run", "--help"},
                                                               {"list", "--help"},
                                                               {"doctor", "--help"},
                                                               {"clean", "--help"},
                                                               {"describe", "--help"}}) {
    const Result r = Cli(sub, dir_.path());
    EXPECT_EQ(r.code, 0) << sub[0] << r.out;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
}

TEST_F(CliTest, ListShowsSqliteKill) {
  const Result r = Cli({"list"}, dir_.path());
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("sqlite-kill"), std::string::npos) << r.out;
}

TEST_F(CliTest, ListHasEveryStoreFaultPairAndTodaysNames) {
  const Result r = Cli({"list"}, dir_.path());
  for (const char* name : {"postgres-pause",
                           "redis-pause",
                           "redis-crashpoints",
                           "postgres-crashpoints",
                           "sqlite-kill",
                           "sqlite-pause",
                           "sqlite-powercut",
                           "sqlite-crashpoints",
                           "sqlite-fsync-eio",
                           "sqlite-enospc",
                           "postgres-kill",
                           "postgres-powercut",
                           "postgres-fsync-eio",
                           "redis-kill",
                           "redis-powercut",
                           "redis-fsync-eio",
                           "sqlite-container-restart",
                           "postgres-container-restart",
                           "redis-container-restart",
                           "sqlite-multi-container"}) {
    EXPECT_NE(r.out.find(std::string("\n") + name + " "), std::string::npos) << name << "\n"
                                                                             << r.out;
  }
  EXPECT_EQ(r.out.find("postgres-enospc"), std::string::npos)
      << "PostgreSQL cannot run under fiu-run";
  EXPECT_EQ(r.out.find("seed 0"), std::string::npos) << "descriptions say what a scenario does";
}

// Every shipped spec file names registered stores, faults and knobs.
TEST_F(CliTest, EveryShippedSpecFileIsValid) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(CRASHLAB_SPECS_DIR)) {
    if (e.path().extension() != ".toml") continue;
    ++n;
    const Result r = Cli({"run", "-f", e.path().string(), "--dry-run"}, dir_.path());
    EXPECT_EQ(r.code, 0) << e.path() << ": " << r.out;
    EXPECT_NE(r.out.find("scenario  "), std::string::npos) << r.out;
  }
  EXPECT_GE(n, 5u);
}

// A spec mixing kill, pause and power cut: valid, and every fault fired (report.json).
TEST_F(CliTest, SpecFileMixesFaultsAcrossCycles) {
  if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0)
    GTEST_SKIP() << "crashfs needs root and /dev/fuse";
  const auto report = dir_.path() / "mixed";
  const Result r = Cli({"run", "-f", std::string(CRASHLAB_SPECS_DIR) + "/sqlite-chaos.toml",
                        "--cycles", "9", "--report", report.string()},
                       dir_.path());
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = ReadJson(report / "report.json");
  EXPECT_EQ(j["verdict"], "valid");
  EXPECT_EQ(j["faults_fired"], json({{"kill", 3}, {"pause", 3}, {"powercut", 3}}))
      << j["faults_fired"];
  EXPECT_EQ(j["config"]["spec_file"], std::string(CRASHLAB_SPECS_DIR) + "/sqlite-chaos.toml");
}

// Mixing must not dilute detection: SQLite with synchronous=OFF loses acknowledged
// commits in the power-cut cycles of a kill/pause/power-cut mix.
TEST_F(CliTest, MixedFaultsStillCatchLoss) {
  if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0)
    GTEST_SKIP() << "crashfs needs root and /dev/fuse";
  const auto report = dir_.path() / "lossy";
  const Result r =
      Cli({"run", "sqlite-powercut", "--set", "fault=kill,pause,powercut", "--set",
           "synchronous=off", "--cycles", "9", "--keep-going", "--report", report.string()},
          dir_.path());
  EXPECT_EQ(r.code, 1) << r.out;
  const json j = ReadJson(report / "report.json");
  EXPECT_EQ(j["verdict"], "invalid");
  EXPECT_GT(j["anomalies"].value("lost", 0), 0) << j["anomalies"];
}

TEST_F(CliTest, SpecFileErrorsNameFileLineAndKey) {
  const auto spec = dir_.path() / "typo.toml";
  std::ofstream(spec) << "scenario = \"sqlite-kill\"\ncycles = 3\n[knobs]\nsynchronus = \"full\"\n";
  Result r = Cli({"run", "-f", spec.string()}, dir_.path());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(spec.string() + ":4: unknown knob 'synchronus'"), std::string::npos)
      << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  std::ofstream(spec) << "scenario = \"sqlite-kill\"\nwrokers = 2\n";
  r = Cli({"run", "-f", spec.string()}, dir_.path());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(spec.string() + ":2: unknown key 'wrokers'"), std::string::npos) << r.out;
  std::ofstream(spec) << "scenario = \"sqlite-kill\"\n[knobs]\nsynchronous = \"sometimes\"\n";
  r = Cli({"run", "-f", spec.string()}, dir_.path());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(spec.string() + ":3: bad value 'sometimes' for synchronous"),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, DoctorReports) {
  const Result r = Cli({"doctor"}, dir_.path());
  EXPECT_NE(r.out.find("sqlite-kill"), std::string::npos) << r.out;
  // Exit 1 exactly when a registered scenario is blocked (a CI gate), else 0.
  const bool blocked = r.out.find("  blocked  ") != std::string::npos;
  EXPECT_EQ(r.code, blocked ? 1 : 0) << r.out;
}

// Bad input: a clear one-line error and exit code 2.
TEST_F(CliTest, BadInputIsExitTwoWithOneLine) {
  std::ofstream(dir_.path() / "a-file") << "x";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "no-such"}, "unknown scenario 'no-such'"},
      {{"run", "sqlite-kill", "--set", "nope=1"}, "unknown knob 'nope'"},
      {{"run", "sqlite-kill", "--set", "synchronous=sometimes"},
       "bad value 'sometimes' for synchronous"},
      {{"run", "sqlite-kill", "--set", "novalue"}, "--set expects KEY=VALUE"},
      {{"run", "sqlite-kill", "--cycles", "many"}, "--cycles"},
      {{"run", "sqlite-kill", "--report", (dir_.path() / "a-file" / "sub").string()},
       "not writable"},
      {{"frobnicate"}, "frobnicate"},
      {{"run", "sqlite-kill", "--seed", "-1"}, "seed must be an integer"},
      {{"run", "sqlite-kill", "--seed", "18446744073709551616"}, "overflows"},
      {{"run", "sqlite-kill", "--seed", "abc"}, "seed must be an integer"},
      {{"run", "sqlite-kill", "--duration", "nan"}, "--duration must be a finite"},
      {{"run", "sqlite-kill", "--duration", "inf"}, "--duration must be a finite"},
      {{"run", "sqlite-kill", "--set", "synchronous=full", "--set", "synchronous=off"},
       "--set synchronous given twice"},
      {{"run", "sqlite-kill", "--set", "synchronous=full\nextra"}, "line break"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = Cli(args, dir_.path());
    EXPECT_EQ(r.code, 2) << args.back() << ": " << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  if (::geteuid() != 0) {
    std::filesystem::create_directories(dir_.path() / "ro");
    std::filesystem::permissions(dir_.path() / "ro", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_exec);
    const Result r =
        Cli({"run", "sqlite-kill", "--report", (dir_.path() / "ro").string()}, dir_.path());
    EXPECT_EQ(r.code, 2) << r.out;
  }
}

// The must-show: 50 cycles, seed 7, valid, > 1000 acknowledged, no anomaly; the
// same seed fires the same op-based schedule again.
TEST_F(CliTest, SqliteKillFiftyCyclesValidAndReplayable) {
  std::vector<std::vector<uint64_t>> schedules;
  for (const char* rep : {"r1", "r2"}) {
    const auto report = dir_.path() / rep;
    const Result r =
        Cli({"run", "sqlite-kill", "--cycles", "50", "--seed", "7", "--report", report.string()},
            dir_.path());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("VALID"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find((report / "report.json").string()), std::string::npos) << r.out;
    const json j = ReadJson(report / "report.json");
    EXPECT_EQ(j["verdict"], "valid");
    EXPECT_EQ(j["cycles"], 50);
    EXPECT_EQ(j["scenario"], "sqlite-kill");
    EXPECT_EQ(j["seed"], 7);
    EXPECT_GT(j["ops"]["ok"].get<uint64_t>(), 1000u);
    for (const char* k : {"lost", "phantom", "invariant"}) EXPECT_EQ(j["anomalies"][k], 0) << k;
    EXPECT_TRUE(j["recovery_ms"].contains("p50"));
    EXPECT_GT(j["recovery_ms"]["max"].get<double>(), 0);
    EXPECT_TRUE(j["config"].contains("synchronous"));
    std::vector<uint64_t> s;
    for (const auto& f : j["faults"]) {
      EXPECT_EQ(f["trigger"], "ops");
      EXPECT_EQ(f["fault"], "sigkill");
      EXPECT_GE(f["acked_before"].get<uint64_t>(), f["after_ops"].get<uint64_t>());
      s.push_back(f["after_ops"]);
    }
    EXPECT_EQ(s.size(), 50u);
    schedules.push_back(s);
    EXPECT_TRUE(std::filesystem::exists(report / "junit.xml"));
    {
      std::ifstream html(report / "report.html");
      std::stringstream page;
      page << html.rdbuf();
      EXPECT_NE(page.str().find("<svg"), std::string::npos) << "report.html has no plot";
      // A band's title names its cycles ("cycle 50: ..." or, merged, "cycles 48-50: ...").
      EXPECT_NE(page.str().find("50: sigkill at "), std::string::npos)
          << "no fault window for cycle 50";
    }
    EXPECT_TRUE(std::filesystem::exists(report / "history.jsonl"));
  }
  EXPECT_EQ(schedules[0], schedules[1]);
}

// Ctrl-C (SIGINT) or a CI timeout (SIGTERM) in the middle of a run: exit 130 / 143, no
// process the run started is left, and the report of the completed cycles is written
// (verdict unknown, "interrupted": "<signal>").
class Interrupt : public CliTest, public ::testing::WithParamInterface<int> {};

TEST_P(Interrupt, LeavesNothingAliveAndAReport) {
  const int sig = GetParam();
  ProcessOptions o;
  o.argv = {CRASHLAB_CLI, "run",      "sqlite-kill",
            "--cycles",   "100000",   "--workers",
            "3",          "--report", (dir_.path() / "rep").string()};
  o.log = dir_.path() / "int.log";
  o.env = {{"TMPDIR", dir_.path().string()}};
  Process p = Process::Spawn(o);
  // Wait until a cycle completed (history.jsonl is written after each).
  const auto deadline = Clock::now() + Millis(20000);
  std::error_code ec;
  while (Clock::now() < deadline &&
         !(std::filesystem::file_size(dir_.path() / "rep" / "history.jsonl", ec) > 0 && !ec)) {
    std::this_thread::sleep_for(Millis(20));
  }
  std::vector<pid_t> agents;
  std::ifstream in("/proc/" + std::to_string(p.pid()) + "/task/" + std::to_string(p.pid()) +
                   "/children");
  pid_t c;
  while (in >> c) agents.push_back(c);
  ASSERT_FALSE(agents.empty()) << TailFile(o.log);
  p.Signal(sig);
  ASSERT_TRUE(p.WaitFor(Millis(10000)));
  EXPECT_EQ(WEXITSTATUS(p.raw_status()), 128 + sig) << TailFile(o.log);
  for (pid_t a : agents) {
    // Either gone, or recycled by an unrelated process (not one of ours).
    if (!PidGone(a)) {
      std::ifstream cmd("/proc/" + std::to_string(a) + "/cmdline");
      std::string s;
      std::getline(cmd, s);
      EXPECT_EQ(s.find("crashlab-sqlite-agent"), std::string::npos) << "agent " << a << " survived";
    }
  }
  // The run's work dir (under TMPDIR) is gone too.
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(e.path().filename().string().rfind("crashlab-sqlite-kill-", 0), std::string::npos)
        << e.path() << " left behind";
  }
  const json j = ReadJson(dir_.path() / "rep" / "report.json");
  EXPECT_EQ(j["verdict"], "unknown");
  EXPECT_EQ(j["interrupted"], sig == SIGINT ? "SIGINT" : "SIGTERM");
  EXPECT_GE(j["cycles"].get<int>(), 1);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "rep" / "junit.xml"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "rep" / "report.html"));
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                           return info.param == SIGINT ? "SIGINT" : "SIGTERM";
                         });

// A missing prerequisite still leaves a report: verdict unknown with the reason, and a
// skipped JUnit test case.
TEST_F(CliTest, MissingPrerequisiteLeavesASkippedReport) {
  const auto rep = dir_.path() / "rep";
  ProcessOptions o;  // no helper dir: the SQLite agent is missing, so sqlite-kill cannot run
  o.argv = {CRASHLAB_CLI, "run", "sqlite-kill", "--report", rep.string()};
  o.env = {{"CRASHLAB_LIBEXEC_DIR", "/nonexistent/crashlab/libexec"}};
  o.log = dir_.path() / "prereq.log";
  Process p = Process::Spawn(o);
  ASSERT_TRUE(p.WaitFor(Millis(60000)));
  const std::string out = TailFile(o.log);
  EXPECT_EQ(WEXITSTATUS(p.raw_status()), 2) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  const json j = ReadJson(rep / "report.json");
  EXPECT_EQ(j["verdict"], "unknown");
  EXPECT_NE(j["skipped"].get<std::string>().find("/nonexistent/crashlab/libexec"),
            std::string::npos)
      << j.dump();
  std::ifstream x(rep / "junit.xml");
  std::stringstream xml;
  xml << x.rdbuf();
  EXPECT_NE(xml.str().find("<skipped"), std::string::npos) << xml.str();
}

// A run that completed no cycle proves nothing: verdict unknown, exit 1, and why.
TEST_F(CliTest, NoCompletedCycleIsNotValid) {
  const auto rep = dir_.path() / "rep";
  const Result r = Cli(
      {"run", "sqlite-kill", "--cycles", "0", "--duration", "0.000001", "--report", rep.string()},
      dir_.path());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("UNKNOWN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no crash cycle completed"), std::string::npos) << r.out;
  EXPECT_EQ(ReadJson(rep / "report.json")["verdict"], "unknown");
}

// Report dirs: the default one is unique even for the same scenario and seed in the same
// second; an explicit one that holds a report is refused unless --force.
TEST_F(CliTest, ReportDirsDoNotCollide) {
  std::vector<Process> runs;
  for (int i = 0; i < 3; ++i) {
    ProcessOptions o;
    o.argv = {CRASHLAB_CLI, "run", "sqlite-kill", "--cycles", "1", "--seed", "5", "-q"};
    o.cwd = dir_.path();
    runs.push_back(Process::Spawn(o));
  }
  for (auto& p : runs) ASSERT_TRUE(p.WaitFor(Millis(60000)));
  size_t reports = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "reports")) {
    EXPECT_TRUE(std::filesystem::exists(e.path() / "report.json")) << e.path();
    ++reports;
  }
  EXPECT_EQ(reports, 3u);
  const auto rep = dir_.path() / "explicit";
  ASSERT_EQ(
      Cli({"run", "sqlite-kill", "--cycles", "1", "--report", rep.string()}, dir_.path()).code, 0);
  const Result again =
      Cli({"run", "sqlite-kill", "--cycles", "1", "--report", rep.string()}, dir_.path());
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_NE(again.out.find("already holds a report"), std::string::npos) << again.out;
  EXPECT_EQ(
      Cli({"run", "sqlite-kill", "--cycles", "1", "--report", rep.string(), "--force"}, dir_.path())
          .code,
      0);
}

}  // namespace
}  // namespace crashlab

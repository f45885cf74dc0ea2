// What the CLI prints for people and for programs: --json on list, describe, doctor,
// run and report (pure JSON on stdout), progress with the time left on a terminal and
// nothing but the summary off one, NO_COLOR, `crashlab report DIR`, bash completion
// generated from the CLI definition.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/process.h"
#include "framework/run_command.h"

namespace crashlab {
namespace {

using nlohmann::json;

CommandResult Crashlab(std::vector<std::string> args,
                       const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), CRASHLAB_CLI);
  return RunCommand(args, Millis(240000), env);
}

json StdoutJson(const CommandResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not pure JSON:\n" << r.out << r.err;
  return j;
}

// Runs the CLI on a pseudo-terminal (stdout and stderr both) and returns all it wrote.
std::string OnTerminal(const std::vector<std::string>& args) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    std::vector<char*> argv;
    std::string cli = CRASHLAB_CLI;
    argv.push_back(cli.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::unsetenv("NO_COLOR");
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) break;
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child is gone
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

class CliOutputTest : public ::testing::Test {
 protected:
  void SetUp() override { supervisor::Init(); }
  TempDir dir_{"cli-output-test-"};
};

TEST_F(CliOutputTest, ListDescribeDoctorJson) {
  const CommandResult list = Crashlab({"list", "--json"});
  ASSERT_TRUE(list.ok()) << list.err;
  const json l = StdoutJson(list);
  ASSERT_TRUE(l.is_array());
  EXPECT_GT(l.size(), 10u);
  bool kill = false;
  for (const auto& s : l) kill = kill || s["name"] == "sqlite-kill";
  EXPECT_TRUE(kill) << l;
  const json d = StdoutJson(Crashlab({"describe", "sqlite-kill", "--json"}));
  EXPECT_EQ(d["name"], "sqlite-kill");
  EXPECT_EQ(d["store"], "sqlite");
  bool synchronous = false;
  for (const auto& k : d["knobs"]) synchronous = synchronous || k["name"] == "synchronous";
  EXPECT_TRUE(synchronous) << d;
  const CommandResult doc = Crashlab({"doctor", "--json"});
  const json j = StdoutJson(doc);
  EXPECT_EQ(j["scenarios"].size(), l.size());
  bool blocked = false;
  for (const auto& s : j["scenarios"]) blocked = blocked || !s["ready"].get<bool>();
  EXPECT_EQ(doc.exit_code, blocked ? 1 : 0);
}

// Off a terminal: the run prints report.json on stdout and nothing else; `crashlab report`
// re-renders the page and prints the same summary.
TEST_F(CliOutputTest, RunJsonIsReportJsonAndReportReRenders) {
  const auto rep = dir_.path() / "rep";
  const CommandResult r =
      Crashlab({"run", "sqlite-kill", "--cycles", "3", "--json", "--report", rep.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = StdoutJson(r);
  EXPECT_EQ(j["verdict"], "valid");
  EXPECT_EQ(j, json::parse(std::ifstream(rep / "report.json")));
  EXPECT_EQ(r.err, "") << "off a terminal nothing but the summary";
  std::filesystem::remove(rep / "report.html");
  const CommandResult again = Crashlab({"report", rep.string()}, {{"NO_COLOR", "1"}});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("VALID"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("\033["), std::string::npos) << "colour despite NO_COLOR";
  EXPECT_TRUE(std::filesystem::exists(rep / "report.html"));
  EXPECT_TRUE(std::filesystem::exists(rep / "run.log"));
  const CommandResult bad = Crashlab({"report", dir_.path().string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no report.json"), std::string::npos) << bad.err;
}

// On a terminal, a --duration run says how much time is left, not "cycle 5/0".
TEST_F(CliOutputTest, DurationProgressShowsTimeLeftOnATerminal) {
  const std::string out = OnTerminal(
      {"run", "sqlite-kill", "--duration", "2", "--report", (dir_.path() / "d").string()});
  EXPECT_NE(out.find(" s left"), std::string::npos) << out;
  EXPECT_EQ(out.find("/0 "), std::string::npos) << out;
  EXPECT_NE(out.find("VALID"), std::string::npos) << out;
  EXPECT_NE(out.find("\033[1;32m"), std::string::npos) << "no colour on a terminal";
}

TEST_F(CliOutputTest, BashCompletionComesFromTheCliDefinition) {
  if (!RunCommand({"bash", "--version"}, Millis(10000)).ok()) GTEST_SKIP() << "no bash";
  const CommandResult script = Crashlab({"completion", "bash"});
  ASSERT_TRUE(script.ok()) << script.err;
  const auto path = dir_.path() / "crashlab.bash";
  std::ofstream(path) << script.out;
  const auto complete = [&](const std::string& words, int cword) {
    const CommandResult r = RunCommand(
        {"bash", "-c",
         "source " + path.string() + "; COMP_WORDS=(" + words +
             "); COMP_CWORD=" + std::to_string(cword) + "; _crashlab; echo \"${COMPREPLY[*]}\""},
        Millis(10000));
    EXPECT_TRUE(r.ok()) << r.err;
    return r.out;
  };
  EXPECT_NE(complete("crashlab re", 1).find("report"), std::string::npos);
  EXPECT_NE(complete("crashlab run --cy", 2).find("--cycles"), std::string::npos);
  EXPECT_NE(complete("crashlab run sqlite-k", 2).find("sqlite-kill"), std::string::npos);
  EXPECT_NE(complete("crashlab describe --j", 2).find("--json"), std::string::npos);
  const CommandResult zsh = Crashlab({"completion", "zsh"});
  EXPECT_NE(zsh.out.find("#compdef crashlab"), std::string::npos);
  EXPECT_NE(zsh.out.find("'--cycles["), std::string::npos);
}

}  // namespace
}  // namespace crashlab

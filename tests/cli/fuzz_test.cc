// A seeded random-input test of the CLI's argument parsing and of spec-file parsing, run
// in-process (tools::Main with a hook that stops before acting): no crash, no exception
// escapes, and every rejection is exit 2 with exactly one line on stderr.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "framework/process.h"
#include "framework/scenario.h"
#include "framework/spec_file.h"
#include "tools/cli.h"

namespace crashlab {
namespace {

// How many inputs: $CRASHLAB_FUZZ_INPUTS (the nightly runs more), else 100k.
size_t Inputs() {
  const char* n = std::getenv("CRASHLAB_FUZZ_INPUTS");
  return n && *n ? std::strtoull(n, nullptr, 10) : 100000;
}

// Tokens that mean something to the parser, and bytes that should mean nothing.
const std::vector<std::string> kTokens = {"run",
                                          "list",
                                          "describe",
                                          "doctor",
                                          "clean",
                                          "--help",
                                          "--seed",
                                          "--cycles",
                                          "--duration",
                                          "--workers",
                                          "--set",
                                          "--report",
                                          "--force",
                                          "-f",
                                          "--file",
                                          "--dry-run",
                                          "-q",
                                          "--keep-going",
                                          "sqlite-kill",
                                          "postgres-kill",
                                          "redis-kill",
                                          "sqlite-powercut",
                                          "0",
                                          "1",
                                          "-1",
                                          "18446744073709551615",
                                          "18446744073709551616",
                                          "0x10",
                                          "0xffffffffffffffff",
                                          "0x1ffffffffffffffff",
                                          "nan",
                                          "inf",
                                          "-inf",
                                          "1e400",
                                          "0.000001",
                                          "abc",
                                          "",
                                          "synchronous=full",
                                          "synchronous=normal",
                                          "schedule=ops:5",
                                          "schedule=time:1-2",
                                          "workers=3",
                                          "fault=kill,pause",
                                          "x=1\ny",
                                          "storage=tmpfs",
                                          "=",
                                          "synchronous=",
                                          "\x1b[31m",
                                          "\xff\xfe",
                                          "--set=a=b",
                                          "--version",
                                          "--help-all"};

std::string RandomBytes(std::mt19937_64& rng, size_t max) {
  std::string s(rng() % (max + 1), '\0');
  for (auto& c : s) c = static_cast<char>(rng() % 256);
  return s;
}

std::string Mutate(std::mt19937_64& rng, std::string s) {
  switch (rng() % 6) {
    case 0:
      return s;
    case 1:
      return RandomBytes(rng, 12);
    case 2:
      if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng() % 256);
      return s;
    case 3:
      return s + kTokens[rng() % kTokens.size()];
    case 4:
      return s.substr(0, s.empty() ? 0 : rng() % s.size());
    default:
      return "--" + s;
  }
}

// Captures std::cout and std::cerr for one call.
struct Captured {
  int code = 0;
  std::string err;
};

class Redirect {
 public:
  Redirect() : out_(std::cout.rdbuf(sink_.rdbuf())), err_(std::cerr.rdbuf(errors_.rdbuf())) {}
  ~Redirect() {
    std::cout.rdbuf(out_);
    std::cerr.rdbuf(err_);
  }
  std::string TakeErrors() {
    std::string e = errors_.str();
    errors_.str("");
    sink_.str("");
    return e;
  }

 private:
  std::ostringstream sink_, errors_;
  std::streambuf* out_;
  std::streambuf* err_;
};

Captured RunCli(std::vector<std::string> args, Redirect& r) {
  args.insert(args.begin(), "crashlab");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Captured c;
  c.code = tools::Main(static_cast<int>(args.size()), argv.data(),
                       [](const std::string&, const ScenarioRequest&) { return 0; });
  c.err = r.TakeErrors();
  return c;
}

std::string Show(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    s += " '";
    for (unsigned char c : a) s += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
    s += "'";
  }
  return s;
}

TEST(CliFuzz, RandomArgumentsAreAcceptedOrRejectedWithOneLine) {
  TempDir state("crashlab-fuzz-state-");
  ::setenv("CRASHLAB_STATE_DIR", state.path().c_str(), 1);  // `clean` could find nothing
  std::mt19937_64 rng(20261201);
  const size_t n = Inputs();
  size_t accepted = 0, rejected = 0;
  Redirect r;
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> args;
    const size_t len = rng() % 7;
    for (size_t k = 0; k < len; ++k) args.push_back(Mutate(rng, kTokens[rng() % kTokens.size()]));
    Captured c;
    try {
      c = RunCli(args, r);
    } catch (const std::exception& e) {
      r.TakeErrors();
      FAIL() << "exception escaped for" << Show(args) << ": " << e.what();
    }
    if (c.code == 0) {
      ++accepted;
      continue;
    }
    ++rejected;
    ASSERT_EQ(c.code, 2) << Show(args) << ": " << c.err;
    ASSERT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << Show(args) << ": " << c.err;
  }
  std::cout << "cli fuzz: " << n << " inputs, " << accepted << " accepted, " << rejected
            << " rejected\n";
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

// The cases the issue names, kept as regression cases: exit 2 and one line each.
TEST(CliFuzz, StrictValuesAreRejected) {
  Redirect r;
  const std::vector<std::vector<std::string>> bad = {
      {"run", "sqlite-kill", "--seed", "-1"},
      {"run", "sqlite-kill", "--seed", "18446744073709551616"},
      {"run", "sqlite-kill", "--seed", "0x1ffffffffffffffff"},
      {"run", "sqlite-kill", "--seed", "abc"},
      {"run", "sqlite-kill", "--seed", ""},
      {"run", "sqlite-kill", "--duration", "nan"},
      {"run", "sqlite-kill", "--duration", "inf"},
      {"run", "sqlite-kill", "--set", "synchronous=full", "--set", "synchronous=normal"},
      {"run", "sqlite-kill", "--set", "synchronous=full\nx"},
  };
  for (const auto& args : bad) {
    const Captured c = RunCli(args, r);
    EXPECT_EQ(c.code, 2) << Show(args) << ": " << c.err;
    EXPECT_EQ(std::count(c.err.begin(), c.err.end(), '\n'), 1) << Show(args) << ": " << c.err;
  }
  for (const auto& seed : {"0", "18446744073709551615", "0xffffffffffffffff", "0x0"}) {
    const Captured c = RunCli({"run", "sqlite-kill", "--seed", seed}, r);
    EXPECT_EQ(c.code, 0) << seed << ": " << c.err;
  }
  EXPECT_EQ(ParseSeed("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(ParseSeed("42"), 42u);
}

TEST(SpecFuzz, RandomSpecFilesAreAcceptedOrUsageErrors) {
  TempDir dir("crashlab-fuzz-spec-");
  const std::vector<std::string> lines = {"scenario = \"sqlite-kill\"",
                                          "store = \"sqlite\"",
                                          "fault = \"kill\"",
                                          "fault = [\"kill\", \"pause\"]",
                                          "cycles = 3",
                                          "cycles = -3",
                                          "seed = 7",
                                          "seed = 18446744073709551615",
                                          "duration_s = nan",
                                          "duration_s = inf",
                                          "workers = 0",
                                          "[knobs]",
                                          "synchronous = \"full\"",
                                          "synchronous = 3",
                                          "description = \"x\"",
                                          "[[x]]",
                                          "a.b.c = 1",
                                          "\"\\u0000\" = 1",
                                          "knobs = 5",
                                          "cycles = \"3\""};
  std::mt19937_64 rng(1201);
  const size_t n = std::max<size_t>(1, Inputs() / 20);
  const auto file = dir.path() / "spec.toml";
  size_t accepted = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string text;
    const size_t len = rng() % 8;
    for (size_t k = 0; k < len; ++k) {
      const std::string& line = lines[rng() % lines.size()];
      text += (rng() % 2 ? line : Mutate(rng, line)) + "\n";
    }
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << text;
    }
    try {
      ScenarioRequest req = LoadSpecFile(file);
      (void)Resolve(req);
      ++accepted;
    } catch (const UsageError&) {
      // the CLI prints it on one line (BadInputIsExitTwoWithOneLine, the test above)
    } catch (const std::exception& e) {
      FAIL() << "not a UsageError (" << e.what() << ") for:\n" << text;
    }
  }
  std::cout << "spec fuzz: " << n << " files, " << accepted << " accepted\n";
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace crashlab

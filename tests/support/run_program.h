// For end-to-end tests: run a program to its end and keep its exit code and output.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "framework/process.h"

namespace crashlab::testing {

struct ProgramResult {
  int code;         // exit code (-1 if killed by a signal)
  std::string out;  // stdout and stderr, interleaved
};

// Runs `argv` in `dir` (output in dir/program.log); fails the test if it does not end
// within `timeout_s`.
inline ProgramResult RunProgram(const std::vector<std::string>& argv,
                                const std::filesystem::path& dir, int timeout_s = 600) {
  ProcessOptions o;
  o.argv = argv;
  o.log = dir / "program.log";
  o.cwd = dir;
  std::filesystem::remove(o.log);
  Process p = Process::Spawn(o);
  EXPECT_TRUE(p.WaitFor(Millis(timeout_s * 1000)))
      << argv.front() << " did not end in " << timeout_s << " s";
  std::ifstream in(o.log);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(p.raw_status()) ? WEXITSTATUS(p.raw_status()) : -1, ss.str()};
}

}  // namespace crashlab::testing

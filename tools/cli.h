// The crashlab command line as a function (tools/crashlab_main.cc), so that tests can drive
// its parsing in-process.
#pragma once

#include <functional>
#include <string>

#include "framework/scenario.h"

namespace crashlab::tools {

// Called with the command ("list", "describe", "run", "doctor", "clean") and, for run, the
// validated request, instead of acting on it; returns the exit code. For tests of the
// parsing alone (no run, no doctor, nothing cleaned).
using CommandHook = std::function<int(const std::string& command, const ScenarioRequest& req)>;

// Parses argv and runs the command; returns the process exit code (0 valid, 1 invalid or
// unknown, 2 usage or setup error, 128+signal interrupted). Bad input prints one line on
// stderr and returns 2.
int Main(int argc, char** argv, const CommandHook& hook = {});

}  // namespace crashlab::tools

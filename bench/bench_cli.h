// `crashlab bench ...`: options, the run, the outputs. Returns the process exit code.
#pragma once

namespace crashlab::bench {
int Main(int argc, char** argv);  // argv[0] is "bench"
}

// `crashlab nightly ...`: one shard of the nightly run. Returns the exit code.
#pragma once

namespace crashlab::nightly {
int Main(int argc, char** argv);  // argv[0] is "nightly"
}

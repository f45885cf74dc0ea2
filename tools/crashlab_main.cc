// crashlab: the command line — list, describe, run, doctor and clean (tools/cli.cc).
#include "tools/cli.h"

int main(int argc, char** argv) { return crashlab::tools::Main(argc, argv); }

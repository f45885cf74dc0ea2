// Spec files: a scenario run written down (FoundationDB keeps its tests this way), e.g.
//   scenario = "sqlite-powercut"     # a preset or <store>-<fault>; or store = "sqlite"
//   fault = ["kill", "pause", "powercut"]
//   workload = "ledger"
//   storage = "crashfs"
//   schedule = "ops:20-200"
//   cycles = 30
//   workers = 2
//   seed = 5
//   [knobs]
//   synchronous = "full"
#pragma once

#include <filesystem>

#include "framework/scenario.h"

namespace crashlab {

// Reads a spec file into a request and validates it against the registry. Throws
// UsageError "FILE:LINE: ..." naming the key for unknown keys, wrong types, bad values
// and unknown scenarios, stores or faults.
ScenarioRequest LoadSpecFile(const std::filesystem::path& file);

// Where `key` (a top-level key or a [knobs] key) is set in `file`: "FILE:LINE", or
// "FILE" if it is not. For errors found after loading (a command-line override).
std::string SpecLocation(const std::filesystem::path& file, const std::string& key);

}  // namespace crashlab

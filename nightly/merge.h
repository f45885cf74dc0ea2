// `crashlab report merge`: one summary over the shards of a night, and what changed
// against the previous night's summary.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace crashlab::nightly {

struct MergeRequest {
  std::vector<std::filesystem::path> dirs;  // shard output dirs (each with shard.json)
  std::filesystem::path previous;           // a previous summary.json (optional)
  std::filesystem::path out;
};

// Reads the shards, writes OUT/summary.json, OUT/summary.html and OUT/junit.xml; returns
// the summary. Throws std::invalid_argument for a missing or malformed shard.json, and
// when two shards ran the same entry.
nlohmann::json Merge(const MergeRequest& req);

int MergeMain(int argc, char** argv);  // argv[0] is "merge"

}  // namespace crashlab::nightly

// Running one shard of the nightly plan within a time budget, and its summary.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "nightly/plan.h"

namespace crashlab::nightly {

struct ShardRequest {
  PlanOptions plan;
  int shard = 1, shards = 1;  // K of N, K in 1..N
  double budget_s = 0;
  std::filesystem::path out;
  std::string command_line;
};

// What one entry did.
struct Outcome {
  Entry entry;
  std::string verdict;  // valid | invalid | unknown | skipped | error
  std::string reason;   // why skipped, the error, or the findings
  double budget_s = 0, wall_s = 0;
  uint32_t cycles = 0;
  uint64_t ok = 0, fail = 0, unknown = 0;
  double ops_per_s = 0, recovery_p50_ms = 0;
  std::string replay, report_dir;
};

// Runs the shard's entries one after another, each with its share of what is left of the
// budget (so an entry that overran is paid for by the ones after it), and writes
// OUT/shard.json. `log` gets one line per entry. Throws Interrupted on SIGINT/SIGTERM
// after writing what was done.
std::vector<Outcome> RunShard(const ShardRequest& req,
                              const std::function<void(const std::string&)>& log);

// "K/N" -> (K, N); throws std::invalid_argument.
std::pair<int, int> ParseShard(const std::string& s);

}  // namespace crashlab::nightly

// The nightly plan: every scenario the registry offers here, in the configurations that
// matter, plus the spec files; a seed per entry derived from the date and its name (a
// night replays exactly, and every night brings new seeds); and a deterministic, balanced
// assignment to N shards (shard K of N is the same set on every machine).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace crashlab::nightly {

struct Entry {
  std::string id;        // "sqlite-kill", "sqlite-kill[storage=tmpfs]", "spec:sqlite-chaos"
  std::string scenario;  // the registry's name ("" for a spec file)
  std::filesystem::path spec_file;         // a spec file's path
  std::map<std::string, std::string> set;  // knobs of this configuration
  double weight = 1;  // expected cost relative to a local scenario (engine start-up, ...)
  uint64_t seed = 0;
};

struct PlanOptions {
  std::string date;                        // YYYY-MM-DD
  std::vector<std::string> only, exclude;  // globs over Entry::id (* and ?)
  std::filesystem::path specs_dir;         // spec files (*.toml) to include; empty: none
};

// The entries in id order (the order every machine sees).
std::vector<Entry> Enumerate(const PlanOptions& options);

// FNV-1a of "date/id", mixed: the entry's seed for that night.
uint64_t SeedFor(const std::string& date, const std::string& id);

// Assigns entries to `shards` shards: heaviest first, each to the lightest shard so far
// (ties: the lower shard, then id order). Returns each shard's entry indexes, in id order.
std::vector<std::vector<size_t>> Shard(const std::vector<Entry>& entries, int shards);

// Seconds for each of `entries` (indexes into `all`) out of `budget_s`, by weight.
std::vector<double> Budgets(const std::vector<Entry>& all, const std::vector<size_t>& entries,
                            double budget_s);

// Shell-style match of `name` against `pattern` (* any run, ? one character).
bool GlobMatch(const std::string& pattern, const std::string& name);

// "YYYY-MM-DD" for today (UTC); throws std::invalid_argument for a malformed `date`.
std::string Today();
void CheckDate(const std::string& date);

}  // namespace crashlab::nightly

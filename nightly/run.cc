#include "nightly/run.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/process.h"
#include "framework/scenario.h"
#include "framework/spec_file.h"
#include "framework/version.h"

namespace crashlab::nightly {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string DirName(const std::string& id) {
  std::string d = id;
  for (char& c : d) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '=') c = '_';
  }
  return d;
}

ScenarioRequest RequestFor(const Entry& e, double seconds, const std::filesystem::path& dir) {
  ScenarioRequest r = e.spec_file.empty() ? ScenarioRequest{} : LoadSpecFile(e.spec_file);
  if (e.spec_file.empty()) r.scenario = e.scenario;
  for (const auto& [k, v] : e.set) r.set[k] = v;
  r.seed = e.seed;
  r.cycles = 0;  // as many as fit
  r.duration_s = std::max(0.001, seconds);
  r.keep_going = true;
  r.report_dir = dir;
  return r;
}

Outcome RunEntry(const Entry& e, double seconds, const std::filesystem::path& out) {
  Outcome o;
  o.entry = e;
  o.budget_s = seconds;
  o.report_dir = (out / DirName(e.id)).string();
  const auto t0 = Clock::now();
  try {
    const ScenarioRequest req = RequestFor(e, seconds, o.report_dir);
    const ResolvedRequest resolved = Resolve(req);
    if (std::string why = MissingPrerequisite(resolved); !why.empty()) {
      o.verdict = "skipped";
      o.reason = why;
      return o;
    }
    const RunReport r = RunScenario(req);
    o.verdict = std::string(ToString(r.verdict));
    o.cycles = r.cycles;
    o.ok = r.ok;
    o.fail = r.fail;
    o.unknown = r.unknown;
    o.ops_per_s = r.ops_per_s;
    o.recovery_p50_ms = r.recovery_p50_ms;
    o.replay = r.replay;
    for (const auto& [kind, n] : r.anomaly_counts) {
      if (n > 0) o.reason += (o.reason.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
    }
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e2) {
    o.verdict = "error";
    o.reason = e2.what();
  }
  o.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return o;
}

json ToJson(const Outcome& o) {
  return {{"id", o.entry.id},
          {"scenario", o.entry.scenario},
          {"spec_file", o.entry.spec_file.string()},
          {"set", o.entry.set},
          {"seed", o.entry.seed},
          {"weight", o.entry.weight},
          {"verdict", o.verdict},
          {"reason", o.reason},
          {"budget_s", o.budget_s},
          {"wall_s", o.wall_s},
          {"cycles", o.cycles},
          {"ops", {{"ok", o.ok}, {"fail", o.fail}, {"unknown", o.unknown}}},
          {"ops_per_s", o.ops_per_s},
          {"recovery_p50_ms", o.recovery_p50_ms},
          {"replay", o.replay},
          {"report_dir", o.report_dir}};
}

void WriteShardJson(const ShardRequest& req, const std::vector<Outcome>& done, double wall_s,
                    bool complete) {
  json entries = json::array();
  for (const auto& o : done) entries.push_back(ToJson(o));
  const json j = {
      {"crashlab_version", kVersion}, {"date", req.plan.date},       {"shard", req.shard},
      {"shards", req.shards},         {"budget_s", req.budget_s},    {"wall_s", wall_s},
      {"complete", complete},         {"command", req.command_line}, {"entries", entries}};
  std::ofstream f(req.out / "shard.json");
  f << j.dump(1) << "\n";
}

}  // namespace

std::pair<int, int> ParseShard(const std::string& s) {
  const std::invalid_argument bad("--shard must be K/N with 1 <= K <= N, got '" + s + "'");
  const auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) throw bad;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != slash && !std::isdigit(static_cast<unsigned char>(s[i]))) throw bad;
  }
  if (slash > 6 || s.size() - slash - 1 > 6) throw bad;
  const int k = std::stoi(s.substr(0, slash)), n = std::stoi(s.substr(slash + 1));
  if (n < 1 || k < 1 || k > n) throw bad;
  return {k, n};
}

std::vector<Outcome> RunShard(const ShardRequest& req,
                              const std::function<void(const std::string&)>& log) {
  const auto all = Enumerate(req.plan);
  const auto mine = Shard(all, req.shards)[static_cast<size_t>(req.shard - 1)];
  std::filesystem::create_directories(req.out);
  const auto start = Clock::now();
  std::vector<Outcome> done;
  double weight_left = 0;
  for (size_t i : mine) weight_left += all[i].weight;
  for (size_t i : mine) {
    const double used = std::chrono::duration<double>(Clock::now() - start).count();
    // Each entry's own setup and teardown (about 1 s) come out of its share.
    const double share = (req.budget_s - used) * all[i].weight / weight_left - 1.0;
    weight_left -= all[i].weight;
    try {
      if (share < 1.0) {
        Outcome o;
        o.entry = all[i];
        o.verdict = "skipped";
        o.reason = "no budget left (" + std::to_string(req.budget_s) + " s spent)";
        done.push_back(o);
      } else {
        done.push_back(RunEntry(all[i], share, req.out));
      }
    } catch (const Interrupted&) {
      WriteShardJson(req, done, std::chrono::duration<double>(Clock::now() - start).count(), false);
      throw;
    }
    const Outcome& o = done.back();
    log(o.entry.id + ": " + o.verdict + (o.reason.empty() ? "" : " (" + o.reason + ")") + " in " +
        std::to_string(static_cast<int>(o.wall_s + 0.5)) + " s");
    WriteShardJson(req, done, std::chrono::duration<double>(Clock::now() - start).count(), false);
  }
  WriteShardJson(req, done, std::chrono::duration<double>(Clock::now() - start).count(), true);
  return done;
}

}  // namespace crashlab::nightly

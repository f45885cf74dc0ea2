// Does `crashlab bench` agree with the stores' own tools? (issue 12, Performance)
// The same server (started once by crashlab from the registry), the same statement and
// concurrency, measured alternately A B A B:
//   postgres: crashlab bench's insert workload vs `pgbench -n -M prepared` running the
//             same single-row INSERT into the same table (mean latency);
//   redis:    crashlab bench's insert workload (SET) vs `redis-benchmark -t set -P 1`
//             (mean, p50, p99).
// Usage: bench_agreement postgres|redis [--clients 1,8,50] [--duration S] [--rounds R]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "framework/capabilities.h"
#include "framework/process.h"
#include "framework/run_command.h"

namespace {

using crashlab::bench::BenchRequest;

struct Figures {
  double mean_us = 0, p50_us = 0, p99_us = 0, ops_s = 0;
};

std::string RunTool(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
                    const std::filesystem::path& dir) {
  crashlab::ProcessOptions o;
  o.argv = std::move(argv);
  for (const auto& [k, v] : env) o.env[k] = v;
  o.log = dir / "tool.log";
  std::filesystem::remove(o.log);
  crashlab::Process p = crashlab::Process::Spawn(o);
  p.WaitFor(crashlab::Millis(600000));
  std::ifstream in(o.log);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Figures Pgbench(int clients, double duration, const std::map<std::string, std::string>& env,
                const std::filesystem::path& dir) {
  // Keys below 2^40 never meet crashlab's (worker + 1) << 40 | seq.
  std::ofstream(dir / "insert.sql") << "\\set id random(1, 1000000000000)\n"
                                       "INSERT INTO orders(id, amount) VALUES (:id, 100);\n";
  const std::string out =
      RunTool({"pgbench", "-n", "-M", "prepared", "-c", std::to_string(clients), "-j",
               std::to_string(std::min(clients, 2)), "-T",
               std::to_string(static_cast<int>(duration)), "-f", (dir / "insert.sql").string()},
              env, dir);
  std::smatch m;
  Figures f;
  if (std::regex_search(out, m, std::regex("latency average = ([0-9.]+) ms")))
    f.mean_us = std::stod(m[1]) * 1e3;
  if (std::regex_search(out, m, std::regex("tps = ([0-9.]+)"))) f.ops_s = std::stod(m[1]);
  if (f.mean_us == 0) std::fprintf(stderr, "pgbench: %s\n", out.c_str());
  return f;
}

Figures RedisBenchmark(int clients, uint64_t requests,
                       const std::map<std::string, std::string>& env,
                       const std::filesystem::path& dir) {
  // redis-benchmark takes the password on its command line only (-a); loopback, short-lived.
  const std::string out =
      RunTool({"redis-benchmark", "-h", env.at("REDIS_HOST"), "-p", env.at("REDIS_PORT"), "-a",
               env.at("REDISCLI_AUTH"), "-t", "set", "-P", "1", "-c", std::to_string(clients), "-n",
               std::to_string(requests), "--csv"},
              {}, dir);
  std::smatch m;
  Figures f;
  if (std::regex_search(out, m,
                        std::regex("\"SET\",\"([0-9.]+)\",\"([0-9.]+)\",\"[0-9.]+\",\"([0-9.]+)\","
                                   "\"[0-9.]+\",\"([0-9.]+)\""))) {
    f.ops_s = std::stod(m[1]);
    f.mean_us = std::stod(m[2]) * 1e3;
    f.p50_us = std::stod(m[3]) * 1e3;
    f.p99_us = std::stod(m[4]) * 1e3;
  } else {
    std::fprintf(stderr, "redis-benchmark: %s\n", out.c_str());
  }
  return f;
}

Figures Crashlab(crashlab::BuiltScenario& b, const BenchRequest& req, int clients) {
  const crashlab::bench::Repetition r = crashlab::bench::MeasureOn(b, req, clients, 7);
  return {r.hist.Mean() / 1e3, static_cast<double>(r.hist.Percentile(50)) / 1e3,
          static_cast<double>(r.hist.Percentile(99)) / 1e3, r.OpsPerSec()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: bench_agreement postgres|redis [--clients 1,8,50] [--duration S] [--rounds R]\n");
    return 2;
  }
  const std::string store = argv[1];
  std::vector<int> clients = store == "redis" ? std::vector<int>{1, 8, 50} : std::vector<int>{1, 4};
  BenchRequest req;
  req.duration_s = 5;
  req.warmup_s = 1;
  int rounds = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--clients")) {
      clients.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string c; std::getline(ss, c, ',');) clients.push_back(std::stoi(c));
    } else if (!std::strcmp(argv[i], "--duration")) {
      req.duration_s = std::atof(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--rounds")) {
      rounds = std::atoi(argv[i + 1]);
    }
  }
  crashlab::supervisor::Init();
  crashlab::TempDir tools("crashlab-agree-");
  for (int c : clients) {
    crashlab::ScenarioRequest sr;
    sr.scenario = store + "-kill";
    sr.workers = c;
    sr.set = {{"workload", "ledger"}, {"storage", "disk"}};
    const crashlab::ResolvedRequest r = crashlab::Resolve(sr);
    crashlab::TempDir work("crashlab-bench-");
    crashlab::BuiltScenario b = crashlab::BuildScenario(r, work.path());
    crashlab::bench::StartForBench(b, req);
    const auto env = crashlab::As<crashlab::ClientEnvironment>(*b.target)->ClientEnv();
    std::vector<double> ratio_mean, ratio_p50, ratio_p99;
    for (int round = 0; round < rounds; ++round) {
      const Figures a = Crashlab(b, req, c);
      const Figures t = store == "redis"
                            ? RedisBenchmark(c, static_cast<uint64_t>(a.ops_s * req.duration_s),
                                             env, tools.path())
                            : Pgbench(c, req.duration_s, env, tools.path());
      std::printf(
          "%s c=%d round %d: crashlab mean %.1f p50 %.1f p99 %.1f us (%.0f ops/s) | tool mean %.1f "
          "p50 %.1f p99 %.1f us (%.0f ops/s)\n",
          store.c_str(), c, round + 1, a.mean_us, a.p50_us, a.p99_us, a.ops_s, t.mean_us, t.p50_us,
          t.p99_us, t.ops_s);
      ratio_mean.push_back(a.mean_us / t.mean_us);
      if (t.p50_us > 0) ratio_p50.push_back(a.p50_us / t.p50_us);
      if (t.p99_us > 0) ratio_p99.push_back(a.p99_us / t.p99_us);
    }
    std::printf("%s c=%d: crashlab/tool median ratio: mean %.3f", store.c_str(), c,
                crashlab::bench::Median(ratio_mean));
    if (!ratio_p50.empty())
      std::printf("  p50 %.3f  p99 %.3f", crashlab::bench::Median(ratio_p50),
                  crashlab::bench::Median(ratio_p99));
    std::printf("\n");
    b.target->Stop();
  }
  return 0;
}

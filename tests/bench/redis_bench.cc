// SET throughput of crashlab's Redis client against redis-benchmark (-t set -P 1, no
// pipelining) at the same client count, on the same redis-server (started by
// RedisTarget), runs interleaved; prints absolute figures and the ratio.
//   redis_bench [--clients 1,8,50] [--requests 200000] [--reps 3] [--appendonly no]
//               [--appendfsync always] [--quick] [--json FILE]
#include <hiredis/hiredis.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "framework/process.h"
#include "workloads/redis/redis_target.h"

namespace crashlab::redis {
namespace {

struct Args {
  std::vector<int> clients = {1, 8, 50};
  int64_t requests = 200000;
  int reps = 3;
  std::string appendonly = "no";
  std::string appendfsync = "everysec";
  std::string json;
};

// The command line (CLI11); exits 2 with one line on bad input, 0 after --help.
Args ParseArgs(int argc, char** argv) {
  Args a;
  bool quick = false;
  CLI::App app{"SET throughput of crashlab's Redis client vs redis-benchmark", "redis_bench"};
  app.add_option("--clients", a.clients, "client counts, comma-separated")->delimiter(',');
  app.add_option("--requests", a.requests, "SETs per run")->check(CLI::PositiveNumber);
  app.add_option("--reps", a.reps, "runs per side and client count")->check(CLI::PositiveNumber);
  app.add_option("--appendonly", a.appendonly, "redis appendonly")
      ->check(CLI::IsMember({"yes", "no"}));
  app.add_option("--appendfsync", a.appendfsync, "redis appendfsync")
      ->check(CLI::IsMember({"always", "everysec", "no"}));
  app.add_flag("--quick", quick, "50,000 SETs, 1 rep, 1 and 50 clients");
  app.add_option("--json", a.json, "also write the results as JSON to FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) std::exit(app.exit(e));  // --help
    std::cerr << "redis_bench: " << e.what() << "\n";
    std::exit(2);
  }
  if (quick) {
    a.requests = 50000;
    a.reps = 1;
    a.clients = {1, 50};
  }
  return a;
}

// Runs one admin command on the target's server (the run's password, never printed).
void Admin(const Endpoint& ep, const std::vector<std::string>& argv) {
  timeval tv{5, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", ep.port, tv);
  if (c == nullptr || c->err) throw std::runtime_error("bench: cannot connect");
  redisSetTimeout(c, tv);
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<const char*> p;
    std::vector<size_t> l;
    for (const auto& s : args) {
      p.push_back(s.data());
      l.push_back(s.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(p.size()), p.data(), l.data()));
    if (r == nullptr) throw std::runtime_error("bench: admin command failed");
    const bool err = r->type == REDIS_REPLY_ERROR;
    std::string what = err ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    if (err) throw std::runtime_error("bench: " + args[0] + ": " + what);
  };
  run({"AUTH", ep.password});
  run(argv);
  redisFree(c);
}

// Our client: `clients` threads, each with its own connection, SET of unique keys.
double OurSetThroughput(const Endpoint& ep, int clients, int64_t requests) {
  std::vector<std::unique_ptr<Client>> cs;
  for (int i = 0; i < clients; ++i) cs.push_back(MakeRedisClient(ep));
  // Connect (and authenticate) outside the timed part, as redis-benchmark does.
  for (int i = 0; i < clients; ++i) {
    Op op;
    op.kind = OpKind::kRead;
    op.key = -1;
    if (cs[i]->Apply(op) != Outcome::kOk) throw std::runtime_error("bench: client cannot connect");
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int64_t> failed{0};
  std::vector<std::thread> threads;
  const int64_t per = requests / clients;
  for (int w = 0; w < clients; ++w) {
    threads.emplace_back([&, w] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      Op op;
      op.kind = OpKind::kInsert;
      for (int64_t i = 0; i < per; ++i) {
        op.key = (static_cast<int64_t>(w) + 1) << 40 | i;
        op.value = i;
        if (cs[w]->Apply(op) != Outcome::kOk) failed.fetch_add(1);
      }
    });
  }
  while (ready.load() < clients) std::this_thread::yield();
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed.load() > 0)
    throw std::runtime_error("bench: " + std::to_string(failed.load()) + " SETs failed");
  return static_cast<double>(per * clients) / s;
}

// redis-benchmark as a child. It cannot read a password from anywhere but argv, so it
// authenticates as a throwaway ACL user whose throwaway password exists only for this
// run of the bench; the target's own password never reaches argv.
double RedisBenchmarkSetThroughput(const Endpoint& ep, const std::string& user,
                                   const std::string& pw, int clients, int64_t requests,
                                   const std::filesystem::path& dir) {
  const auto log = dir / "redis-benchmark.out";
  std::filesystem::remove(log);
  ProcessOptions po;
  po.argv = {"redis-benchmark",
             "-h",
             "127.0.0.1",
             "-p",
             std::to_string(ep.port),
             "--user",
             user,
             "-a",
             pw,
             "-t",
             "set",
             "-c",
             std::to_string(clients),
             "-n",
             std::to_string(requests),
             "-P",
             "1",
             "-r",
             "100000000",
             "--csv"};
  po.log = log;
  Process p = Process::Spawn(po);
  if (!p.WaitFor(Millis(600000))) {
    p.KillAndReap();
    throw std::runtime_error("bench: redis-benchmark timed out");
  }
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("\"SET\"", 0) == 0) {
      const auto a = line.find(",\"");
      if (a != std::string::npos) return std::stod(line.substr(a + 2));
    }
  }
  std::ifstream again(log);
  std::ostringstream all;
  all << again.rdbuf();
  throw std::runtime_error("bench: no SET line from redis-benchmark: " + all.str());
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const std::string why = MissingRedisServer();
  if (!why.empty() || !MissingRedisServer("redis-benchmark").empty()) {
    std::cerr << "redis_bench: skipped: "
              << (why.empty() ? MissingRedisServer("redis-benchmark") : why) << "\n";
    return 0;
  }
  supervisor::Init();
  TempDir dir("crashlab-redis-bench-");
  RedisOptions o;
  o.work_dir = dir.path();
  o.appendonly = args.appendonly;
  o.appendfsync = args.appendfsync;
  RedisTarget target(o);
  target.Start();
  const Endpoint& ep = target.endpoint();
  char pwbuf[17];
  std::snprintf(pwbuf, sizeof pwbuf, "%08x%08x", static_cast<unsigned>(std::random_device{}()),
                static_cast<unsigned>(std::random_device{}()));
  const std::string bench_user = "crashlab-bench", bench_pw = pwbuf;
  Admin(ep, {"ACL", "SETUSER", bench_user, "on", ">" + bench_pw, "~*", "&*", "+@all"});

  std::printf("redis %s, appendonly=%s appendfsync=%s, %lld SETs per run, %d rep(s), median\n",
              target.Config().at("redis.version").c_str(), args.appendonly.c_str(),
              args.appendfsync.c_str(), static_cast<long long>(args.requests), args.reps);
  std::printf("%8s %16s %22s %8s\n", "clients", "crashlab SET/s", "redis-benchmark SET/s", "ratio");
  nlohmann::json json = nlohmann::json::array();
  for (size_t ci = 0; ci < args.clients.size(); ++ci) {
    const int n = args.clients[ci];
    std::vector<double> ours, theirs;
    for (int rep = 0; rep < args.reps; ++rep) {
      Admin(ep, {"FLUSHALL"});
      theirs.push_back(
          RedisBenchmarkSetThroughput(ep, bench_user, bench_pw, n, args.requests, dir.path()));
      Admin(ep, {"FLUSHALL"});
      ours.push_back(OurSetThroughput(ep, n, args.requests));
    }
    const double o_med = Median(ours), t_med = Median(theirs);
    std::printf("%8d %16.0f %22.0f %8.2f\n", n, o_med, t_med, o_med / t_med);
    std::fflush(stdout);
    json.push_back({{"clients", n},
                    {"crashlab_set_per_s", o_med},
                    {"redis_benchmark_set_per_s", t_med},
                    {"ratio", o_med / t_med}});
  }
  Admin(ep, {"ACL", "DELUSER", bench_user});
  target.Stop();
  if (!args.json.empty()) std::ofstream(args.json) << json.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace crashlab::redis

int main(int argc, char** argv) {
  try {
    return crashlab::redis::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "redis_bench: " << e.what() << "\n";
    return 1;
  }
}

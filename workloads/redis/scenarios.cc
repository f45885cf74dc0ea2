// Redis scenarios: redis-kill (SIGKILL of redis-server), with the checker that matches
// what the configured fsync policy promises.
#include <memory>

#include "faults/kill/kill_fault.h"
#include "framework/scenario.h"
#include "workloads/redis/loss_window.h"
#include "workloads/redis/redis_target.h"

namespace crashlab::redis {
namespace {

// The key-value (or ledger, bank) workload with a checker chosen for the store's promise.
class RedisWorkload : public Workload {
 public:
  RedisWorkload(std::unique_ptr<Workload> inner, std::function<std::unique_ptr<Checker>()> checker)
      : inner_(std::move(inner)), checker_(std::move(checker)) {}
  std::string Name() const override { return inner_->Name(); }
  DataModel Model() const override { return inner_->Model(); }
  std::unique_ptr<OpGenerator> Generator(int worker, uint64_t seed) override {
    return inner_->Generator(worker, seed);
  }
  std::unique_ptr<Checker> MakeChecker() const override {
    return checker_ ? checker_() : inner_->MakeChecker();
  }

 private:
  std::unique_ptr<Workload> inner_;
  std::function<std::unique_ptr<Checker>()> checker_;
};

std::vector<Knob> RedisKnobs() {
  return {
      Knob::Choice("appendonly", "yes", {"yes", "no"}, "Redis AOF persistence"),
      Knob::Choice("appendfsync", "always", {"always", "everysec", "no"}, "AOF fsync policy"),
      Knob::String("save", "", "RDB snapshot schedule, e.g. \"900 1 300 10\"; \"\" = off"),
      Knob::Choice("aof-use-rdb-preamble", "yes", {"yes", "no"}, "AOF rewrites start with an RDB image"),
      Knob::Choice("checker", "auto", {"auto", "strict", "window"},
                   "strict: no acknowledged write may be lost; window: losses allowed within "
                   "loss_window_ms before the fault; auto: window iff appendonly=yes and "
                   "appendfsync=everysec"),
      Knob::Int("loss_window_ms", 1500, "window checker: how long before the fault an acknowledged "
                "write may still be lost", 0, 3600000),
      Knob::Choice("workload", "kv", {"kv", "ledger", "bank"},
                   "kv: SET unique keys, INCRBY counters, RPUSH lists, markers; ledger: unique "
                   "rows + markers; bank: transfers as Lua scripts, total conserved"),
      Knob::Int("counters", 4, "kv: number of INCRBY counters", 1, 1000000),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
      Knob::Int("command_timeout_ms", 2000, "client command timeout (a frozen server gives unknown)", 1,
                600000),
  };
}

ScenarioParts BuildRedis(ScenarioContext& ctx, std::unique_ptr<Fault> fault) {
  const Knobs& k = ctx.knobs;
  try {
    ValidateSaveSchedule(k.Get("save"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  RedisOptions o;
  o.work_dir = ctx.work_dir;
  o.appendonly = k.Get("appendonly");
  o.appendfsync = k.Get("appendfsync");
  o.save = k.Get("save");
  o.aof_use_rdb_preamble = k.Get("aof-use-rdb-preamble");
  o.command_timeout = std::chrono::milliseconds(k.GetInt("command_timeout_ms"));

  const std::string& w = k.Get("workload");
  std::unique_ptr<Workload> inner;
  if (w == "ledger") inner = MakeLedgerWorkload();
  else if (w == "bank") inner = MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  else inner = MakeKeyValueWorkload(static_cast<int32_t>(k.GetInt("counters")));

  const std::string& mode = k.Get("checker");
  const bool window = mode == "window" ||
                      (mode == "auto" && o.appendonly == "yes" && o.appendfsync == "everysec");
  std::function<std::unique_ptr<Checker>()> make_checker;
  auto clock = std::make_shared<FaultClock>();
  if (window) {
    const double bound = static_cast<double>(k.GetInt("loss_window_ms"));
    const bool ledger = w == "ledger";
    Workload* base = inner.get();
    make_checker = [base, bound, ledger, clock] {
      std::unique_ptr<Checker> generic;
      if (ledger) {
        // The ledger's count/total checker counts losses itself: leave it out.
        std::vector<std::unique_ptr<Checker>> c;
        c.push_back(MakeRowsChecker());
        c.push_back(MakeMarkerChecker());
        c.push_back(MakeIntegrityChecker());
        generic = std::make_unique<CompositeChecker>(std::move(c));
      } else {
        generic = base->MakeChecker();
      }
      return MakeLossWindowChecker(std::move(generic), bound, InstantOf(clock));
    };
  }

  ScenarioParts p;
  p.target = std::make_unique<RedisTarget>(o);
  p.workload = std::make_unique<RedisWorkload>(std::move(inner), std::move(make_checker));
  p.fault = RecordFaultInstant(std::move(fault), clock);
  return p;
}

}  // namespace

CRASHLAB_SCENARIO(redis_kill) {
  ScenarioSpec s;
  s.name = "redis-kill";
  s.description = "Redis (AOF, appendfsync=always by default) under SIGKILL of redis-server";
  s.knobs = RedisKnobs();
  s.default_cycles = 10;
  s.default_workers = 4;
  s.default_schedule = "ops:100-1000";
  s.labels = {"redis", "kill"};
  s.missing_prerequisite = [] { return MissingRedisServer(); };
  s.build = [](ScenarioContext& ctx) { return BuildRedis(ctx, faults::MakeKillFault()); };
  return s;
}

}  // namespace crashlab::redis

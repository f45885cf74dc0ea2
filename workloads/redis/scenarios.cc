// Redis scenarios: redis-kill (SIGKILL of redis-server), redis-powercut (crashfs) and
// redis-fsync-eio, with the checker that matches what the configured fsync policy
// promises. Every scenario runs on disk, tmpfs or crashfs storage.
#include <memory>

#include "faults/kill/kill_fault.h"
#include "faults/powercut/powercut_fault.h"
#include "faults/powercut/storage.h"
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

std::vector<Knob> RedisKnobs(const std::string& default_storage = "disk") {
  std::vector<Knob> knobs = {
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
  for (auto& k : powercut::StorageKnobs(default_storage)) knobs.push_back(std::move(k));
  knobs.push_back(Knob::Choice("aof_dir", "redis", {"redis", "provisioned"},
                               "redis: Redis creates appendonlydir itself (and never fsyncs the data "
                               "dir after); provisioned: created and synced before Redis starts"));
  return knobs;
}

// The storage comes first (a power cut needs its mount); it outlives the target.
struct RedisStorage {
  std::shared_ptr<powercut::Storage> storage;
  std::vector<std::string> wrapper;  // e.g. fiu-run
};

RedisStorage PrepareStorage(ScenarioContext& ctx) {
  RedisStorage s;
  s.storage = powercut::Storage::Create(powercut::StorageConfigFrom(ctx), ctx.work_dir);
  s.storage->Place("data");  // RedisTarget keeps its data in <work>/data
  // Redis 7.0 creates data/appendonlydir without ever fsyncing data/ (see the powercut
  // README's findings): "provisioned" creates it durably before Redis starts.
  if (ctx.knobs.Get("aof_dir") == "provisioned") s.storage->ProvisionDir("data/appendonlydir");
  return s;
}

ScenarioParts BuildRedis(ScenarioContext& ctx, std::unique_ptr<Fault> fault, RedisStorage st) {
  const Knobs& k = ctx.knobs;
  try {
    ValidateSaveSchedule(k.Get("save"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  RedisOptions o;
  o.work_dir = st.storage->Root();
  o.env = st.storage->Env();
  o.wrapper = st.wrapper;
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
  p.resources.push_back(st.storage);
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
  s.build = [](ScenarioContext& ctx) {
    RedisStorage st = PrepareStorage(ctx);
    return BuildRedis(ctx, faults::MakeKillFault(), std::move(st));
  };
  return s;
}

CRASHLAB_SCENARIO(redis_powercut) {
  ScenarioSpec s;
  s.name = "redis-powercut";
  s.description = "Redis (AOF) on crashfs: power cut right after an acknowledged write; always keeps "
                  "every acknowledged write, everysec loses at most about a second";
  s.knobs = RedisKnobs("crashfs");
  s.knobs.push_back(powercut::TornKnob());
  s.default_cycles = 5;
  s.default_workers = 4;
  s.default_schedule = "ops:100-1000";
  s.labels = {"redis", "powercut"};
  s.missing_prerequisite = [] {
    std::string why = MissingRedisServer();
    return why.empty() ? powercut::MissingCrashfs() : why;
  };
  s.build = [](ScenarioContext& ctx) {
    RedisStorage st = PrepareStorage(ctx);
    auto fault = powercut::MakePowerCutFault(st.storage, powercut::ParseTorn(ctx.knobs.Get("torn")));
    return BuildRedis(ctx, std::move(fault), std::move(st));
  };
  return s;
}

CRASHLAB_SCENARIO(redis_fsync_eio) {
  ScenarioSpec s;
  s.name = "redis-fsync-eio";
  s.description = "Redis whose fdatasync/fsync fail with EIO for a seeded window (syncfault, libfiu or "
                  "crashfs), then a kill: acknowledged writes survive the restart";
  s.knobs = RedisKnobs("disk");
  s.knobs.push_back(Knob::Choice("via", "syncfault", {"syncfault", "fiu", "crashfs"},
                                 "how syncs fail: our preload, libfiu's fiu-run, or crashfs (storage=crashfs)"));
  s.knobs.push_back(Knob::Int("window_min_ms", 200, "shortest window of failing syncs", 1, 600000));
  s.knobs.push_back(Knob::Int("window_max_ms", 800, "longest window of failing syncs", 1, 600000));
  s.default_cycles = 3;
  s.default_workers = 4;
  s.default_schedule = "ops:100-500";
  s.labels = {"redis", "fsync-eio"};
  s.missing_prerequisite = [] { return MissingRedisServer(); };
  s.build = [](ScenarioContext& ctx) {
    RedisStorage st = PrepareStorage(ctx);
    powercut::SyncErrorOptions o;
    o.via = powercut::ParseSyncErrorVia(ctx.knobs.Get("via"));
    o.min_window = std::chrono::milliseconds(ctx.knobs.GetInt("window_min_ms"));
    o.max_window = std::chrono::milliseconds(std::max(ctx.knobs.GetInt("window_max_ms"), ctx.knobs.GetInt("window_min_ms")));
    o.log_markers = {"Can't persist", "fsync", "Error", "error"};
    if (o.via == powercut::SyncErrorVia::kFiu) {
      o.fiu_ctl_dir = ctx.work_dir / "fiu";
      st.wrapper = powercut::FiuWrapper(o.fiu_ctl_dir);
    }
    auto fault = powercut::MakeSyncErrorFault(st.storage, o);
    return BuildRedis(ctx, std::move(fault), std::move(st));
  };
  return s;
}

}  // namespace crashlab::redis

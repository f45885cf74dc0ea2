// The Redis store: redis-server (AOF) on any storage, with the checker that matches what
// the configured fsync policy promises; its container variant; and the presets that keep
// the well-known scenario names.
#include <memory>

#include "framework/registry.h"
#include "workloads/redis/container_store.h"
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
      Knob::Choice("aof-use-rdb-preamble", "yes", {"yes", "no"},
                   "AOF rewrites start with an RDB image"),
      Knob::Choice("checker", "auto", {"auto", "strict", "window"},
                   "strict: no acknowledged write may be lost; window: losses allowed within "
                   "loss_window_ms before the fault; auto: window iff appendonly=yes and "
                   "appendfsync=everysec"),
      Knob::Int("loss_window_ms", 1500,
                "window checker: how long before the fault an acknowledged "
                "write may still be lost",
                0, 3600000),
      Knob::Int("counters", 4, "kv: number of INCRBY counters", 1, 1000000),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
      Knob::Int("command_timeout_ms", 2000,
                "client command timeout (a frozen server gives unknown)", 1, 600000),
      Knob::String("redis_server", "",
                   "the redis-server program, a path or a name on PATH (\"\": redis-server); "
                   "the report records its version"),
  };
}

std::vector<Knob> LocalKnobs() {
  return {Knob::Choice("aof_dir", "redis", {"redis", "provisioned"},
                       "redis: Redis creates appendonlydir itself (and never fsyncs the data dir "
                       "after); provisioned: created and synced before Redis starts")};
}

std::unique_ptr<Workload> InnerWorkload(const Knobs& k) {
  const std::string& w = k.Get("workload");
  if (w == "ledger") return MakeLedgerWorkload();
  if (w == "bank") return MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  return MakeKeyValueWorkload(static_cast<int32_t>(k.GetInt("counters")));
}

// The loss-window checker when the configuration promises only "about a second".
std::function<std::unique_ptr<Checker>()> WindowChecker(const Knobs& k, Workload* base,
                                                        std::shared_ptr<FaultClock> clock) {
  const std::string& mode = k.Get("checker");
  const bool window = mode == "window" || (mode == "auto" && k.Get("appendonly") == "yes" &&
                                           k.Get("appendfsync") == "everysec");
  if (!window) return nullptr;
  const double bound = static_cast<double>(k.GetInt("loss_window_ms"));
  const bool ledger = k.Get("workload") == "ledger";
  return [base, bound, ledger, clock] {
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

// The workload with its checker, and the fault wrapped to record its instant.
void AddWorkload(StoreParts& p, const Knobs& k) {
  auto inner = InnerWorkload(k);
  auto clock = std::make_shared<FaultClock>();
  auto checker = WindowChecker(k, inner.get(), clock);
  p.workload = std::make_unique<RedisWorkload>(std::move(inner), std::move(checker));
  p.wrap_fault = [clock](std::unique_ptr<Fault> f) {
    return RecordFaultInstant(std::move(f), clock);
  };
}

StoreParts BuildLocal(StoreContext& ctx) {
  const Knobs& k = ctx.knobs;
  try {
    ValidateSaveSchedule(k.Get("save"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what(), "save");
  }
  ctx.storage->Place("data");  // RedisTarget keeps its data in <root>/data
  // Redis 7.0 creates data/appendonlydir without ever fsyncing data/ (see the powercut
  // README's findings): "provisioned" creates it durably before Redis starts.
  if (k.Get("aof_dir") == "provisioned") ctx.storage->ProvisionDir("data/appendonlydir");
  RedisOptions o;
  o.work_dir = ctx.storage->Root();
  o.env = ctx.storage->Env();
  for (const auto& [key, v] : ctx.env) o.env[key] = v;
  o.wrapper = ctx.wrapper;
  o.appendonly = k.Get("appendonly");
  o.appendfsync = k.Get("appendfsync");
  o.save = k.Get("save");
  o.aof_use_rdb_preamble = k.Get("aof-use-rdb-preamble");
  o.command_timeout = std::chrono::milliseconds(k.GetInt("command_timeout_ms"));
  o.server_path = k.Get("redis_server");
  StoreParts p;
  p.target = std::make_unique<RedisTarget>(o);
  AddWorkload(p, k);
  return p;
}

StoreParts BuildContainer(StoreContext& ctx) {
  StoreParts p = BuildRedisContainer(ctx, nullptr);
  AddWorkload(p, ctx.knobs);
  return p;
}

std::vector<Preset> Presets() {
  return {
      {"redis-kill",
       "Redis (AOF, appendfsync=always by default) under SIGKILL of redis-server",
       {"kill"},
       Host::kLocal,
       {10, 4, "ops:100-1000"},
       {},
       {"redis", "kill"}},
      {"redis-powercut",
       "Redis (AOF) on crashfs: power cut right after an acknowledged write; always keeps every "
       "acknowledged write, everysec loses at most about a second",
       {"powercut"},
       Host::kLocal,
       {5, 4, "ops:100-1000"},
       {},
       {"redis", "powercut"}},
      {"redis-fsync-eio",
       "Redis whose fdatasync/fsync fail with EIO for a seeded window (syncfault, libfiu or "
       "crashfs), then "
       "a kill: acknowledged writes survive the restart",
       {"fsync-eio"},
       Host::kLocal,
       {3, 4, "ops:100-500"},
       {},
       {"redis", "fsync-eio"}},
      {"redis-container-restart",
       "Redis (AOF) in a container of a private podman/docker engine, data on a bind mount, a "
       "named volume "
       "or only in the container's layer; container fault cycles",
       {"container"},
       Host::kContainer,
       {5, 2, "ops:100-400"},
       {{"command_timeout_ms", "1000"}},
       {"redis", "container"}},
  };
}

}  // namespace

CRASHLAB_STORE(redis) {
  StoreSpec s;
  s.name = "redis";
  s.description = "Redis (redis-server with AOF, hiredis clients)";
  s.knobs = RedisKnobs();
  s.workloads = {"kv", "ledger", "bank"};
  s.workload_help = {{"kv", "SET unique keys, INCRBY counters, RPUSH lists, markers"},
                     {"ledger", "unique rows + markers"},
                     {"bank", "transfers as Lua scripts, total conserved"}};
  s.capabilities = {capability::kProcesses, capability::kStorage, capability::kWrapper};
  s.prerequisites = {{"redis-server", [] { return MissingRedisServer(); }}};
  s.hints = {{"error_log_markers", "Can't persist,fsync,Error,error"}};
  s.defaults = {10, 4, "ops:100-1000"};
  s.local_knobs = LocalKnobs();
  s.build = BuildLocal;
  s.build_container = BuildContainer;
  s.presets = Presets();
  return s;
}

}  // namespace crashlab::redis

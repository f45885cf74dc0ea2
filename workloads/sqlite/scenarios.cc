// SQLite scenarios: sqlite-kill (SIGKILL of writer agents), sqlite-pause, and on any
// storage (disk, tmpfs, crashfs): sqlite-powercut, sqlite-crashpoints, sqlite-fsync-eio,
// sqlite-enospc.
#include <chrono>
#include <sstream>

#include "faults/fiu/fiu.h"
#include "faults/kill/kill_fault.h"
#include "faults/powercut/powercut_fault.h"
#include "faults/powercut/storage.h"
#include "framework/scenario.h"
#include "workloads/sqlite/sqlite_target.h"

namespace crashlab::sqlite {
namespace {

std::vector<Knob> SqliteKnobs(const std::string& default_storage = "disk",
                              const std::string& default_journal = "wal",
                              const std::string& default_sync = "full") {
  std::vector<Knob> k = {
      Knob::Choice("journal_mode", default_journal, {"wal", "delete", "truncate", "persist"},
                   "SQLite journal mode"),
      Knob::Choice("synchronous", default_sync, {"off", "normal", "full", "extra"},
                   "SQLite synchronous setting"),
      Knob::Choice("workload", "ledger", {"ledger", "bank", "kv"},
                   "ledger: orders with count/total/marker; bank: transfers, total conserved; "
                   "kv: rows, counters, lists"),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
  };
  for (auto& s : powercut::StorageKnobs(default_storage)) k.push_back(std::move(s));
  return k;
}

std::unique_ptr<Workload> MakeWorkload(const Knobs& k) {
  const std::string& w = k.Get("workload");
  if (w == "bank") return MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  if (w == "kv") return MakeKeyValueWorkload();
  return MakeLedgerWorkload();
}

std::string MissingAgent() {
  return std::filesystem::exists(AgentPath()) ? "" : "sqlite agent not built: " + AgentPath().string();
}

// The storage (disk, tmpfs, crashfs) comes first: the fault may need it, and it must
// outlive the target (ScenarioParts::resources).
struct SqliteBuild {
  ScenarioParts parts;
  std::shared_ptr<powercut::Storage> storage;
  SqliteOptions options;
};

SqliteBuild PrepareSqlite(ScenarioContext& ctx) {
  SqliteBuild b;
  b.storage = powercut::Storage::Create(powercut::StorageConfigFrom(ctx), ctx.work_dir);
  b.parts.resources.push_back(b.storage);
  b.options.dir = b.storage->Place("data");
  b.options.journal_mode = ctx.knobs.Get("journal_mode");
  b.options.synchronous = ctx.knobs.Get("synchronous");
  b.options.writers = ctx.options.workers;
  return b;
}

ScenarioParts FinishSqlite(ScenarioContext& ctx, SqliteBuild b, std::unique_ptr<Fault> fault) {
  for (const auto& [k, v] : b.storage->Env()) b.options.agent_env[k] = v;
  b.parts.target = std::make_unique<SqliteTarget>(b.options);
  b.parts.workload = MakeWorkload(ctx.knobs);
  b.parts.fault = std::move(fault);
  return std::move(b.parts);
}

ScenarioParts BuildSqlite(ScenarioContext& ctx, std::unique_ptr<Fault> fault) {
  return FinishSqlite(ctx, PrepareSqlite(ctx), std::move(fault));
}

std::string MissingAgentOrCrashfs() {
  std::string why = MissingAgent();
  if (why.empty()) why = powercut::MissingCrashfs();
  return why;
}

std::string MissingAgentOrFiu() {
  std::string why = MissingAgent();
  if (why.empty() && (!powercut::ProgramOnPath("fiu-run") || !powercut::ProgramOnPath("fiu-ctrl"))) {
    why = "libfiu's fiu-run/fiu-ctrl not installed (apt-get install -y fiu-utils libfiu-dev)";
  }
  return why;
}

std::vector<Knob> WindowKnobs() {
  return {Knob::Int("window_min_ms", 200, "shortest window of failing calls", 1, 600000),
          Knob::Int("window_max_ms", 800, "longest window of failing calls", 1, 600000)};
}

powercut::SyncErrorOptions WindowFrom(const Knobs& k) {
  powercut::SyncErrorOptions o;
  o.min_window = std::chrono::milliseconds(k.GetInt("window_min_ms"));
  o.max_window = std::chrono::milliseconds(std::max(k.GetInt("window_max_ms"), k.GetInt("window_min_ms")));
  return o;
}

}  // namespace

CRASHLAB_SCENARIO(sqlite_kill) {
  ScenarioSpec s;
  s.name = "sqlite-kill";
  s.description = "SQLite (WAL, synchronous=FULL by default) under SIGKILL of its writer agent processes";
  s.knobs = SqliteKnobs();
  s.knobs.push_back(Knob::Choice("kill_scope", "all", {"all", "one"},
                                 "kill every writer agent, or one chosen by the seed"));
  s.default_cycles = 10;
  s.default_workers = 2;
  s.default_schedule = "ops:20-200";
  s.labels = {"sqlite", "kill"};
  s.missing_prerequisite = MissingAgent;
  s.build = [](ScenarioContext& ctx) {
    return BuildSqlite(ctx, faults::MakeKillFault(faults::ParseKillScope(ctx.knobs.Get("kill_scope"))));
  };
  return s;
}

CRASHLAB_SCENARIO(sqlite_pause) {
  ScenarioSpec s;
  s.name = "sqlite-pause";
  s.description = "SQLite writer agents frozen with SIGSTOP, then resumed: nothing may be lost or duplicated";
  s.knobs = SqliteKnobs();
  s.knobs.push_back(Knob::Int("hold_ms", 200, "how long the agents stay stopped", 0, 600000));
  s.default_cycles = 5;
  s.labels = {"sqlite", "pause"};
  s.missing_prerequisite = MissingAgent;
  s.build = [](ScenarioContext& ctx) {
    return BuildSqlite(ctx, faults::MakePauseFault(std::chrono::milliseconds(ctx.knobs.GetInt("hold_ms"))));
  };
  return s;
}

}  // namespace crashlab::sqlite

namespace crashlab::sqlite {

CRASHLAB_SCENARIO(sqlite_powercut) {
  ScenarioSpec s;
  s.name = "sqlite-powercut";
  s.description = "SQLite on crashfs: power cut (unsynced data and directory entries lost) right after "
                  "an acknowledged commit; acknowledged transactions must survive";
  s.knobs = SqliteKnobs("crashfs");
  s.knobs.push_back(powercut::TornKnob());
  s.default_cycles = 5;
  s.default_workers = 2;
  s.default_schedule = "ops:20-200";
  s.labels = {"sqlite", "powercut"};
  s.missing_prerequisite = MissingAgentOrCrashfs;
  s.build = [](ScenarioContext& ctx) {
    SqliteBuild b = PrepareSqlite(ctx);
    auto fault = powercut::MakePowerCutFault(b.storage, powercut::ParseTorn(ctx.knobs.Get("torn")));
    return FinishSqlite(ctx, std::move(b), std::move(fault));
  };
  return s;
}

CRASHLAB_SCENARIO(sqlite_crashpoints) {
  ScenarioSpec s;
  s.name = "sqlite-crashpoints";
  s.description = "SQLite on crashfs: cut power right before the k-th fsync, directory fsync, rename "
                  "or unlink of each cycle's load, k = 1..K for each kind in turn";
  s.knobs = SqliteKnobs("crashfs", "delete", "extra");
  s.knobs.push_back(Knob::Int("crash_points", 6, "K: crash points per operation kind", 1, 10000));
  s.knobs.push_back(Knob::String("ops", "fsync,fsyncdir,unlink",
                                 "operation kinds swept in turn (fsync, fsyncdir, rename, unlink, "
                                 "create, write)"));
  s.knobs.push_back(Knob::String("glob", "*", "only operations on paths matching this glob count"));
  s.default_cycles = 18;  // crash_points x kinds; --cycles overrides
  s.default_workers = 1;
  // The fallback when a crash point is never reached: cut after this many acks.
  s.default_schedule = "ops:60";
  s.labels = {"sqlite", "powercut", "crashpoints"};
  s.missing_prerequisite = MissingAgentOrCrashfs;
  s.build = [](ScenarioContext& ctx) {
    SqliteBuild b = PrepareSqlite(ctx);
    std::vector<crashfs::OpKind> kinds;
    std::stringstream ss(ctx.knobs.Get("ops"));
    std::string item;
    while (std::getline(ss, item, ',')) {
      auto k = crashfs::ParseOpKind(item);
      if (!k) throw UsageError("ops: unknown operation kind '" + item + "'");
      kinds.push_back(*k);
    }
    auto fault = powercut::MakeCrashPointFault(b.storage, kinds,
                                               static_cast<uint32_t>(ctx.knobs.GetInt("crash_points")),
                                               ctx.knobs.Get("glob"));
    return FinishSqlite(ctx, std::move(b), std::move(fault));
  };
  return s;
}

CRASHLAB_SCENARIO(sqlite_fsync_eio) {
  ScenarioSpec s;
  s.name = "sqlite-fsync-eio";
  s.description = "SQLite whose fdatasync/fsync fail with EIO for a seeded window (syncfault, libfiu or "
                  "crashfs), then a kill: acknowledged commits survive, failed ones are not phantoms";
  s.knobs = SqliteKnobs("disk");
  s.knobs.push_back(Knob::Choice("via", "syncfault", {"syncfault", "fiu", "crashfs"},
                                 "how syncs fail: our preload, libfiu's fiu-run, or crashfs (storage=crashfs)"));
  for (auto& k : WindowKnobs()) s.knobs.push_back(std::move(k));
  s.default_cycles = 3;
  s.default_workers = 2;
  s.default_schedule = "ops:50-200";
  s.labels = {"sqlite", "fsync-eio"};
  s.missing_prerequisite = MissingAgent;
  s.build = [](ScenarioContext& ctx) {
    SqliteBuild b = PrepareSqlite(ctx);
    powercut::SyncErrorOptions o = WindowFrom(ctx.knobs);
    o.via = powercut::ParseSyncErrorVia(ctx.knobs.Get("via"));
    o.error = EIO;
    o.log_markers = {"disk I/O error"};
    if (o.via == powercut::SyncErrorVia::kFiu) {
      o.fiu_ctl_dir = ctx.work_dir / "fiu";
      b.options.agent_wrapper = powercut::FiuWrapper(o.fiu_ctl_dir);
    }
    auto fault = powercut::MakeSyncErrorFault(b.storage, o);
    return FinishSqlite(ctx, std::move(b), std::move(fault));
  };
  return s;
}

CRASHLAB_SCENARIO(sqlite_enospc) {
  ScenarioSpec s;
  s.name = "sqlite-enospc";
  s.description = "SQLite whose pwrite fails with ENOSPC (libfiu) for a seeded window, then a kill: "
                  "\"database or disk is full\" fails commits, acknowledged ones survive";
  s.knobs = SqliteKnobs("disk");
  for (auto& k : WindowKnobs()) s.knobs.push_back(std::move(k));
  s.default_cycles = 3;
  s.default_workers = 2;
  s.default_schedule = "ops:50-200";
  s.labels = {"sqlite", "enospc"};
  s.missing_prerequisite = MissingAgentOrFiu;
  s.build = [](ScenarioContext& ctx) {
    SqliteBuild b = PrepareSqlite(ctx);
    powercut::SyncErrorOptions o = WindowFrom(ctx.knobs);
    o.via = powercut::SyncErrorVia::kFiu;
    o.error = ENOSPC;
    o.name = "enospc";
    o.fiu_points = {fiu::points::kPwrite};  // not write: the agent answers on a pipe with it
    o.log_markers = {"full"};
    o.fiu_ctl_dir = ctx.work_dir / "fiu";
    b.options.agent_wrapper = powercut::FiuWrapper(o.fiu_ctl_dir);
    auto fault = powercut::MakeSyncErrorFault(b.storage, o);
    return FinishSqlite(ctx, std::move(b), std::move(fault));
  };
  return s;
}

}  // namespace crashlab::sqlite

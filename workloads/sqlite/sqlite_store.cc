// The SQLite store: writer agent processes on one database, on any storage; its
// container variant; and the presets that keep the well-known scenario names.
#include "faults/fiu/fiu.h"
#include "framework/registry.h"
#include "workloads/sqlite/container_store.h"
#include "workloads/sqlite/sqlite_target.h"

namespace crashlab::sqlite {
namespace {

std::unique_ptr<Workload> MakeWorkload(const Knobs& k) {
  const std::string& w = k.Get("workload");
  if (w == "bank") return MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  if (w == "kv") return MakeKeyValueWorkload();
  return MakeLedgerWorkload();
}

std::string MissingAgent() {
  std::error_code ec;
  return std::filesystem::exists(AgentPath(), ec)
             ? ""
             : "sqlite agent not built: " + AgentPath().string();
}

StoreParts BuildLocal(StoreContext& ctx) {
  SqliteOptions o;
  o.dir = ctx.storage->Place("data");
  o.journal_mode = ctx.knobs.Get("journal_mode");
  o.synchronous = ctx.knobs.Get("synchronous");
  o.writers = ctx.options.workers;
  o.agent_env = ctx.storage->Env();
  for (const auto& [k, v] : ctx.env) o.agent_env[k] = v;
  o.agent_wrapper = ctx.wrapper;
  StoreParts p;
  p.target = std::make_unique<SqliteTarget>(o);
  p.workload = MakeWorkload(ctx.knobs);
  return p;
}

std::vector<Preset> Presets() {
  const RunDefaults kill{10, 2, "ops:20-200"};
  return {
      {"sqlite-kill",
       "SQLite (WAL, synchronous=FULL by default) under SIGKILL of its writer agent processes",
       {"kill"},
       Host::kLocal,
       kill,
       {},
       {"sqlite", "kill"}},
      {"sqlite-pause",
       "SQLite writer agents frozen with SIGSTOP, then resumed: nothing may be lost or duplicated",
       {"pause"},
       Host::kLocal,
       {5, 2, std::nullopt},
       {},
       {"sqlite", "pause"}},
      {"sqlite-powercut",
       "SQLite on crashfs: power cut (unsynced data and directory entries lost) right after an "
       "acknowledged "
       "commit; acknowledged transactions must survive",
       {"powercut"},
       Host::kLocal,
       {5, 2, "ops:20-200"},
       {},
       {"sqlite", "powercut"}},
      {"sqlite-crashpoints",
       "SQLite on crashfs: cut power right before the k-th fsync, directory fsync, rename or "
       "unlink of each "
       "cycle's load, k = 1..K for each kind in turn",
       {"crashpoints"},
       Host::kLocal,
       {18, 1, "ops:60"},
       {{"journal_mode", "delete"}, {"synchronous", "extra"}},
       {"sqlite", "powercut", "crashpoints"}},
      {"sqlite-fsync-eio",
       "SQLite whose fdatasync/fsync fail with EIO for a seeded window (syncfault, libfiu or "
       "crashfs), then a "
       "kill: acknowledged commits survive, failed ones are not phantoms",
       {"fsync-eio"},
       Host::kLocal,
       {3, 2, "ops:50-200"},
       {},
       {"sqlite", "fsync-eio"}},
      {"sqlite-enospc",
       "SQLite whose pwrite fails with ENOSPC (libfiu) for a seeded window, then a kill: "
       "\"database or disk "
       "is full\" fails commits, acknowledged ones survive",
       {"enospc"},
       Host::kLocal,
       {3, 2, "ops:50-200"},
       {},
       {"sqlite", "enospc"}},
      {"sqlite-container-restart",
       "SQLite agent in a container of a private podman/docker engine: "
       "kill/stop/restart/pause/restart-policy/"
       "recreate cycles with bind, volume or no mount",
       {"container"},
       Host::kContainer,
       {5, 1, "ops:20-200"},
       {},
       {"sqlite", "container"}},
      {"sqlite-multi-container",
       "N containers (one per worker) write one WAL database on a shared bind mount while "
       "containers are "
       "killed at random; integrity and every acknowledged row must hold",
       {"container"},
       Host::kContainer,
       {6, 3, "ops:50-400"},
       {{"scope", "some"}},
       {"sqlite", "container", "multi-writer"}},
  };
}

}  // namespace

CRASHLAB_STORE(sqlite) {
  StoreSpec s;
  s.name = "sqlite";
  s.description = "SQLite in writer agent processes (one per worker) on one database";
  s.knobs = {
      Knob::Choice("journal_mode", "wal", {"wal", "delete", "truncate", "persist"},
                   "SQLite journal mode"),
      Knob::Choice("synchronous", "full", {"off", "normal", "full", "extra"},
                   "SQLite synchronous setting"),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
  };
  s.container_knobs = {Knob::Int("op_timeout_ms", 1000,
                                 "client timeout per op (a frozen store -> unknown)", 10, 600000)};
  s.workloads = {"ledger", "bank", "kv"};
  s.workload_help = {{"ledger", "orders with count/total/marker"},
                     {"bank", "transfers, total conserved"},
                     {"kv", "rows, counters, lists"}};
  s.capabilities = {capability::kProcesses, capability::kStorage, capability::kWrapper};
  s.prerequisites = {{"the SQLite agent (crashlab-sqlite-agent)", MissingAgent}};
  // The agent answers the runner on a pipe with write(): fail pwrite only.
  s.hints = {{"error_log_markers", "disk I/O error"},
             {"enospc_fiu_points", fiu::points::kPwrite},
             {"enospc_log_markers", "full"}};
  s.defaults = {10, 2, "ops:20-200"};
  s.build = BuildLocal;
  s.build_container = [](StoreContext& ctx) {
    return BuildSqliteContainer(ctx, MakeWorkload(ctx.knobs));
  };
  s.presets = Presets();
  return s;
}

}  // namespace crashlab::sqlite

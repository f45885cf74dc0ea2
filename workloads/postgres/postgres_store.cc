// The PostgreSQL store: a throwaway cluster (postmaster a direct child, dropped to an
// unprivileged user) on any storage; its container variant; and the presets that keep
// the well-known scenario names.
#include "framework/registry.h"
#include "workloads/postgres/container_store.h"
#include "workloads/postgres/critical_workload.h"
#include "workloads/postgres/pg_bin.h"
#include "workloads/postgres/postgres_target.h"

namespace crashlab::postgres {
namespace {

std::unique_ptr<Workload> MakeWorkload(const Knobs& k) {
  const std::string& w = k.Get("workload");
  if (w == "bank") return MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  if (w == "critical") return MakeCriticalWorkload();
  return MakeLedgerWorkload();
}

std::string OnOff(bool b) { return b ? "on" : "off"; }

Knob PgBinKnob() {
  Knob k =
      Knob::String("pg_bin", "",
                   "directory of the server programs (\"\": the newest /usr/lib/postgresql/*/bin, "
                   "else pg_config --bindir); the report records the server version");
  k.check = [](const std::string& v) -> std::string {
    if (v.empty()) return "";
    try {
      (void)FindPgBin(v);
      return "";
    } catch (const std::exception& e) {
      return "a directory with postgres and initdb (" + std::string(e.what()) + ")";
    }
  };
  return k;
}

std::map<std::string, std::string> Settings(const Knobs& k) {
  return {
      {"fsync", OnOff(k.GetBool("fsync"))},
      {"synchronous_commit", k.Get("synchronous_commit")},
      {"full_page_writes", OnOff(k.GetBool("full_page_writes"))},
      {"wal_sync_method", k.Get("wal_sync_method")},
      {"max_connections", k.Get("max_connections")},
      {"shared_buffers", k.Get("shared_buffers")},
      {"recovery_init_sync_method", k.Get("recovery_init_sync_method")},
  };
}

StoreParts BuildLocal(StoreContext& ctx) {
  const Knobs& k = ctx.knobs;
  PostgresOptions o;
  o.dir = ctx.storage->Root();
  // Only the data dir goes on the storage's fault layer: the log and socket stay outside.
  ctx.storage->Place("pg/data");
  o.initdb_sync = k.Get("storage") == "crashfs";
  o.workload = ParsePgWorkload(k.Get("workload"));
  o.amcheck = k.GetBool("amcheck");
  o.settings = Settings(k);
  o.bin_dir = k.Get("pg_bin");
  o.env = ctx.storage->Env();
  for (const auto& [key, v] : ctx.env) o.env[key] = v;
  StoreParts p;
  p.target = std::make_unique<PostgresTarget>(o);
  p.workload = MakeWorkload(k);
  return p;
}

std::vector<Preset> Presets() {
  return {
      {"postgres-kill",
       "PostgreSQL under SIGKILL of the postmaster while clients commit: acknowledged transactions "
       "survive crash recovery",
       {"kill"},
       Host::kLocal,
       {10, 4, "ops:200-600"},
       {},
       {"postgres", "kill"}},
      {"postgres-powercut",
       "PostgreSQL with its data dir on crashfs: power cut right after an acknowledged commit; "
       "acknowledged transactions survive crash recovery",
       {"powercut"},
       Host::kLocal,
       {3, 4, "ops:200-600"},
       {},
       {"postgres", "powercut"}},
      {"postgres-fsync-eio",
       "PostgreSQL whose fsync/fdatasync fail with EIO for a seeded window (syncfault preload or "
       "crashfs): it must PANIC, then recover every acknowledged commit",
       {"fsync-eio"},
       Host::kLocal,
       {3, 4, "ops:100-300"},
       {{"window_min_ms", "300"}},
       {"postgres", "fsync-eio"}},
      {"postgres-container-restart",
       "PostgreSQL in a container of a private podman/docker engine, data on a bind mount or a "
       "named "
       "volume; kill/stop/restart/pause/restart-policy/recreate cycles",
       {"container"},
       Host::kContainer,
       {5, 4, "ops:100-400"},
       {},
       {"postgres", "container"}},
  };
}

}  // namespace

CRASHLAB_STORE(postgres) {
  StoreSpec s;
  s.name = "postgres";
  s.description = "PostgreSQL (a throwaway cluster, clients on libpq)";
  s.knobs = {
      Knob::Bool("fsync", true, "PostgreSQL fsync"),
      Knob::Choice("synchronous_commit", "on",
                   {"on", "off", "local", "remote_write", "remote_apply"},
                   "PostgreSQL synchronous_commit"),
      Knob::Bool("full_page_writes", true, "PostgreSQL full_page_writes"),
      Knob::Choice("wal_sync_method", "fdatasync",
                   {"fdatasync", "fsync", "open_datasync", "open_sync"},
                   "PostgreSQL wal_sync_method"),
      Knob::Choice("recovery_init_sync_method", "fsync", {"fsync", "syncfs"},
                   "how crash recovery first syncs the data dir (fsync: every file)"),
      Knob::Int("max_connections", 100, "PostgreSQL max_connections", 5, 10000),
      Knob::String("shared_buffers", "128MB", "PostgreSQL shared_buffers"),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
      Knob::Bool("amcheck", true,
                 "run amcheck (bt_index_check, verify_heapam) after each recovery"),
      PgBinKnob(),
  };
  s.workloads = {"ledger", "bank", "critical"};
  s.workload_help = {{"ledger", "orders with count/total/marker"},
                     {"bank", "transfers, total conserved"},
                     {"critical", "users/summaries/links/usage mix over 10 connections"}};
  s.capabilities = {capability::kProcesses, capability::kStorage, capability::kCheckpoint,
                    capability::kClusterKill};
  s.prerequisites = {
      {"PostgreSQL server binaries and an unprivileged user", [] { return MissingPostgres(); }}};
  s.hints = {{"error_log_markers", "PANIC"}};
  s.defaults = {10, 4, "ops:200-600"};
  s.build = BuildLocal;
  s.build_container = [](StoreContext& ctx) {
    const Knobs& k = ctx.knobs;
    return BuildPostgresContainer(ctx, ParsePgWorkload(k.Get("workload")), Settings(k),
                                  MakeWorkload(k));
  };
  s.presets = Presets();
  return s;
}

}  // namespace crashlab::postgres

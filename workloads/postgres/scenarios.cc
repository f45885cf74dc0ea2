// PostgreSQL scenarios: postgres-kill (SIGKILL of the postmaster under load),
// postgres-powercut (crashfs) and postgres-fsync-eio (PANIC, then crash recovery), on
// disk, tmpfs or crashfs storage.
#include <signal.h>

#include <memory>

#include "faults/kill/kill_fault.h"
#include "faults/powercut/powercut_fault.h"
#include "faults/powercut/storage.h"
#include "framework/scenario.h"
#include "workloads/postgres/critical_workload.h"
#include "workloads/postgres/postgres_target.h"

namespace crashlab::postgres {
namespace {

// Seed 004's "force checkpoint, then crash": CHECKPOINT right before the wrapped fault.
// A decorator: the kill itself stays the kill fault's.
class CheckpointThenFault : public Fault {
 public:
  explicit CheckpointThenFault(std::unique_ptr<Fault> inner) : inner_(std::move(inner)) {}
  std::string Name() const override { return "checkpoint+" + inner_->Name(); }
  void Setup(Target& t) override { inner_->Setup(t); }
  FaultEvent Inject(Target& t, Rng& rng) override {
    std::string checkpoint = "done";
    try {
      dynamic_cast<PostgresTarget&>(t).Checkpoint();
    } catch (const std::exception& e) {
      checkpoint = std::string("failed: ") + e.what();
    }
    FaultEvent ev = inner_->Inject(t, rng);
    ev.extra["checkpoint_before"] = checkpoint;
    return ev;
  }
  void Heal(Target& t) override { inner_->Heal(t); }
  bool NeedsRecovery() const override { return inner_->NeedsRecovery(); }
  bool CutsPower() const override { return inner_->CutsPower(); }
  void Teardown(Target& t) override { inner_->Teardown(t); }

 private:
  std::unique_ptr<Fault> inner_;
};

// SIGKILL of every process of the cluster at the same instant (an OOM kill of the whole
// container, a node crash without power loss): backends die mid-commit too.
class ClusterKillFault : public Fault {
 public:
  std::string Name() const override { return "sigkill-cluster"; }
  FaultEvent Inject(Target& t, Rng&) override {
    const int n = dynamic_cast<PostgresTarget&>(t).SignalCluster(SIGKILL);
    FaultEvent ev;
    ev.fault = "sigkill";
    ev.detail = "postmaster and all backends: " + std::to_string(n) + " process(es)";
    ev.extra["scope"] = "cluster";
    return ev;
  }
};

std::vector<Knob> PostgresKnobs(const std::string& default_storage = "disk") {
  std::vector<Knob> k = {
      Knob::Choice("workload", "ledger", {"ledger", "bank", "critical"},
                   "ledger: orders with count/total/marker (seed 004); bank: transfers, total "
                   "conserved; critical: seed 002's users/summaries/links/usage mix"),
      Knob::Bool("fsync", true, "PostgreSQL fsync"),
      Knob::Choice("synchronous_commit", "on", {"on", "off", "local", "remote_write", "remote_apply"},
                   "PostgreSQL synchronous_commit"),
      Knob::Bool("full_page_writes", true, "PostgreSQL full_page_writes"),
      Knob::Choice("wal_sync_method", "fdatasync", {"fdatasync", "fsync", "open_datasync", "open_sync"},
                   "PostgreSQL wal_sync_method"),
      Knob::Choice("recovery_init_sync_method", "fsync", {"fsync", "syncfs"},
                   "how crash recovery first syncs the data dir (fsync: every file)"),
      Knob::Int("max_connections", 100, "PostgreSQL max_connections", 5, 10000),
      Knob::String("shared_buffers", "128MB", "PostgreSQL shared_buffers"),
      Knob::Choice("kill", "postmaster", {"postmaster", "cluster"},
                   "postmaster: SIGKILL the postmaster's process group (its children notice and "
                   "exit); cluster: SIGKILL every process of the cluster at once"),
      Knob::Bool("checkpoint_before_kill", false, "run CHECKPOINT right before each kill (seed 004)"),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
      Knob::Bool("amcheck", true, "run amcheck (bt_index_check, verify_heapam) after each recovery"),
  };
  for (auto& s : powercut::StorageKnobs(default_storage)) k.push_back(std::move(s));
  return k;
}

std::unique_ptr<Workload> MakeWorkload(const Knobs& k) {
  const std::string& w = k.Get("workload");
  if (w == "bank") return MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  if (w == "critical") return MakeCriticalWorkload();
  return MakeLedgerWorkload();
}

std::string OnOff(bool b) { return b ? "on" : "off"; }

// The storage (disk, tmpfs, crashfs) comes first: faults may need it, and it outlives
// the target (ScenarioParts::resources).
struct PgBuild {
  ScenarioParts parts;
  std::shared_ptr<powercut::Storage> storage;
  PostgresOptions options;
};

PgBuild PreparePostgres(ScenarioContext& ctx) {
  const Knobs& k = ctx.knobs;
  PgBuild b;
  b.storage = powercut::Storage::Create(powercut::StorageConfigFrom(ctx), ctx.work_dir);
  b.parts.resources.push_back(b.storage);
  PostgresOptions& o = b.options;
  o.dir = b.storage->Root();
  // Only the data dir goes on crashfs: the log and the socket stay outside the mount.
  b.storage->Place("pg/data");
  o.initdb_sync = b.storage->kind() == powercut::StorageKind::kCrashfs;
  o.workload = ParsePgWorkload(k.Get("workload"));
  o.amcheck = k.GetBool("amcheck");
  o.settings = {
      {"fsync", OnOff(k.GetBool("fsync"))},
      {"synchronous_commit", k.Get("synchronous_commit")},
      {"full_page_writes", OnOff(k.GetBool("full_page_writes"))},
      {"wal_sync_method", k.Get("wal_sync_method")},
      {"max_connections", k.Get("max_connections")},
      {"shared_buffers", k.Get("shared_buffers")},
      {"recovery_init_sync_method", k.Get("recovery_init_sync_method")},
  };
  return b;
}

ScenarioParts FinishPostgres(ScenarioContext& ctx, PgBuild b, std::unique_ptr<Fault> fault) {
  b.options.env = b.storage->Env();
  b.parts.target = std::make_unique<PostgresTarget>(b.options);
  b.parts.workload = MakeWorkload(ctx.knobs);
  b.parts.fault = std::move(fault);
  return std::move(b.parts);
}

std::string MissingPostgresOrCrashfs() {
  std::string why = MissingPostgres();
  return why.empty() ? powercut::MissingCrashfs() : why;
}

}  // namespace

CRASHLAB_SCENARIO(postgres_kill) {
  ScenarioSpec s;
  s.name = "postgres-kill";
  s.description =
      "PostgreSQL 15 under SIGKILL of the postmaster while clients commit: acknowledged "
      "transactions survive crash recovery";
  s.knobs = PostgresKnobs();
  s.default_cycles = 10;
  s.default_workers = 4;
  s.default_schedule = "ops:200-600";
  s.labels = {"postgres", "kill"};
  s.missing_prerequisite = [] { return MissingPostgres(); };
  s.build = [](ScenarioContext& ctx) {
    PgBuild b = PreparePostgres(ctx);
    const Knobs& k = ctx.knobs;
    // Scope all: the postmaster's process group. Its children called setsid(); the
    // target finds and kills them (and proves them gone) in Recover.
    std::unique_ptr<Fault> fault;
    if (k.Get("kill") == "cluster") {
      fault = std::make_unique<ClusterKillFault>();
    } else {
      fault = faults::MakeKillFault(faults::KillScope::kAll);
    }
    if (k.GetBool("checkpoint_before_kill")) fault = std::make_unique<CheckpointThenFault>(std::move(fault));
    return FinishPostgres(ctx, std::move(b), std::move(fault));
  };
  return s;
}

CRASHLAB_SCENARIO(postgres_powercut) {
  ScenarioSpec s;
  s.name = "postgres-powercut";
  s.description = "PostgreSQL 15 with its data dir on crashfs: power cut right after an acknowledged "
                  "commit; acknowledged transactions survive crash recovery";
  s.knobs = PostgresKnobs("crashfs");
  s.knobs.push_back(powercut::TornKnob());
  s.default_cycles = 3;
  s.default_workers = 4;
  s.default_schedule = "ops:200-600";
  s.labels = {"postgres", "powercut"};
  s.missing_prerequisite = MissingPostgresOrCrashfs;
  s.build = [](ScenarioContext& ctx) {
    PgBuild b = PreparePostgres(ctx);
    auto fault = powercut::MakePowerCutFault(b.storage, powercut::ParseTorn(ctx.knobs.Get("torn")));
    return FinishPostgres(ctx, std::move(b), std::move(fault));
  };
  return s;
}

CRASHLAB_SCENARIO(postgres_fsync_eio) {
  ScenarioSpec s;
  s.name = "postgres-fsync-eio";
  s.description = "PostgreSQL 15 whose fsync/fdatasync fail with EIO for a seeded window (syncfault "
                  "preload or crashfs): it must PANIC, then recover every acknowledged commit";
  s.knobs = PostgresKnobs("disk");
  s.knobs.push_back(Knob::Choice("via", "syncfault", {"syncfault", "crashfs"},
                                 "how syncs fail: our preload (libfiu crashes PostgreSQL 15), or crashfs "
                                 "(storage=crashfs)"));
  s.knobs.push_back(Knob::Int("window_min_ms", 300, "shortest window of failing syncs", 1, 600000));
  s.knobs.push_back(Knob::Int("window_max_ms", 800, "longest window of failing syncs", 1, 600000));
  s.default_cycles = 3;
  s.default_workers = 4;
  s.default_schedule = "ops:100-300";
  s.labels = {"postgres", "fsync-eio"};
  s.missing_prerequisite = [] { return MissingPostgres(); };
  s.build = [](ScenarioContext& ctx) {
    PgBuild b = PreparePostgres(ctx);
    powercut::SyncErrorOptions o;
    o.via = powercut::ParseSyncErrorVia(ctx.knobs.Get("via"));
    o.min_window = std::chrono::milliseconds(ctx.knobs.GetInt("window_min_ms"));
    o.max_window = std::chrono::milliseconds(
        std::max(ctx.knobs.GetInt("window_max_ms"), ctx.knobs.GetInt("window_min_ms")));
    o.log_markers = {"PANIC"};
    auto fault = powercut::MakeSyncErrorFault(b.storage, o);
    return FinishPostgres(ctx, std::move(b), std::move(fault));
  };
  return s;
}

}  // namespace crashlab::postgres

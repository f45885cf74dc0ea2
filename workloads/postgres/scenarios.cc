// PostgreSQL scenarios: postgres-kill (SIGKILL of the postmaster under load).
#include <signal.h>

#include <memory>

#include "faults/kill/kill_fault.h"
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

std::vector<Knob> PostgresKnobs() {
  return {
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
}

std::unique_ptr<Workload> MakeWorkload(const Knobs& k) {
  const std::string& w = k.Get("workload");
  if (w == "bank") return MakeBankWorkload(static_cast<int32_t>(k.GetInt("accounts")), 1000);
  if (w == "critical") return MakeCriticalWorkload();
  return MakeLedgerWorkload();
}

std::string OnOff(bool b) { return b ? "on" : "off"; }

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
    const Knobs& k = ctx.knobs;
    PostgresOptions o;
    o.dir = ctx.work_dir;
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
    ScenarioParts p;
    p.target = std::make_unique<PostgresTarget>(o);
    p.workload = MakeWorkload(k);
    // Scope all: the postmaster's process group. Its children called setsid(); the
    // target finds and kills them (and proves them gone) in Recover.
    if (k.Get("kill") == "cluster") {
      p.fault = std::make_unique<ClusterKillFault>();
    } else {
      p.fault = faults::MakeKillFault(faults::KillScope::kAll);
    }
    if (k.GetBool("checkpoint_before_kill")) p.fault = std::make_unique<CheckpointThenFault>(std::move(p.fault));
    return p;
  };
  return s;
}

}  // namespace crashlab::postgres

// SQLite scenarios: sqlite-kill (SIGKILL of writer agents) and sqlite-pause.
#include <chrono>

#include "faults/kill/kill_fault.h"
#include "framework/scenario.h"
#include "workloads/sqlite/sqlite_target.h"

namespace crashlab::sqlite {
namespace {

std::vector<Knob> SqliteKnobs() {
  return {
      Knob::Choice("journal_mode", "wal", {"wal", "delete", "truncate", "persist"},
                   "SQLite journal mode"),
      Knob::Choice("synchronous", "full", {"off", "normal", "full", "extra"},
                   "SQLite synchronous setting"),
      Knob::Choice("workload", "ledger", {"ledger", "bank", "kv"},
                   "ledger: orders with count/total/marker; bank: transfers, total conserved; "
                   "kv: rows, counters, lists"),
      Knob::Int("accounts", 8, "bank: number of accounts", 2, 1000000),
  };
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

ScenarioParts BuildSqlite(ScenarioContext& ctx, std::unique_ptr<Fault> fault) {
  SqliteOptions o;
  o.dir = ctx.work_dir / "data";
  o.journal_mode = ctx.knobs.Get("journal_mode");
  o.synchronous = ctx.knobs.Get("synchronous");
  o.writers = ctx.options.workers;
  ScenarioParts p;
  p.target = std::make_unique<SqliteTarget>(o);
  p.workload = MakeWorkload(ctx.knobs);
  p.fault = std::move(fault);
  return p;
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

// PostgreSQL 15 in a container (seed 001): the host's server binaries through the /usr
// bind mount, initdb in a throwaway container, the workloads/postgres libpq client on the
// bind-mounted socket dir; scenario postgres-container-restart.
#include <libpq-fe.h>

#include "faults/container/container_fault.h"
#include "faults/container/container_target.h"
#include "framework/process.h"
#include "framework/scenario.h"
#include "workloads/postgres/critical_workload.h"
#include "workloads/postgres/postgres_client.h"
#include "workloads/postgres/postgres_target.h"

namespace fs = std::filesystem;

namespace crashlab::container {
namespace {

class PostgresContainerStore : public ContainerStore {
 public:
  PostgresContainerStore(postgres::PgWorkload workload, std::map<std::string, std::string> settings,
                         bool amcheck)
      : workload_(workload),
        settings_(std::move(settings)),
        amcheck_(amcheck),
        port_(FreeLoopbackPort()) {}
  std::string Name() const override { return "postgres"; }
  std::vector<std::vector<std::string>> InitCommands() const override {
    return {{(postgres::FindPgBin() / "initdb").string(), "-D", "/data/pg", "-A", "trust", "-U", "postgres",
             "--no-sync", "--locale=C", "-E", "UTF8"}};
  }
  std::vector<std::string> Command(int) const override {
    std::vector<std::string> c = {(postgres::FindPgBin() / "postgres").string(), "-D", "/data/pg",      "-p",
                                  std::to_string(port_),           "-k", "/crashlab/run", "-c",
                                  "listen_addresses=127.0.0.1"};
    for (const auto& [k, v] : settings_) {
      c.push_back("-c");
      c.push_back(k + "=" + v);
    }
    return c;
  }
  // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to leave.
  std::string StopSignal() const override { return "SIGINT"; }
  bool Ready(int, const ContainerPaths& paths, Millis) override {
    return PQping(ConnInfo(paths).c_str()) == PQPING_OK;
  }
  std::unique_ptr<Client> NewClient(int, int, const ContainerPaths& paths) override {
    postgres::PgClientOptions o;
    o.conninfo = ConnInfo(paths);
    o.workload = workload_;
    o.amcheck = amcheck_;
    return std::make_unique<postgres::PostgresClient>(o);
  }
  std::string DataFile() const override { return "pg"; }
  std::map<std::string, std::string> Config() const override {
    auto c = std::map<std::string, std::string>{{"postgres.port", std::to_string(port_)},
                                                {"postgres.bin", postgres::FindPgBin().string()}};
    for (const auto& [k, v] : settings_) c["postgres." + k] = v;
    return c;
  }

 private:
  std::string ConnInfo(const ContainerPaths& paths) const {
    return "host=" + paths.run.string() + " port=" + std::to_string(port_) +
           " user=postgres dbname=postgres connect_timeout=5";
  }
  postgres::PgWorkload workload_;
  std::map<std::string, std::string> settings_;
  bool amcheck_;
  int port_;
};

std::string MissingPostgresContainer() {
  if (auto m = postgres::MissingPostgres(); !m.empty()) return m;
  return MissingContainerEngine();
}

}  // namespace

CRASHLAB_SCENARIO(postgres_container_restart) {
  ScenarioSpec s;
  s.name = "postgres-container-restart";
  s.description =
      "seed 001: PostgreSQL 15 in a container of a private podman/docker engine, data on a bind "
      "mount or a named volume; kill/stop/restart/pause/restart-policy/recreate cycles";
  s.knobs = ContainerFaultKnobs({"bind", "volume"});
  s.knobs.insert(
      s.knobs.end(),
      {
          Knob::Choice("workload", "ledger", {"ledger", "bank", "critical"}, "see postgres-kill"),
          Knob::Bool("fsync", true, "PostgreSQL fsync"),
          Knob::Choice("synchronous_commit", "on", {"on", "off", "local"},
                       "PostgreSQL synchronous_commit"),
          Knob::Bool("amcheck", true, "run amcheck after each recovery"),
      });
  s.default_cycles = 5;
  s.default_workers = 4;
  s.default_schedule = "ops:100-400";
  s.labels = {"postgres", "container"};
  s.missing_prerequisite = MissingPostgresContainer;
  s.build = [](ScenarioContext& ctx) {
    const Knobs& k = ctx.knobs;
    auto res = MakeEngineResource(k.Get("engine"));
    const ContainerAction action = ParseAction(k.Get("fault"));
    ContainerTargetOptions o;
    o.engine = res->engine;
    o.dir = ctx.work_dir / "store";
    o.name = "crashlab-postgres";
    o.storage = ParseStorage(k.Get("mount"));
    o.ready_timeout = Millis(60000);
    if (action == ContainerAction::kPolicy) {
      o.restart_policy = k.Get("policy");
      o.ready_timeout = std::max(o.ready_timeout, kPolicyReadyTimeout);
    }
    const auto workload = postgres::ParsePgWorkload(k.Get("workload"));
    auto store = std::make_unique<PostgresContainerStore>(
        workload,
        std::map<std::string, std::string>{{"fsync", k.GetBool("fsync") ? "on" : "off"},
                                           {"synchronous_commit", k.Get("synchronous_commit")}},
        k.GetBool("amcheck"));
    ScenarioParts p;
    p.resources.push_back(res);
    p.target = std::make_unique<ContainerTarget>(std::move(o), std::move(store));
    const std::string& w = k.Get("workload");
    p.workload = w == "bank"       ? MakeBankWorkload(8, 1000)
                 : w == "critical" ? postgres::MakeCriticalWorkload()
                                   : MakeLedgerWorkload();
    ContainerFaultOptions fo;
    fo.action = action;
    fo.pause_hold = Millis(k.GetInt("hold_ms"));
    p.fault = MakeContainerFault(fo);
    return p;
  };
  return s;
}

}  // namespace crashlab::container

// PostgreSQL in a container: the host's server binaries through the /usr bind mount,
// initdb in a throwaway container, the libpq client on the bind-mounted socket dir.
#include "workloads/postgres/container_store.h"

#include <libpq-fe.h>

#include "framework/process.h"
#include "workloads/container/container_host.h"
#include "workloads/container/container_target.h"
#include "workloads/postgres/pg_bin.h"
#include "workloads/postgres/postgres_client.h"

namespace fs = std::filesystem;

namespace crashlab::postgres {
namespace {

using namespace crashlab::container;

class PostgresContainerStore : public ContainerStore {
 public:
  // `bin`: the host's server programs, seen at the same path through the /usr mount.
  PostgresContainerStore(PgWorkload workload, std::map<std::string, std::string> settings,
                         bool amcheck, fs::path bin)
      : workload_(workload),
        settings_(std::move(settings)),
        amcheck_(amcheck),
        bin_(std::move(bin)),
        port_(FreeLoopbackPort()) {}
  std::string Name() const override { return "postgres"; }
  std::vector<std::vector<std::string>> InitCommands() const override {
    return {{(bin_ / "initdb").string(), "-D", "/data/pg", "-A", "trust", "-U", "postgres",
             "--no-sync", "--locale=C", "-E", "UTF8"}};
  }
  std::vector<std::string> Command(int) const override {
    std::vector<std::string> c = {(bin_ / "postgres").string(), "-D", "/data/pg",      "-p",
                                  std::to_string(port_),        "-k", "/crashlab/run", "-c",
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
    PgClientOptions o;
    o.conninfo = ConnInfo(paths);
    o.workload = workload_;
    o.amcheck = amcheck_;
    return std::make_unique<PostgresClient>(o);
  }
  std::string DataFile() const override { return "pg"; }
  std::map<std::string, std::string> Config() const override {
    auto c = std::map<std::string, std::string>{{"postgres.port", std::to_string(port_)},
                                                {"postgres.bin", bin_.string()},
                                                {"postgres.server_version", PgServerVersion(bin_)}};
    for (const auto& [k, v] : settings_) c["postgres." + k] = v;
    return c;
  }

 private:
  std::string ConnInfo(const ContainerPaths& paths) const {
    return "host=" + paths.run.string() + " port=" + std::to_string(port_) +
           " user=postgres dbname=postgres connect_timeout=5";
  }
  PgWorkload workload_;
  std::map<std::string, std::string> settings_;
  bool amcheck_;
  fs::path bin_;
  int port_;
};

}  // namespace

StoreParts BuildPostgresContainer(StoreContext& ctx, PgWorkload workload,
                                  std::map<std::string, std::string> settings,
                                  std::unique_ptr<Workload> w) {
  ContainerHost host = MakeContainerHost(ctx, "postgres", {"bind", "volume"});
  host.options.ready_timeout = std::max(host.options.ready_timeout, Millis(60000));
  const fs::path bin = FindPgBin(ctx.knobs.Get("pg_bin"));
  if (bin.string().rfind("/usr/", 0) != 0) {
    throw UsageError("pg_bin=" + bin.string() + ": containers see the host's /usr only", "pg_bin");
  }
  auto store = std::make_unique<PostgresContainerStore>(workload, std::move(settings),
                                                        ctx.knobs.GetBool("amcheck"), bin);
  return ContainerParts(std::move(host), std::move(store), std::move(w));
}

}  // namespace crashlab::postgres

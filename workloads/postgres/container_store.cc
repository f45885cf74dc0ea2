// PostgreSQL in a container: the host's server binaries through the /usr bind mount,
// initdb in a throwaway container, the libpq client on the bind-mounted socket dir.
#include "workloads/postgres/container_store.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include "framework/process.h"
#include "workloads/container/container_host.h"
#include "workloads/container/container_target.h"
#include "workloads/postgres/pg_bin.h"
#include "workloads/postgres/postgres_client.h"
#include "workloads/postgres/postgres_target.h"

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
        port_(FreeLoopbackPort()),
        password_(RandomPassword()) {}
  std::string Name() const override { return "postgres"; }
  std::vector<std::vector<std::string>> InitCommands() const override {
    // No open door: the container shares the host's network, so every connection needs
    // the run's random password (scram-sha-256); initdb reads it from a 0600 file.
    return {{(bin_ / "initdb").string(), "-D", "/data/pg", "-A", "scram-sha-256",
             "--pwfile=/crashlab/run/pwfile", "-U", "postgres", "--no-sync", "--locale=C", "-E",
             "UTF8"}};
  }
  void Setup(const ContainerPaths& paths) override {
    pwfile_ = paths.run / "pwfile";
    struct stat st {};
    if (::stat(paths.run.c_str(), &st) != 0)
      throw std::runtime_error("postgres: cannot stat " + paths.run.string());
    const UniqueFd fd(::open(pwfile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    const std::string line = password_ + "\n";
    if (!fd || ::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fchown(fd.get(), st.st_uid, st.st_gid) != 0)
      throw std::runtime_error("postgres: cannot write " + pwfile_.string());
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
    if (!pwfile_.empty()) {  // initdb has run: the password file has done its job
      std::error_code ec;
      fs::remove(pwfile_, ec);
      pwfile_.clear();
    }
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
           " user=postgres dbname=postgres connect_timeout=5 password=" + password_;
  }
  PgWorkload workload_;
  std::map<std::string, std::string> settings_;
  bool amcheck_;
  fs::path bin_;
  int port_;
  std::string password_;  // never in argv, logs or reports
  fs::path pwfile_;       // host path of initdb's password file until the server is up
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

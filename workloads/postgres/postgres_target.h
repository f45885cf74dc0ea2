// PostgreSQL as a target: a throwaway PostgreSQL cluster (the server version found by
// FindPgBin) whose postmaster is a direct child of the runner (never pg_ctl), dropped to
// an unprivileged user, loopback only.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/capabilities.h"
#include "framework/process.h"
#include "framework/target.h"
#include "workloads/postgres/pg_bin.h"

namespace crashlab::postgres {

// Which schema and mapping of ops onto SQL the clients use.
enum class PgWorkload { kLedger, kBank, kCritical };
PgWorkload ParsePgWorkload(const std::string& name);  // ledger | bank | critical

// Pacing of the readiness probe: after no answer, and after "starting up".
inline constexpr int kPingPauseMs = 2;
inline constexpr int kPingRejectedPauseMs = 5;

struct PostgresOptions {
  std::filesystem::path dir;  // work dir: pg/data, pg/sock, postgres.log
  // The server programs (initdb, postgres, pgbench, ...): "" = FindPgBin(). The target
  // resolves it at construction; options().bin_dir is the directory in use.
  std::filesystem::path bin_dir;
  PgWorkload workload = PgWorkload::kLedger;
  // Server settings passed as -c NAME=VALUE (fsync, synchronous_commit, ...).
  std::map<std::string, std::string> settings;
  // Run amcheck (bt_index_check with heapallindexed, verify_heapam) in ReadState.
  bool amcheck = true;
  // Unprivileged account to run as when the runner is root ("" = postgres, else nobody).
  std::string user;
  std::chrono::milliseconds ready_timeout{60000};
  // Extra environment for the server (e.g. the syncfault preload).
  std::map<std::string, std::string> env;
  // Let initdb sync what it wrote (no --no-sync): on storage that can lose unsynced data
  // (crashfs) the fresh cluster must be durable before the first power cut.
  bool initdb_sync = false;
};

// The server binaries are present ("" if so, else why not); bin_dir "" = FindPgBin().
// A fresh random password (48 hex digits from getrandom) for a cluster's superuser.
std::string RandomPassword();

std::string MissingPostgres(const std::filesystem::path& bin_dir = {});

class PostgresTarget : public Target,
                       public Checkpointer,
                       public ClusterSignaller,
                       public ClientEnvironment {
 public:
  explicit PostgresTarget(PostgresOptions options);
  ~PostgresTarget() override;

  std::string Name() const override { return "postgres"; }
  void Start() override;
  void Stop() override;
  void Recover() override;
  std::vector<Process*> Processes() override;
  std::filesystem::path DataDir() const override { return data_; }
  std::unique_ptr<Client> NewClient(int worker) override;
  std::string LogExcerpt() const override;
  std::map<std::string, std::string> Config() const override;
  // PGHOST (the socket dir), PGPORT, PGUSER, PGDATABASE, PGPASSWORD for libpq tools.
  std::map<std::string, std::string> ClientEnv() const override;

  // libpq connection string for the unix socket of this cluster.
  std::string ConnInfo(const std::string& dbname = "postgres") const;
  int port() const { return port_; }
  // The run's random password (scram-sha-256); for programs that need it in their
  // environment (PGPASSWORD), never for argv, logs or reports.
  const std::string& password() const { return password_; }
  const std::filesystem::path& socket_dir() const { return sock_; }
  const PostgresOptions& options() const { return options_; }
  // Pid of the running postmaster (-1 if none).
  pid_t postmaster_pid() const { return postmaster_.pid(); }
  // Runs CHECKPOINT on the running server; throws on failure.
  void Checkpoint() override;
  // Kills the postmaster and every process of this cluster (found by working directory:
  // PostgreSQL children call setsid(), so they are not in the postmaster's group), and
  // proves them gone. Throws std::runtime_error if one survives.
  void KillCluster();
  // How the postmaster is spawned (for benchmarks that drive a bare restart loop).
  ProcessOptions PostmasterOptions() const;
  // Sends `sig` at once to the postmaster's group and every process of the cluster
  // (backends included); returns how many processes it signalled. Proves nothing.
  int SignalCluster(int sig) override;
  // The user the server runs as (nullopt: the runner's own user).
  const std::optional<UserId>& run_as() const { return user_; }
  // The server's version ("15.18"), from `postgres --version`.
  const std::string& server_version() const { return server_version_; }

 private:
  void InitDb();
  // Throws std::runtime_error (one line) if the server's user cannot run the server or
  // read a library it must preload (options().env's LD_PRELOAD): a preload ld.so cannot
  // read is ignored with a warning, and the run would go on without its fault.
  void CheckRunAsCanReachHelpers() const;
  void StartPostmaster();
  void WaitReady();
  // Pids whose working directory is the data dir (the cluster's processes).
  std::vector<pid_t> ClusterPids() const;

  // Records the cluster's System V segment (postmaster.pid names it) for removal.
  void NoteSharedMemory();
  // Removes the recorded segments nothing is attached to any more (a killed cluster's;
  // a restart after a power cut may not find the old one and leaves it forever).
  void RemoveSharedMemory();
  // The first FATAL/PANIC line of the server log ("" if none): the server's own reason.
  std::string StartupError() const;

  PostgresOptions options_;
  std::filesystem::path root_, data_, sock_, log_;
  std::string password_;                             // random per target, scram-sha-256
  std::vector<std::pair<int, long long>> segments_;  // SysV shm: id, key
  std::optional<UserId> user_;
  std::string server_version_;
  int port_ = 0;
  Process postmaster_;
  bool initialized_ = false;
  bool helpers_checked_ = false;
};

}  // namespace crashlab::postgres

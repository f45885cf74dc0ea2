// SQLite as a target: N writer agents (child processes embedding SQLite) on one
// database file; the runner SIGKILLs agents, never itself.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "framework/process.h"
#include "framework/target.h"

namespace crashlab::sqlite {

struct SqliteOptions {
  std::filesystem::path dir;         // the database lives at dir/crashlab.db
  std::string journal_mode = "wal";  // wal | delete | truncate | persist
  std::string synchronous = "full";  // off | normal | full | extra
  int writers = 1;                   // concurrent writer agent processes
  // Extra environment for the agents (e.g. an LD_PRELOAD fault library).
  std::map<std::string, std::string> agent_env;
  // Program prefix (e.g. {"fiu-run", "-x", ...}) the agent runs under.
  std::vector<std::string> agent_wrapper;
};

// The agent binary: $CRASHLAB_SQLITE_AGENT, else the helper crashlab-sqlite-agent found by
// crashlab::HelperProgramOrExpected (libexec/crashlab/ of the build or install tree; if
// it is missing, where it belongs).
std::filesystem::path AgentPath();

class SqliteTarget : public Target {
 public:
  explicit SqliteTarget(SqliteOptions options);
  ~SqliteTarget() override;

  std::string Name() const override { return "sqlite"; }
  void Start() override;
  void Stop() override;
  void Recover() override;
  std::vector<Process*> Processes() override;
  std::filesystem::path DataDir() const override { return options_.dir; }
  std::unique_ptr<Client> NewClient(int worker) override;
  std::string LogExcerpt() const override;
  std::map<std::string, std::string> Config() const override;

  std::filesystem::path DbPath() const { return options_.dir / "crashlab.db"; }
  SqliteOptions& options() { return options_; }

  struct Agent;

 private:
  void SpawnAgents();
  void KillAgents();

  SqliteOptions options_;
  std::vector<std::shared_ptr<Agent>> agents_;
  std::filesystem::path log_;
};

// Creates the bank workload's accounts (idempotent: existing ones are kept). Throws on
// failure to open or write.
void PrepareSqliteAccounts(const std::filesystem::path& db, const DataModel& model);

// Reads the whole observed state of a crashlab SQLite database (integrity_check,
// orders with count/sum, markers, accounts, counters, lists). Throws on open failure.
ObservedState ReadSqliteState(const std::filesystem::path& db);

}  // namespace crashlab::sqlite

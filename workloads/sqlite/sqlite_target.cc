// SqliteTarget: spawning, killing and re-spawning writer agents; the client that talks
// to an agent over its pipes; reading the database back for the checkers.
#include "workloads/sqlite/sqlite_target.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "framework/helpers.h"
#include "framework/unique_fd.h"
#include "framework/workload.h"
#include "workloads/sqlite/protocol.h"
#include "workloads/sqlite/schema.h"

namespace fs = std::filesystem;

namespace crashlab::sqlite {

namespace {
constexpr const char* kAgentName = "crashlab-sqlite-agent";
}  // namespace

fs::path AgentPath() {
  if (const char* p = std::getenv("CRASHLAB_SQLITE_AGENT"); p && *p) return p;
  return HelperProgramOrExpected(kAgentName);
}

struct SqliteTarget::Agent {
  Process process;
  UniqueFd to_agent;    // runner writes ops here
  UniqueFd from_agent;  // runner reads outcomes here
};

namespace {

// Reads one byte, waiting at most timeout_ms (-1: forever). Returns -1 on EOF/error,
// -2 on timeout.
int ReadByte(int fd, int timeout_ms) {
  for (;;) {
    if (timeout_ms >= 0) {
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, timeout_ms);
      if (r == 0) return -2;
      if (r < 0 && errno == EINTR) continue;
    }
    unsigned char c;
    const ssize_t r = ::read(fd, &c, 1);
    if (r == 1) return c;
    if (r < 0 && errno == EINTR) continue;
    return -1;
  }
}

class SqliteClient : public Client {
 public:
  SqliteClient(std::shared_ptr<SqliteTarget::Agent> agent, fs::path db)
      : agent_(std::move(agent)), db_(std::move(db)) {}

  void Prepare(const DataModel& model) override { PrepareSqliteAccounts(db_, model); }

  Outcome Apply(const Op& op) override {
    if (agent_ == nullptr || !agent_->to_agent) return Outcome::kFail;  // never sent
    if (!WriteFull(agent_->to_agent.get(), &op, sizeof op)) return Outcome::kUnknown;
    const int b = ReadByte(agent_->from_agent.get(), -1);
    if (b < 0 || b > static_cast<int>(Outcome::kUnknown)) return Outcome::kUnknown;
    return static_cast<Outcome>(b);
  }

  ObservedState ReadState() override { return ReadSqliteState(db_); }

 private:
  std::shared_ptr<SqliteTarget::Agent> agent_;
  fs::path db_;
};

}  // namespace

SqliteTarget::SqliteTarget(SqliteOptions options) : options_(std::move(options)) {
  if (options_.writers < 1) throw std::invalid_argument("sqlite: writers must be >= 1");
  log_ = options_.dir.parent_path() / "sqlite-agents.log";
}

SqliteTarget::~SqliteTarget() { KillAgents(); }

void SqliteTarget::Start() {
  fs::create_directories(options_.dir);
  SpawnAgents();
}

void SqliteTarget::Stop() {
  // Closing the request pipe ends an agent's loop; it closes the database cleanly.
  for (auto& a : agents_) a->to_agent.reset();
  for (auto& a : agents_) a->process.Stop(Millis(5000));
  agents_.clear();
}

void SqliteTarget::KillAgents() {
  for (auto& a : agents_) a->process.KillAndReap();
  agents_.clear();
}

void SqliteTarget::Recover() {
  // KillAndReap proves every old agent gone (reaped, pid and group absent) first.
  KillAgents();
  SpawnAgents();
}

void SqliteTarget::SpawnAgents() {
  const fs::path exe = AgentPath();
  if (!fs::exists(exe)) {
    // Without the override, HelperProgram throws naming every place it looked in.
    if (std::getenv("CRASHLAB_SQLITE_AGENT") == nullptr) HelperProgram(kAgentName);
    throw std::runtime_error("sqlite agent not found at " + exe.string());
  }
  for (int i = 0; i < options_.writers; ++i) {
    PipeFds req, rep;
    if (OpenPipe(&req) != 0 || OpenPipe(&rep) != 0) {
      throw std::runtime_error(std::string("pipe: ") + strerror(errno));
    }
    ProcessOptions po;
    po.argv = options_.agent_wrapper;
    po.argv.push_back(exe.string());
    for (const auto& a :
         {std::string("--db"), DbPath().string(), std::string("--journal-mode"),
          options_.journal_mode, std::string("--synchronous"), options_.synchronous}) {
      po.argv.push_back(a);
    }
    po.env = options_.agent_env;
    po.log = log_;
    po.fds = {{kAgentRequestFd, req.read_end.get()}, {kAgentReplyFd, rep.write_end.get()}};
    auto agent = std::make_shared<Agent>();
    agent->process = Process::Spawn(po);
    req.read_end.reset();  // the agent's ends: EOF must reach both sides when one dies
    rep.write_end.reset();
    agent->to_agent = std::move(req.write_end);
    agent->from_agent = std::move(rep.read_end);
    agents_.push_back(agent);
    // Readiness: the agent opened the database (running recovery), set its pragmas and
    // created the schema, then said so. One agent at a time: two agents switching a fresh
    // database (or one a power cut emptied) to WAL at once get "database is locked"
    // (SQLite does not call the busy handler there).
    auto& a = agents_.back();
    const int b = ReadByte(a->from_agent.get(), 30000);
    if (b == kReady) continue;
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(a->from_agent.get(), buf, sizeof buf)) > 0)
      msg.append(buf, static_cast<size_t>(n));
    a->process.WaitFor(Millis(2000));
    const std::string why =
        b == -2 ? "not ready after 30 s"
                : "agent " + a->process.DescribeExit() + (msg.empty() ? "" : ": " + msg);
    KillAgents();
    throw Unrecoverable("sqlite database " + DbPath().string() + " cannot be opened: " + why,
                        LogExcerpt());
  }
}

std::vector<Process*> SqliteTarget::Processes() {
  std::vector<Process*> out;
  for (auto& a : agents_) out.push_back(&a->process);
  return out;
}

std::unique_ptr<Client> SqliteTarget::NewClient(int worker) {
  std::shared_ptr<Agent> agent;
  if (!agents_.empty() && worker >= 0)
    agent = agents_[static_cast<size_t>(worker) % agents_.size()];
  return std::make_unique<SqliteClient>(std::move(agent), DbPath());
}

std::string SqliteTarget::LogExcerpt() const { return TailFile(log_, 20); }

std::map<std::string, std::string> SqliteTarget::Config() const {
  return {{"sqlite.version", sqlite3_libversion()},
          {"sqlite.journal_mode", options_.journal_mode},
          {"sqlite.synchronous", options_.synchronous},
          {"sqlite.writers", std::to_string(options_.writers)},
          {"sqlite.agent", AgentPath().string()},
          {"sqlite.db", DbPath().string()}};
}

namespace {
struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};
template <typename F>
void Query(sqlite3* db, const char* sql, F&& row) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("query '") + sql + "': " + sqlite3_errmsg(db));
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE)
    throw std::runtime_error(std::string("query '") + sql + "': " + sqlite3_errstr(rc));
}
}  // namespace

void PrepareSqliteAccounts(const fs::path& path, const DataModel& model) {
  if (model.accounts <= 0) return;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string m = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("prepare: open " + path.string() + ": " + m);
  }
  sqlite3_busy_timeout(db, 10000);
  std::string sql = "BEGIN IMMEDIATE;";
  for (int32_t a = 0; a < model.accounts; ++a) {
    sql += "INSERT OR IGNORE INTO accounts(id, balance) VALUES(" + std::to_string(a) + "," +
           std::to_string(model.initial_balance) + ");";
  }
  sql += "COMMIT;";
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string m = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("prepare accounts: " + m);
}

ObservedState ReadSqliteState(const fs::path& path) {
  Db d;
  if (sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    throw std::runtime_error("open " + path.string() + ": " + sqlite3_errmsg(d.db));
  }
  sqlite3_busy_timeout(d.db, 10000);
  ObservedState st;
  std::string integrity;
  Query(d.db, "PRAGMA integrity_check", [&](sqlite3_stmt* s) {
    if (!integrity.empty()) integrity += "; ";
    integrity += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  });
  st.integrity_ok = integrity == "ok";
  st.integrity_detail = integrity;
  // Tables may be missing if the very first transaction was lost: treat as empty.
  bool has_schema = false;
  Query(d.db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='orders'",
        [&](sqlite3_stmt* s) { has_schema = sqlite3_column_int(s, 0) == 1; });
  if (!has_schema) return st;
  Query(d.db, "SELECT id, amount FROM orders", [&](sqlite3_stmt* s) {
    st.rows.emplace_back(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
  });
  Query(d.db, "SELECT count(*), coalesce(sum(amount), 0) FROM orders", [&](sqlite3_stmt* s) {
    st.row_count = sqlite3_column_int64(s, 0);
    st.row_total = sqlite3_column_int64(s, 1);
  });
  Query(d.db, "SELECT name FROM markers", [&](sqlite3_stmt* s) {
    if (auto k = ParseMarkerName(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)))) {
      st.markers.push_back(*k);
    } else {
      st.markers.push_back(-1);  // an unparsable marker is a phantom
    }
  });
  Query(d.db, "SELECT id, balance FROM accounts", [&](sqlite3_stmt* s) {
    st.accounts.emplace_back(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
  });
  Query(d.db, "SELECT id, value FROM counters", [&](sqlite3_stmt* s) {
    st.counters.emplace_back(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
  });
  Query(d.db, "SELECT list, elem FROM lists ORDER BY list, rowid", [&](sqlite3_stmt* s) {
    const int64_t l = sqlite3_column_int64(s, 0);
    if (st.lists.empty() || st.lists.back().first != l) st.lists.push_back({l, {}});
    st.lists.back().second.push_back(sqlite3_column_int64(s, 1));
  });
  return st;
}

}  // namespace crashlab::sqlite

// SQLite in containers: the SQLite agent (workloads/sqlite) in --listen mode, one agent
// container per worker on one database; scenarios sqlite-container-restart and
// sqlite-multi-container.
#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "faults/container/container_fault.h"
#include "faults/container/container_target.h"
#include "framework/process.h"
#include "framework/scenario.h"
#include "workloads/sqlite/protocol.h"
#include "workloads/sqlite/sqlite_target.h"

namespace fs = std::filesystem;

namespace crashlab::container {
namespace {

constexpr const char* kAgentInside = "/crashlab/bin/crashlab-sqlite-agent";

// Connects to an agent's socket and waits for its greeting. -1 if it does not answer
// within `timeout` (refused, missing socket, frozen agent).
int ConnectAgent(const fs::path& sock, Millis timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (sock.string().size() >= sizeof addr.sun_path) return -1;
  std::strcpy(addr.sun_path, sock.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // a full backlog blocks connect
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLIN, 0};
  char c = 0;
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 || ::read(fd, &c, 1) != 1 ||
      c != sqlite::kReady) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class SocketClient : public Client {
 public:
  SocketClient(fs::path sock, fs::path db, Millis op_timeout)
      : sock_(std::move(sock)), db_(std::move(db)), timeout_(op_timeout) {}
  ~SocketClient() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void Prepare(const DataModel& model) override { sqlite::PrepareSqliteAccounts(db_, model); }

  Outcome Apply(const Op& op) override {
    if (fd_ < 0) {
      fd_ = ConnectAgent(sock_, timeout_);
      if (fd_ < 0) {
        // Never sent: definitely not applied. Back off: the container is restarting.
        std::this_thread::sleep_for(Millis(5));
        return Outcome::kFail;
      }
    }
    if (::send(fd_, &op, sizeof op, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof op)) return Drop();
    pollfd p{fd_, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    } while (r < 0 && errno == EINTR);
    unsigned char b = 0;
    // Timeout (frozen container), EOF (killed agent): the op may or may not have happened.
    if (r != 1 || ::read(fd_, &b, 1) != 1 || b > static_cast<unsigned char>(Outcome::kUnknown)) {
      return Drop();
    }
    return static_cast<Outcome>(b);
  }

  // The runner reads the file in place, as root, while the agents run (they hold -wal
  // and -shm open, so nothing root-owned appears in the store's dir; the fault records
  // the owners after every cycle).
  ObservedState ReadState() override { return sqlite::ReadSqliteState(db_); }

 private:
  Outcome Drop() {
    // A late reply on this connection would answer the next op: never reuse it.
    ::close(fd_);
    fd_ = -1;
    return Outcome::kUnknown;
  }
  fs::path sock_, db_;
  Millis timeout_;
  int fd_ = -1;
};

class SqliteContainerStore : public ContainerStore {
 public:
  SqliteContainerStore(std::string journal, std::string sync, Millis op_timeout)
      : journal_(std::move(journal)), sync_(std::move(sync)), op_timeout_(op_timeout) {}
  std::string Name() const override { return "sqlite"; }
  std::vector<std::string> Command(int index) const override {
    return {kAgentInside,
            "--db",
            "/data/crashlab.db",
            "--journal-mode",
            journal_,
            "--synchronous",
            sync_,
            "--listen",
            "/crashlab/run/" + SocketName(index)};
  }
  std::vector<std::pair<std::string, std::string>> ExtraMounts() const override {
    return {{sqlite::AgentPath().string(), kAgentInside}};
  }
  bool Ready(int index, const ContainerPaths& paths, Millis timeout) override {
    const int fd = ConnectAgent(paths.run / SocketName(index), timeout);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }
  std::unique_ptr<Client> NewClient(int, int index, const ContainerPaths& paths) override {
    return std::make_unique<SocketClient>(paths.run / SocketName(index), paths.data / "crashlab.db",
                                          op_timeout_);
  }
  std::string DataFile() const override { return "crashlab.db"; }
  std::map<std::string, std::string> Config() const override {
    return {{"sqlite.version", sqlite3_libversion()},
            {"sqlite.journal_mode", journal_},
            {"sqlite.synchronous", sync_},
            {"sqlite.transport", "unix socket in a bind-mounted dir (agent --listen)"},
            {"client.op_timeout_ms", std::to_string(op_timeout_.count())}};
  }

 private:
  static std::string SocketName(int index) { return "agent-" + std::to_string(index) + ".sock"; }
  std::string journal_, sync_;
  Millis op_timeout_;
};

std::vector<Knob> ContainerKnobs(const std::string& fault, const std::string& scope) {
  std::vector<Knob> k = ContainerFaultKnobs({"bind", "volume", "none"}, fault);
  k.insert(k.end(),
           {
               Knob::Choice("scope", scope, {"all", "one", "some"},
                            "which containers a cycle hits (seeded)"),
               Knob::Int("op_timeout_ms", 1000, "client timeout per op (a frozen store -> unknown)",
                         10, 600000),
               Knob::Choice("journal_mode", "wal", {"wal", "delete", "truncate", "persist"},
                            "SQLite journal mode"),
               Knob::Choice("synchronous", "full", {"off", "normal", "full", "extra"},
                            "SQLite synchronous"),
               Knob::Choice("workload", "ledger", {"ledger", "bank", "kv"},
                            "ledger, bank transfers or key-value"),
           });
  return k;
}

std::string MissingSqliteContainer() {
  if (!fs::exists(sqlite::AgentPath()))
    return "sqlite agent not built: " + sqlite::AgentPath().string();
  return MissingContainerEngine();
}

ScenarioParts BuildSqliteContainer(ScenarioContext& ctx) {
  const Knobs& k = ctx.knobs;
  const ContainerAction action = ParseAction(k.Get("fault"));
  const Storage storage = ParseStorage(k.Get("mount"));
  if (storage == Storage::kNone && ctx.options.workers > 1) {
    throw UsageError("mount=none keeps the database in one container's layer: use --workers 1");
  }
  auto res = MakeEngineResource(k.Get("engine"));
  ContainerTargetOptions o;
  o.engine = res->engine;
  o.dir = ctx.work_dir / "store";
  o.name = "crashlab-sqlite";
  o.containers = ctx.options.workers;  // one agent (one connection at a time) per worker
  o.storage = storage;
  if (action == ContainerAction::kPolicy) {
    o.restart_policy = k.Get("policy");
    o.ready_timeout = std::max(o.ready_timeout, kPolicyReadyTimeout);
  }
  auto store = std::make_unique<SqliteContainerStore>(k.Get("journal_mode"), k.Get("synchronous"),
                                                      Millis(k.GetInt("op_timeout_ms")));
  ScenarioParts p;
  p.resources.push_back(res);
  p.target = std::make_unique<ContainerTarget>(std::move(o), std::move(store));
  const std::string& w = k.Get("workload");
  p.workload = w == "bank" ? MakeBankWorkload(8, 1000)
               : w == "kv" ? MakeKeyValueWorkload()
                           : MakeLedgerWorkload();
  ContainerFaultOptions fo;
  fo.action = action;
  fo.scope = k.Get("scope");
  fo.pause_hold = Millis(k.GetInt("hold_ms"));
  p.fault = MakeContainerFault(fo);
  return p;
}

}  // namespace

CRASHLAB_SCENARIO(sqlite_container_restart) {
  ScenarioSpec s;
  s.name = "sqlite-container-restart";
  s.description =
      "SQLite agent in a container of a private podman/docker engine: kill/stop/restart/pause/"
      "restart-policy/recreate cycles with bind, volume or no mount";
  s.knobs = ContainerKnobs("kill", "all");
  s.default_cycles = 5;
  s.default_workers = 1;
  s.default_schedule = "ops:20-200";
  s.labels = {"sqlite", "container"};
  s.missing_prerequisite = MissingSqliteContainer;
  s.build = BuildSqliteContainer;
  return s;
}

CRASHLAB_SCENARIO(sqlite_multi_container) {
  ScenarioSpec s;
  s.name = "sqlite-multi-container";
  s.description =
      "seed 000: N containers (one per worker) write one WAL database on a shared bind mount "
      "while containers are killed at random; integrity and every acknowledged row must hold";
  s.knobs = ContainerKnobs("kill", "some");
  s.default_cycles = 6;
  s.default_workers = 3;
  s.default_schedule = "ops:50-400";
  s.labels = {"sqlite", "container", "multi-writer"};
  s.missing_prerequisite = MissingSqliteContainer;
  s.build = BuildSqliteContainer;
  return s;
}

}  // namespace crashlab::container

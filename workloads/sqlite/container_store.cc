// SQLite in containers: the SQLite agent (workloads/sqlite) in --listen mode, one agent
// container per worker on one database.
#include "workloads/sqlite/container_store.h"

#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "framework/process.h"
#include "framework/unique_fd.h"
#include "workloads/container/container_host.h"
#include "workloads/container/container_target.h"
#include "workloads/sqlite/protocol.h"
#include "workloads/sqlite/sqlite_target.h"

namespace fs = std::filesystem;

namespace crashlab::sqlite {
namespace {

using namespace crashlab::container;

constexpr const char* kAgentInside = "/crashlab/bin/crashlab-sqlite-agent";

// Connects to an agent's socket and waits for its greeting. None if it does not answer
// within `timeout` (refused, missing socket, frozen agent).
UniqueFd ConnectAgent(const fs::path& sock, Millis timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (sock.string().size() >= sizeof addr.sun_path) return {};
  std::strcpy(addr.sun_path, sock.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // a full backlog blocks connect
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  pollfd p{fd.get(), POLLIN, 0};
  char c = 0;
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 || ::read(fd.get(), &c, 1) != 1 ||
      c != kReady) {
    return {};
  }
  return fd;
}

class SocketClient : public Client {
 public:
  SocketClient(fs::path sock, fs::path db, Millis op_timeout)
      : sock_(std::move(sock)), db_(std::move(db)), timeout_(op_timeout) {}
  void Prepare(const DataModel& model) override { PrepareSqliteAccounts(db_, model); }

  Outcome Apply(const Op& op) override {
    if (!fd_) {
      fd_ = ConnectAgent(sock_, timeout_);
      if (!fd_) {
        // Never sent: definitely not applied. Back off: the container is restarting.
        std::this_thread::sleep_for(Millis(5));
        return Outcome::kFail;
      }
    }
    if (::send(fd_.get(), &op, sizeof op, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof op)) {
      return Drop();
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    } while (r < 0 && errno == EINTR);
    unsigned char b = 0;
    // Timeout (frozen container), EOF (killed agent): the op may or may not have happened.
    if (r != 1 || ::read(fd_.get(), &b, 1) != 1 ||
        b > static_cast<unsigned char>(Outcome::kUnknown)) {
      return Drop();
    }
    return static_cast<Outcome>(b);
  }

  // The runner reads the file in place, as root, while the agents run (they hold -wal
  // and -shm open, so nothing root-owned appears in the store's dir; the fault records
  // the owners after every cycle).
  ObservedState ReadState() override { return ReadSqliteState(db_); }

 private:
  Outcome Drop() {
    // A late reply on this connection would answer the next op: never reuse it.
    fd_.reset();
    return Outcome::kUnknown;
  }
  fs::path sock_, db_;
  Millis timeout_;
  UniqueFd fd_;
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
    return {{AgentPath().string(), kAgentInside}};
  }
  bool Ready(int index, const ContainerPaths& paths, Millis timeout) override {
    return static_cast<bool>(ConnectAgent(paths.run / SocketName(index), timeout));
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

}  // namespace

StoreParts BuildSqliteContainer(StoreContext& ctx, std::unique_ptr<Workload> workload) {
  const Knobs& k = ctx.knobs;
  // One agent (one connection at a time) per worker.
  ContainerHost host =
      MakeContainerHost(ctx, "sqlite", {"bind", "volume", "none"}, /*per_worker=*/true);
  auto store = std::make_unique<SqliteContainerStore>(k.Get("journal_mode"), k.Get("synchronous"),
                                                      Millis(k.GetInt("op_timeout_ms")));
  return ContainerParts(std::move(host), std::move(store), std::move(workload));
}

}  // namespace crashlab::sqlite

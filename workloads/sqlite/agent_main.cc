// crashlab-sqlite-agent: embeds SQLite in a process the runner can SIGKILL. Reads ops
// from fd 3, applies each as a transaction, answers its outcome on fd 4. With --listen
// PATH (agents in containers) it serves any number of connections on a unix socket
// instead, one op at a time, greeting each connection with kReady; SIGTERM then closes
// the database cleanly (a container's PID 1 has no default SIGTERM action).
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "framework/unique_fd.h"
#include "framework/workload.h"
#include "workloads/sqlite/protocol.h"
#include "workloads/sqlite/schema.h"

using crashlab::Op;
using crashlab::OpKind;
using crashlab::Outcome;
using crashlab::UniqueFd;
namespace proto = crashlab::sqlite;
using crashlab::sqlite::ReadFull;
using crashlab::sqlite::WriteFull;

namespace {

sqlite3* db = nullptr;
volatile std::sig_atomic_t g_terminate = 0;  // --listen: SIGTERM seen

// --listen: a unix socket server multiplexing its connections with poll.
class SocketServer {
 public:
  // Binds and listens on `path`; false (errno set) on failure.
  bool Listen(const std::string& path) {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_terminate = 1; };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);  // no SA_RESTART: poll returns EINTR
    ::signal(SIGPIPE, SIG_IGN);          // a client that gave up is not fatal
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return errno = ENAMETOOLONG, false;
    std::strcpy(addr.sun_path, path.c_str());
    ::unlink(path.c_str());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd.get(), 64) != 0) {
      return false;
    }
    Add(std::move(fd));
    return true;
  }
  // Waits for the next request of any connection (greeting new ones); false on SIGTERM.
  bool Next(Op* op, int* client) {
    while (!g_terminate) {
      for (size_t i = 1; i < fds_.size(); ++i) {
        if (!fds_[i].revents) continue;
        const int fd = fds_[i].fd;
        const short ev = fds_[i].revents;
        fds_[i].revents = 0;
        if ((ev & POLLIN) == 0 || !ReadFull(fd, op, sizeof *op)) {
          Drop(fd);
          break;
        }
        *client = fd;
        return true;
      }
      if (fds_[0].revents & POLLIN) {
        fds_[0].revents = 0;
        UniqueFd c(::accept4(fds_[0].fd, nullptr, nullptr, SOCK_CLOEXEC));
        const char ready = proto::kReady;
        if (c && WriteFull(c.get(), &ready, 1)) Add(std::move(c));
      }
      for (auto& p : fds_) p.revents = 0;
      ::poll(fds_.data(), fds_.size(), -1);
    }
    return false;
  }
  void Drop(int fd) {
    for (size_t i = 1; i < fds_.size(); ++i) {
      if (fds_[i].fd == fd) {
        fds_.erase(fds_.begin() + static_cast<long>(i));
        owned_.erase(owned_.begin() + static_cast<long>(i));  // closes it
        return;
      }
    }
  }

 private:
  void Add(UniqueFd fd) {
    fds_.push_back({fd.get(), POLLIN, 0});
    owned_.push_back(std::move(fd));
  }
  std::vector<pollfd> fds_;      // [0]: the listening socket
  std::vector<UniqueFd> owned_;  // owns fds_[i].fd
};

[[noreturn]] void Fail(const std::string& msg) {
  std::fprintf(stderr, "crashlab-sqlite-agent: %s\n", msg.c_str());
  const char tag = proto::kOpenFailed;
  WriteFull(proto::kAgentReplyFd, &tag, 1);
  WriteFull(proto::kAgentReplyFd, msg.data(), msg.size());
  std::exit(3);
}

void Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "?";
    sqlite3_free(err);
    Fail("'" + sql + "': " + m);
  }
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  explicit Stmt(const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      Fail(std::string("prepare '") + sql + "': " + sqlite3_errmsg(db));
    }
  }
  sqlite3_stmt* operator*() { return s; }
};

// Outcome of a failed statement: a definite rejection is fail; anything that may have
// written (I/O errors during commit, a full disk mid-write) stays unknown.
Outcome Classify(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Outcome::kFail;
    default:
      return Outcome::kUnknown;
  }
}

// Runs a prepared single-statement autocommit write.
Outcome Step(sqlite3_stmt* s) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc == SQLITE_DONE) return Outcome::kOk;
  std::fprintf(stderr, "step: %s\n", sqlite3_errstr(rc));
  return Classify(rc);
}

// Runs a prepared read to its end (the row, if any, is not needed).
Outcome StepRead(sqlite3_stmt* s) {
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc == SQLITE_DONE) return Outcome::kOk;
  std::fprintf(stderr, "read: %s\n", sqlite3_errstr(rc));
  return Classify(rc) == Outcome::kUnknown ? Outcome::kUnknown : Outcome::kFail;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, journal = "wal", sync = "full", listen_path;
  int busy_ms = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--db")
      path = v;
    else if (k == "--journal-mode")
      journal = v;
    else if (k == "--synchronous")
      sync = v;
    else if (k == "--busy-timeout-ms")
      busy_ms = std::stoi(v);
    else if (k == "--listen")
      listen_path = v;
    else
      Fail("unknown argument " + k);
  }
  if (path.empty())
    Fail(
        "usage: crashlab-sqlite-agent --db PATH [--journal-mode M] [--synchronous S] [--listen "
        "SOCKET]");
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Fail("open " + path + ": " + sqlite3_errmsg(db));
  }
  sqlite3_busy_timeout(db, busy_ms);
  Exec("PRAGMA journal_mode=" + journal);
  Exec("PRAGMA synchronous=" + sync);
  Exec(proto::kSchema);

  Stmt insert("INSERT INTO orders(id, amount) VALUES(?1, ?2)");
  Stmt update("UPDATE orders SET amount = ?2 WHERE id = ?1");
  Stmt del("DELETE FROM orders WHERE id = ?1");
  Stmt read("SELECT amount FROM orders WHERE id = ?1");
  Stmt marker("INSERT INTO markers(name) VALUES(?1)");
  Stmt incr(
      "INSERT INTO counters(id, value) VALUES(?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET value = value + excluded.value");
  Stmt append("INSERT INTO lists(list, elem) VALUES(?1, ?2)");
  Stmt balance("SELECT balance FROM accounts WHERE id = ?1");
  Stmt move("UPDATE accounts SET balance = balance + ?2 WHERE id = ?1");
  Stmt begin("BEGIN IMMEDIATE");
  Stmt commit("COMMIT");
  Stmt rollback("ROLLBACK");

  SocketServer server;
  const bool listening = !listen_path.empty();
  if (listening && !server.Listen(listen_path))
    Fail("listen on " + listen_path + ": " + std::strerror(errno));
  const char ready = proto::kReady;
  if (!listening && !WriteFull(proto::kAgentReplyFd, &ready, 1)) return 4;

  Op op;
  int client = proto::kAgentReplyFd;
  while (listening ? server.Next(&op, &client) : ReadFull(proto::kAgentRequestFd, &op, sizeof op)) {
    Outcome out = Outcome::kUnknown;
    switch (op.kind) {
      case OpKind::kInsert:
        sqlite3_bind_int64(*insert, 1, op.key);
        sqlite3_bind_int64(*insert, 2, op.value);
        out = Step(*insert);
        break;
      case OpKind::kUpdate:
        sqlite3_bind_int64(*update, 1, op.key);
        sqlite3_bind_int64(*update, 2, op.value);
        out = Step(*update);
        if (out == Outcome::kOk && sqlite3_changes(db) == 0) out = Outcome::kFail;
        break;
      case OpKind::kDelete:
        sqlite3_bind_int64(*del, 1, op.key);
        out = Step(*del);
        if (out == Outcome::kOk && sqlite3_changes(db) == 0) out = Outcome::kFail;
        break;
      case OpKind::kMarker: {
        const std::string name = crashlab::MarkerName(op.key);
        sqlite3_bind_text(*marker, 1, name.c_str(), -1, SQLITE_TRANSIENT);
        out = Step(*marker);
        break;
      }
      case OpKind::kIncrement:
        sqlite3_bind_int64(*incr, 1, op.key);
        sqlite3_bind_int64(*incr, 2, op.value);
        out = Step(*incr);
        break;
      case OpKind::kAppend:
        sqlite3_bind_int64(*append, 1, op.key);
        sqlite3_bind_int64(*append, 2, op.value);
        out = Step(*append);
        break;
      case OpKind::kTransfer: {
        int rc = sqlite3_step(*begin);
        sqlite3_reset(*begin);
        if (rc != SQLITE_DONE) {
          out = Classify(rc);
          break;
        }
        sqlite3_bind_int64(*balance, 1, op.key);
        rc = sqlite3_step(*balance);
        const int64_t have = rc == SQLITE_ROW ? sqlite3_column_int64(*balance, 0) : -1;
        sqlite3_reset(*balance);
        bool ok = rc == SQLITE_ROW && have >= op.value;
        if (ok) {
          sqlite3_bind_int64(*move, 1, op.key);
          sqlite3_bind_int64(*move, 2, -op.value);
          ok = Step(*move) == Outcome::kOk;
        }
        if (ok) {
          sqlite3_bind_int64(*move, 1, op.key2);
          sqlite3_bind_int64(*move, 2, op.value);
          ok = Step(*move) == Outcome::kOk;
        }
        if (!ok) {
          sqlite3_step(*rollback);
          sqlite3_reset(*rollback);
          out = Outcome::kFail;  // rolled back before COMMIT: definitely not applied
          break;
        }
        rc = sqlite3_step(*commit);
        sqlite3_reset(*commit);
        if (rc == SQLITE_DONE) {
          out = Outcome::kOk;
        } else {
          out = Outcome::kUnknown;
          if (!sqlite3_get_autocommit(db)) {
            sqlite3_step(*rollback);
            sqlite3_reset(*rollback);
          }
        }
        break;
      }
      case OpKind::kRead:  // a point read of one row (crashlab bench's read workloads)
        sqlite3_bind_int64(*read, 1, op.key);
        out = StepRead(*read);
        break;
    }
    const char b = static_cast<char>(out);
    if (WriteFull(client, &b, 1)) continue;
    if (!listening) break;
    server.Drop(client);
  }
  sqlite3_close_v2(db);
  return 0;
}

// crashfs control socket: parses commands, drives a CrashFs, answers one line each.
#include "faults/crashfs/control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "framework/unique_fd.h"

namespace crashlab::crashfs {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

std::string Fmt(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

UniqueFd Listen(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    throw std::runtime_error("control socket path too long");
  strcpy(addr.sun_path, path.c_str());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + strerror(errno));
  unlink(path.c_str());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd.get(), 16) != 0) {
    const int e = errno;
    throw std::runtime_error("control socket " + path + ": " + strerror(e));
  }
  return fd;
}

void ServeConnection(CrashFs& fs, UniqueFd conn, std::atomic<bool>& stop) {
  const int fd = conn.get();
  std::string buf;
  char chunk[4096];
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) break;
    buf.append(chunk, n);
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      bool quit = false;
      std::string answer = HandleCommand(fs, line, &quit) + "\n";
      if (write(fd, answer.data(), answer.size()) < 0) break;
      if (quit) stop = true;
    }
  }
}

}  // namespace

const char* CommandHelp() {
  return "ping                                  answer ok\n"
         "freeze                                hold every request from now on\n"
         "power-cut [none|pages|prefix|seq] [seed=N] [target=GLOB]\n"
         "                                      drop unsynced state (data: only of files\n"
         "                                      matching GLOB), fail held requests, remount\n"
         "sync-mode pass|fail|lie               what fsync/fdatasync/dir fsync do\n"
         "record-writes on|off                  keep written bytes for power-cut seq\n"
         "trigger OP K [GLOB]                   freeze before the K-th OP on a path matching GLOB\n"
         "                                      OP: write fsync fsyncdir rename unlink create any\n"
         "disarm                                remove the trigger\n"
         "triggered                             yes or no\n"
         "wait-triggered MS                     wait up to MS ms; yes or no\n"
         "stats                                 ok {json}\n"
         "events                                ok [json], oldest first\n"
         "quit                                  unmount and exit the daemon\n";
}

std::string HandleCommand(CrashFs& fs, const std::string& line, bool* quit) {
  std::vector<std::string> w = Split(line);
  if (w.empty()) return "error empty command";
  const std::string& cmd = w[0];
  try {
    if (cmd == "ping") return "ok";
    if (cmd == "help") {
      std::string h = CommandHelp();
      for (char& c : h) {
        if (c == '\n') c = ';';
      }
      return "ok " + h;
    }
    if (cmd == "freeze") {
      fs.Freeze();
      return "ok";
    }
    if (cmd == "power-cut") {
      CutOptions cut;
      for (size_t i = 1; i < w.size(); ++i) {
        uint64_t seed;
        if (auto t = ParseTorn(w[i])) {
          cut.torn = *t;
        } else if (w[i].rfind("seed=", 0) == 0 && ParseU64(w[i].substr(5), &seed)) {
          cut.seed = seed;
        } else if (w[i].rfind("target=", 0) == 0) {
          cut.target = w[i].substr(7);
        } else {
          return "error bad power-cut argument: " + w[i];
        }
      }
      CutReport r = fs.PowerCut(cut);
      return "ok total_ms=" + Fmt(r.total_ms) + " rollback_ms=" + Fmt(r.rollback_ms) +
             " remount_ms=" + Fmt(r.remount_ms) + " files=" + std::to_string(r.files_rolled_back) +
             " pages_restored=" + std::to_string(r.pages_restored) +
             " pages_kept_torn=" + std::to_string(r.pages_kept_torn) +
             " meta_undone=" + std::to_string(r.meta_ops_undone) +
             " meta_skipped=" + std::to_string(r.meta_ops_skipped);
    }
    if (cmd == "record-writes") {
      if (w.size() != 2 || (w[1] != "on" && w[1] != "off")) {
        return "error usage: record-writes on|off";
      }
      fs.RecordWrites(w[1] == "on");
      return "ok";
    }
    if (cmd == "sync-mode") {
      if (w.size() != 2) return "error usage: sync-mode pass|fail|lie";
      auto m = ParseSyncMode(w[1]);
      if (!m) return "error unknown sync mode: " + w[1];
      fs.SetSyncMode(*m);
      return "ok";
    }
    if (cmd == "trigger") {
      if (w.size() < 3 || w.size() > 4) return "error usage: trigger OP K [GLOB]";
      auto op = ParseFsOp(w[1]);
      if (!op) return "error unknown op: " + w[1];
      CrashPoint t;
      t.op = *op;
      if (!ParseU64(w[2], &t.k) || t.k == 0) return "error K must be a positive integer";
      if (w.size() == 4) t.glob = w[3];
      fs.ArmTrigger(t);
      return "ok";
    }
    if (cmd == "disarm") {
      fs.DisarmTrigger();
      return "ok";
    }
    if (cmd == "triggered") return fs.Triggered() ? "yes" : "no";
    if (cmd == "wait-triggered") {
      uint64_t ms;
      if (w.size() != 2 || !ParseU64(w[1], &ms)) return "error usage: wait-triggered MS";
      return fs.WaitTriggered(std::chrono::milliseconds(ms)) ? "yes" : "no";
    }
    if (cmd == "stats") {
      Stats s = fs.GetStats();
      nlohmann::json j = {{"requests", s.requests},
                          {"writes", s.writes},
                          {"bytes_written", s.bytes_written},
                          {"fsyncs", s.fsyncs},
                          {"fsyncdirs", s.fsyncdirs},
                          {"pages_saved", s.pages_saved},
                          {"dirty_files", s.dirty_files},
                          {"pending_meta_ops", s.pending_meta_ops},
                          {"power_cuts", s.power_cuts},
                          {"frozen", s.frozen},
                          {"triggered", s.triggered},
                          {"last_cut_ms", s.last_cut_ms},
                          {"sync_mode", ToString(fs.GetSyncMode())}};
      return "ok " + j.dump();
    }
    if (cmd == "events") {
      nlohmann::json arr = nlohmann::json::array();
      for (const Event& e : fs.Events()) {
        nlohmann::json j = {{"seq", e.seq}, {"t_ms", e.t_ms}, {"kind", e.kind}, {"path", e.path}};
        if (!e.path2.empty()) j["path2"] = e.path2;
        if (e.error != 0) j["error"] = e.error;
        if (!e.note.empty()) j["note"] = e.note;
        arr.push_back(std::move(j));
      }
      return "ok " + arr.dump();
    }
    if (cmd == "quit") {
      if (quit) *quit = true;
      return "ok";
    }
  } catch (const std::exception& e) {
    return std::string("error ") + e.what();
  }
  return "error unknown command: " + cmd + " (try help)";
}

void ServeControlSocket(CrashFs& fs, const std::string& path, std::atomic<bool>& stop) {
  UniqueFd lfd = Listen(path);
  std::vector<std::thread> conns;
  while (!stop) {
    pollfd p{lfd.get(), POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    UniqueFd cfd(accept4(lfd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!cfd) continue;
    conns.emplace_back([&fs, cfd = std::move(cfd), &stop]() mutable {
      ServeConnection(fs, std::move(cfd), stop);
    });
  }
  for (auto& t : conns) t.join();
  lfd.reset();
  unlink(path.c_str());
}

std::string SendCommand(const std::string& path, const std::string& command) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    throw std::runtime_error("control socket path too long");
  strcpy(addr.sun_path, path.c_str());
  const UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + strerror(errno));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    throw std::runtime_error("cannot connect to " + path + ": " + strerror(e));
  }
  std::string msg = command + "\n";
  if (write(fd.get(), msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) {
    throw std::runtime_error("write to control socket failed");
  }
  std::string answer;
  char c;
  while (read(fd.get(), &c, 1) == 1 && c != '\n') answer.push_back(c);
  return answer;
}

}  // namespace crashlab::crashfs

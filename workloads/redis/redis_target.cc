// RedisTarget: redis.conf, spawning redis-server, PING readiness, recovery with the old
// pid proven gone; the hiredis client and the SCAN read-back.
#include "workloads/redis/redis_target.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "framework/run_command.h"
#include "framework/unique_fd.h"
#include "framework/workload.h"

namespace fs = std::filesystem;

namespace crashlab::redis {

namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

ReplyPtr Command(redisContext* c, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  void* r = redisvCommand(c, format, ap);
  va_end(ap);
  return ReplyPtr(static_cast<redisReply*>(r));
}

std::string ReplyText(const redisReply* r) {
  return r->str != nullptr ? std::string(r->str, r->len) : std::string();
}

// Connects and authenticates; nullptr and *error on failure. Error texts never hold the
// password (the server's AUTH errors do not echo it).
ContextPtr Connect(const Endpoint& ep, std::string* error) {
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", ep.port, ToTimeval(ep.connect_timeout)));
  if (c == nullptr) {
    *error = "cannot allocate a redis context";
    return nullptr;
  }
  if (c->err != 0) {
    *error = c->errstr;
    return nullptr;
  }
  if (redisSetTimeout(c.get(), ToTimeval(ep.command_timeout)) != REDIS_OK) {
    *error = "cannot set the command timeout";
    return nullptr;
  }
  if (!ep.password.empty()) {
    ReplyPtr r = Command(c.get(), "AUTH %b", ep.password.data(), ep.password.size());
    if (r == nullptr) {
      *error = std::string("AUTH: ") + c->errstr;
      return nullptr;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      *error = "AUTH: " + ReplyText(r.get());
      return nullptr;
    }
  }
  return c;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// RESP building without printf: the hot path of Apply.
void AppendCount(std::string& out, char type, size_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out += type;
  out.append(buf, r.ptr);
  out += "\r\n";
}
void AppendBulk(std::string& out, std::string_view s) {
  AppendCount(out, '$', s.size());
  out.append(s);
  out += "\r\n";
}
void AppendBulkInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  AppendBulk(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}
void AppendKey(std::string& out, std::string_view prefix, int64_t key) {
  char buf[48];
  std::memcpy(buf, prefix.data(), prefix.size());
  auto r = std::to_chars(buf + prefix.size(), buf + sizeof buf, key);
  AppendBulk(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

// Moves `amount` from KEYS[1] to KEYS[2] unless that would overdraw KEYS[1]: one
// script, so the AOF holds the transfer as one transaction.
constexpr std::string_view kTransferScript =
    "local b = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "local a = tonumber(ARGV[1]) "
    "if b < a then return 0 end "
    "redis.call('DECRBY', KEYS[1], a) "
    "redis.call('INCRBY', KEYS[2], a) "
    "return 1";

enum class Expect { kOkStatus, kInteger, kTransfer, kAny };

class RedisClient : public Client {
 public:
  explicit RedisClient(Endpoint ep) : ep_(std::move(ep)) { cmd_.reserve(256); }

  void Prepare(const DataModel& model) override {
    if (model.accounts <= 0) return;
    std::string err;
    ContextPtr c = Connect(ep_, &err);
    if (c == nullptr) throw std::runtime_error("redis prepare: " + err);
    for (int32_t a = 0; a < model.accounts; ++a) {
      const std::string key = "a:" + std::to_string(a);
      const std::string bal = std::to_string(model.initial_balance);
      redisAppendCommand(c.get(), "SET %b %b NX", key.data(), key.size(), bal.data(), bal.size());
    }
    for (int32_t a = 0; a < model.accounts; ++a) {
      void* raw = nullptr;
      if (redisGetReply(c.get(), &raw) != REDIS_OK) {
        throw std::runtime_error(std::string("redis prepare: ") + c->errstr);
      }
      ReplyPtr r(static_cast<redisReply*>(raw));
      if (r->type == REDIS_REPLY_ERROR)
        throw std::runtime_error("redis prepare: " + ReplyText(r.get()));
    }
  }

  Outcome Apply(const Op& op) override {
    if (ctx_ == nullptr) {
      std::string err;
      ctx_ = Connect(ep_, &err);
      if (ctx_ == nullptr) {
        // Nothing was sent: definitely not applied. Do not spin on a dead server.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return Outcome::kFail;
      }
    }
    cmd_.clear();
    Expect expect = Expect::kOkStatus;
    switch (op.kind) {
      case OpKind::kInsert:
      case OpKind::kUpdate:
        cmd_ += "*3\r\n$3\r\nSET\r\n";
        AppendKey(cmd_, "r:", op.key);
        AppendBulkInt(cmd_, op.value);
        break;
      case OpKind::kDelete:
        cmd_ += "*2\r\n$3\r\nDEL\r\n";
        AppendKey(cmd_, "r:", op.key);
        expect = Expect::kInteger;
        break;
      case OpKind::kIncrement:
        cmd_ += "*3\r\n$6\r\nINCRBY\r\n";
        AppendKey(cmd_, "c:", op.key);
        AppendBulkInt(cmd_, op.value);
        expect = Expect::kInteger;
        break;
      case OpKind::kAppend:
        cmd_ += "*3\r\n$5\r\nRPUSH\r\n";
        AppendKey(cmd_, "l:", op.key);
        AppendBulkInt(cmd_, op.value);
        expect = Expect::kInteger;
        break;
      case OpKind::kMarker:
        cmd_ += "*3\r\n$3\r\nSET\r\n";
        AppendBulk(cmd_, "m:" + MarkerName(op.key));
        AppendBulk(cmd_, "1");
        break;
      case OpKind::kTransfer:
        cmd_ += "*6\r\n$4\r\nEVAL\r\n";
        AppendBulk(cmd_, kTransferScript);
        AppendBulk(cmd_, "2");
        AppendKey(cmd_, "a:", op.key);
        AppendKey(cmd_, "a:", op.key2);
        AppendBulkInt(cmd_, op.value);
        expect = Expect::kTransfer;
        break;
      case OpKind::kRead:
        cmd_ += "*2\r\n$3\r\nGET\r\n";
        AppendKey(cmd_, "r:", op.key);
        expect = Expect::kAny;
        break;
    }
    if (redisAppendFormattedCommand(ctx_.get(), cmd_.data(), cmd_.size()) != REDIS_OK) {
      ctx_.reset();
      return Outcome::kFail;  // out of memory before anything was written
    }
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
      // Sent (maybe partly) and no answer: connection lost or the command timed out.
      ctx_.reset();
      return Outcome::kUnknown;
    }
    ReplyPtr r(static_cast<redisReply*>(raw));
    if (r->type == REDIS_REPLY_ERROR) return Outcome::kFail;
    switch (expect) {
      case Expect::kOkStatus:
        return r->type == REDIS_REPLY_STATUS ? Outcome::kOk : Outcome::kUnknown;
      case Expect::kInteger:
        return r->type == REDIS_REPLY_INTEGER ? Outcome::kOk : Outcome::kUnknown;
      case Expect::kTransfer:
        if (r->type != REDIS_REPLY_INTEGER) return Outcome::kUnknown;
        return r->integer == 1 ? Outcome::kOk : Outcome::kFail;  // 0: overdraft refused
      case Expect::kAny:
        return Outcome::kOk;
    }
    return Outcome::kUnknown;
  }

  ObservedState ReadState() override { return ReadRedisState(ep_); }

 private:
  Endpoint ep_;
  ContextPtr ctx_;
  std::string cmd_;
};

// The line of a Redis log that says it could not write or sync its AOF ("" if none).
std::string AofError(const std::string& log) {
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("AOF") == std::string::npos) continue;
    if (line.find("Error") != std::string::npos || line.find("error") != std::string::npos ||
        line.find("Can't") != std::string::npos) {
      const auto hash = line.find(" # ");
      return hash == std::string::npos ? line : line.substr(hash + 3);
    }
  }
  return "";
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  size_t got = 0;
  while (got < bytes) {
    const ssize_t r = ::getrandom(buf.data() + got, bytes - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string ReadFrom(const fs::path& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

namespace {
bool IsExecutableFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// `name` in a directory of $PATH (empty if none).
fs::path OnPath(const std::string& name, std::string* searched) {
  const char* path = std::getenv("PATH");
  *searched = path != nullptr ? path : "/usr/bin:/bin";
  std::stringstream dirs(*searched);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && IsExecutableFile(fs::path(dir) / name))
      return fs::absolute(fs::path(dir) / name);
  }
  return {};
}
}  // namespace

fs::path FindRedisServer(const std::string& override_path) {
  std::string searched;
  if (!override_path.empty()) {
    if (override_path.find('/') != std::string::npos) {
      if (!IsExecutableFile(override_path)) {
        throw std::invalid_argument("redis server '" + override_path +
                                    "' is not an executable file");
      }
      return fs::absolute(override_path);
    }
    fs::path p = OnPath(override_path, &searched);
    if (p.empty())
      throw std::invalid_argument("redis server '" + override_path + "' not found on PATH (" +
                                  searched + ")");
    return p;
  }
  fs::path p = OnPath("redis-server", &searched);
  if (p.empty()) {
    throw std::runtime_error("redis-server not found on PATH (" + searched +
                             "); apt-get install -y redis-server, or name the server's path");
  }
  return p;
}

std::string ParseRedisVersion(const std::string& output) {
  size_t p = output.find("Redis server v=");
  if (p == std::string::npos) return "";
  p += 15;
  const std::string v = output.substr(p, output.find_first_of(" \t\r\n", p) - p);
  return !v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) ? v : "";
}

std::string RedisServerVersion(const fs::path& server) {
  const std::string out = CommandOutput({server.string(), "--version"});
  const std::string v = ParseRedisVersion(out);
  if (v.empty()) {
    throw std::runtime_error(server.string() +
                             " --version said no version: " + out.substr(0, out.find('\n')));
  }
  return v;
}

std::string MissingRedisServer(const std::string& program) {
  try {
    (void)FindRedisServer(program);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

void ValidateSaveSchedule(const std::string& save) {
  std::istringstream in(save);
  std::string word;
  int n = 0;
  while (in >> word) {
    auto v = ParseInt(word);
    if (!v || *v <= 0) {
      throw std::invalid_argument(
          "bad save schedule '" + save +
          "': expected \"\" or pairs of positive integers (\"900 1 300 10\")");
    }
    ++n;
  }
  if (n % 2 != 0) {
    throw std::invalid_argument("bad save schedule '" + save +
                                "': seconds and changes come in pairs");
  }
}

RedisTarget::RedisTarget(RedisOptions options) : options_(std::move(options)) {
  auto one_of = [](const std::string& name, const std::string& v,
                   std::initializer_list<const char*> ok) {
    for (const char* o : ok) {
      if (v == o) return;
    }
    throw std::invalid_argument("redis: bad " + name + " '" + v + "'");
  };
  one_of("appendonly", options_.appendonly, {"yes", "no"});
  one_of("appendfsync", options_.appendfsync, {"always", "everysec", "no"});
  one_of("aof-use-rdb-preamble", options_.aof_use_rdb_preamble, {"yes", "no"});
  ValidateSaveSchedule(options_.save);
  if (options_.work_dir.empty()) throw std::invalid_argument("redis: work_dir is required");
  endpoint_.connect_timeout = options_.connect_timeout;
  endpoint_.command_timeout = options_.command_timeout;
  options_.server_path = FindRedisServer(options_.server_path).string();
  server_version_ = RedisServerVersion(options_.server_path);
}

RedisTarget::~RedisTarget() = default;  // Process's destructor kills and reaps the group

void RedisTarget::WriteConfig() const {
  std::string conf;
  conf += "# crashlab: written at every start; mode 0600 because it holds the password\n";
  conf += "bind 127.0.0.1\n";
  conf += "port " + std::to_string(endpoint_.port) + "\n";
  conf += "protected-mode yes\n";
  conf += "daemonize no\n";
  conf += "supervised no\n";
  conf += "logfile \"\"\n";
  conf += "dir " + Quote(DataDir().string()) + "\n";
  conf += "dbfilename dump.rdb\n";
  conf += "appendonly " + options_.appendonly + "\n";
  conf += "appendfsync " + options_.appendfsync + "\n";
  conf += "appendfilename \"appendonly.aof\"\n";
  conf += "appenddirname \"appendonlydir\"\n";
  conf += "aof-use-rdb-preamble " + options_.aof_use_rdb_preamble + "\n";
  conf += options_.save.empty() ? std::string("save \"\"\n") : "save " + options_.save + "\n";
  conf += "requirepass " + Quote(endpoint_.password) + "\n";
  const fs::path path = ConfigPath();
  const UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd)
    throw std::runtime_error("redis: cannot write " + path.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd.get(), 0600) == 0;
  size_t off = 0;
  while (ok && off < conf.size()) {
    const ssize_t w = ::write(fd.get(), conf.data() + off, conf.size() - off);
    if (w < 0 && errno == EINTR) continue;
    ok = w > 0;
    if (ok) off += static_cast<size_t>(w);
  }
  const int saved = errno;
  if (!ok)
    throw std::runtime_error("redis: cannot write " + path.string() + ": " + std::strerror(saved));
}

void RedisTarget::SpawnAndWait() {
  for (int attempt = 0;; ++attempt) {
    WriteConfig();
    std::error_code ec;
    const std::uintmax_t log_start = fs::exists(LogPath(), ec) ? fs::file_size(LogPath(), ec) : 0;
    ProcessOptions po;
    po.argv = options_.wrapper;
    po.argv.push_back(options_.server_path);
    po.argv.push_back(ConfigPath().string());  // the password is in the file, not in argv
    po.env = options_.env;
    po.cwd = options_.work_dir;
    po.log = LogPath();
    process_ = Process::Spawn(po);

    Endpoint probe = endpoint_;
    probe.connect_timeout = std::chrono::milliseconds(250);
    probe.command_timeout = std::chrono::milliseconds(1000);
    const auto deadline = Clock::now() + options_.ready_timeout;
    bool port_taken = false;
    for (;;) {
      ThrowIfInterrupted();
      if (!process_.Running()) {
        const std::string log = ReadFrom(LogPath(), log_start);
        port_taken = log.find("Address already in use") != std::string::npos;
        if (port_taken && attempt < 3) break;
        const std::string aof = AofError(log);
        throw Unrecoverable("redis-server " + process_.DescribeExit() + " before answering PING" +
                                (aof.empty() ? "" : ": " + aof),
                            TailFile(LogPath()));
      }
      std::string err;
      ContextPtr c = Connect(probe, &err);
      if (c != nullptr) {
        ReplyPtr r = Command(c.get(), "PING");
        if (r != nullptr && r->type == REDIS_REPLY_STATUS && ReplyText(r.get()) == "PONG") return;
        if (r != nullptr && r->type == REDIS_REPLY_ERROR &&
            ReplyText(r.get()).rfind("LOADING", 0) != 0) {
          throw Unrecoverable("redis-server answered PING with " + ReplyText(r.get()),
                              TailFile(LogPath()));
        }
      } else if (err.rfind("AUTH: ", 0) == 0 && err.find("LOADING") == std::string::npos) {
        // A server that exits on an AOF write error drops the connection mid-AUTH: say
        // that, not that it refused the password.
        if (const std::string aof = AofError(ReadFrom(LogPath(), log_start)); !aof.empty()) {
          process_.KillAndReap();
          throw Unrecoverable("redis-server cannot write its AOF: " + aof, TailFile(LogPath()));
        }
        if (process_.Running())
          throw Unrecoverable("redis-server refused the run's password: " + err,
                              TailFile(LogPath()));
        continue;  // it exited: the next pass reports how, with its log
      }
      if (Clock::now() > deadline) {
        process_.KillAndReap();
        throw Unrecoverable("redis-server did not answer PING within " +
                                std::to_string(options_.ready_timeout.count()) + " ms",
                            TailFile(LogPath()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Someone took the port between FreeLoopbackPort and bind: take another.
    endpoint_.port = FreeLoopbackPort();
  }
}

void RedisTarget::Start() {
  fs::create_directories(DataDir());
  endpoint_.password = RandomHex(16);
  endpoint_.port = FreeLoopbackPort();
  SpawnAndWait();
  std::string err;
  ContextPtr c = Connect(endpoint_, &err);
  if (c != nullptr) {
    ReplyPtr r = Command(c.get(), "INFO server");
    if (r != nullptr && r->type == REDIS_REPLY_STRING) {
      const std::string info = ReplyText(r.get());
      const auto p = info.find("redis_version:");
      if (p != std::string::npos) {
        version_ = info.substr(p + 14, info.find_first_of("\r\n", p) - p - 14);
      }
    }
  }
}

void RedisTarget::Stop() {
  if (process_.pid() <= 0) return;
  process_.Stop(std::chrono::milliseconds(10000));  // SIGTERM: redis flushes and exits
  process_ = Process();
}

void RedisTarget::Recover() {
  const pid_t old = process_.pid();
  if (old > 0) {
    // Proves the old server gone (reaped, group empty) before a new one opens the dir.
    process_.KillAndReap();
    if (!PidGone(old))
      throw std::runtime_error("redis: old pid " + std::to_string(old) + " still exists");
  }
  SpawnAndWait();
}

std::vector<Process*> RedisTarget::Processes() {
  if (process_.pid() <= 0) return {};
  return {&process_};
}

std::unique_ptr<Client> RedisTarget::NewClient(int worker) { return MakeRedisClient(endpoint_); }

std::string RedisTarget::LogExcerpt() const { return TailFile(LogPath()); }

std::map<std::string, std::string> RedisTarget::ClientEnv() const {
  return {{"REDIS_HOST", "127.0.0.1"},
          {"REDIS_PORT", std::to_string(endpoint_.port)},
          {"REDISCLI_AUTH", endpoint_.password}};
}

std::map<std::string, std::string> RedisTarget::Config() const {
  return {
      {"redis.version", version_.empty() ? "?" : version_},
      {"redis.server", options_.server_path},
      {"redis.server_version", server_version_},
      {"redis.port", std::to_string(endpoint_.port)},
      {"redis.appendonly", options_.appendonly},
      {"redis.appendfsync", options_.appendfsync},
      {"redis.save", options_.save.empty() ? "\"\" (off)" : options_.save},
      {"redis.aof-use-rdb-preamble", options_.aof_use_rdb_preamble},
      {"redis.auth", "requirepass, random per run (in the 0600 redis.conf only)"},
      {"redis.command_timeout_ms", std::to_string(options_.command_timeout.count())},
  };
}

std::unique_ptr<Client> MakeRedisClient(const Endpoint& endpoint) {
  return std::make_unique<RedisClient>(endpoint);
}

ObservedState ReadRedisState(const Endpoint& endpoint) {
  Endpoint ep = endpoint;
  ep.command_timeout = std::max(ep.command_timeout, std::chrono::milliseconds(30000));
  std::string err;
  ContextPtr c = Connect(ep, &err);
  if (c == nullptr) throw std::runtime_error("redis read-back: " + err);
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error("redis read-back: " + what +
                              (c->err ? std::string(": ") + c->errstr : ""));
  };

  std::vector<std::string> keys;
  std::unordered_set<std::string> seen;
  std::string cursor = "0";
  do {
    ReplyPtr r = Command(c.get(), "SCAN %b COUNT 1000", cursor.data(), cursor.size());
    if (r == nullptr) throw fail("SCAN");
    if (r->type == REDIS_REPLY_ERROR) throw fail("SCAN: " + ReplyText(r.get()));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      throw fail("SCAN: unexpected reply");
    }
    cursor = ReplyText(r->element[0]);
    const redisReply* batch = r->element[1];
    for (size_t i = 0; i < batch->elements; ++i) {
      std::string k = ReplyText(batch->element[i]);
      if (seen.insert(k).second) keys.push_back(std::move(k));
    }
  } while (cursor != "0");
  ReplyPtr size = Command(c.get(), "DBSIZE");
  if (size == nullptr || size->type != REDIS_REPLY_INTEGER) throw fail("DBSIZE");

  ObservedState s;
  std::vector<std::string> problems;
  auto problem = [&](std::string p) {
    s.integrity_ok = false;
    if (problems.size() < 10) problems.push_back(std::move(p));
  };
  if (static_cast<size_t>(size->integer) != keys.size()) {
    problem("DBSIZE says " + std::to_string(size->integer) + " keys, SCAN returned " +
            std::to_string(keys.size()));
  }
  constexpr size_t kBatch = 512;
  for (size_t start = 0; start < keys.size(); start += kBatch) {
    const size_t end = std::min(keys.size(), start + kBatch);
    for (size_t i = start; i < end; ++i) {
      const std::string& k = keys[i];
      if (k.rfind("l:", 0) == 0) {
        redisAppendCommand(c.get(), "LRANGE %b 0 -1", k.data(), k.size());
      } else {
        redisAppendCommand(c.get(), "GET %b", k.data(), k.size());
      }
    }
    for (size_t i = start; i < end; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.get(), &raw) != REDIS_OK || raw == nullptr) throw fail("reading values");
      ReplyPtr r(static_cast<redisReply*>(raw));
      const std::string& k = keys[i];
      const std::string_view prefix = std::string_view(k).substr(0, 2);
      const std::string_view rest = std::string_view(k).substr(std::min<size_t>(2, k.size()));
      if (r->type == REDIS_REPLY_ERROR) {
        problem("key " + k + ": " + ReplyText(r.get()));
        continue;
      }
      if (prefix == "m:") {
        auto m = ParseMarkerName(std::string(rest));
        if (m)
          s.markers.push_back(*m);
        else
          problem("unexpected key " + k);
        continue;
      }
      auto id = ParseInt(rest);
      if (!id) {
        problem("unexpected key " + k);
        continue;
      }
      if (prefix == "l:") {
        if (r->type != REDIS_REPLY_ARRAY) {
          problem("list " + k + " is not a list");
          continue;
        }
        std::vector<int64_t> elems;
        for (size_t j = 0; j < r->elements; ++j) {
          auto v = ParseInt(ReplyText(r->element[j]));
          if (v)
            elems.push_back(*v);
          else
            problem("list " + k + " holds a non-integer element");
        }
        s.lists.emplace_back(*id, std::move(elems));
        continue;
      }
      if (r->type != REDIS_REPLY_STRING) {
        problem("key " + k + " vanished or is not a string");
        continue;
      }
      auto v = ParseInt(ReplyText(r.get()));
      if (!v) {
        problem("key " + k + " holds a non-integer value");
        continue;
      }
      if (prefix == "r:")
        s.rows.emplace_back(*id, *v);
      else if (prefix == "c:")
        s.counters.emplace_back(*id, *v);
      else if (prefix == "a:")
        s.accounts.emplace_back(*id, *v);
      else
        problem("unexpected key " + k);
    }
  }
  for (size_t i = 0; i < problems.size(); ++i) s.integrity_detail += (i ? "; " : "") + problems[i];
  return s;
}

}  // namespace crashlab::redis

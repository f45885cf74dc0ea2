// Redis in a container: the host's redis-server through the /usr bind mount, AOF on the
// data mount, password in a 0600 config file in the run dir (never in argv), the
// workloads/redis hiredis client.
#include "workloads/redis/container_store.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "framework/process.h"
#include "framework/unique_fd.h"
#include "workloads/container/container_host.h"
#include "workloads/container/container_target.h"
#include "workloads/redis/redis_target.h"

namespace fs = std::filesystem;

namespace crashlab::redis {
namespace {

using namespace crashlab::container;

constexpr uid_t kStoreUid = 10001;

std::string RandomPassword() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) s += hex[rd() % 16];
  return s;
}

class RedisContainerStore : public ContainerStore {
 public:
  // `server`: the host's redis-server, seen at the same path through the /usr mount.
  RedisContainerStore(std::string appendfsync, Millis timeout, fs::path server)
      : appendfsync_(std::move(appendfsync)), server_(std::move(server)) {
    ep_.port = FreeLoopbackPort();
    ep_.password = RandomPassword();
    ep_.command_timeout = timeout;
  }
  std::string Name() const override { return "redis"; }
  void Setup(const ContainerPaths& paths) override {
    const std::string conf = "bind 127.0.0.1\nport " + std::to_string(ep_.port) +
                             "\nprotected-mode yes\ndaemonize no\nsupervised no\nlogfile \"\"\n"
                             "dir /data\nappendonly yes\nappendfsync " +
                             appendfsync_ +
                             "\nappenddirname \"appendonlydir\"\nsave \"\"\nrequirepass " +
                             ep_.password + "\n";
    const fs::path path = paths.run / "redis.conf";
    const UniqueFd fd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd)
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    const bool ok =
        ::write(fd.get(), conf.data(), conf.size()) == static_cast<ssize_t>(conf.size()) &&
        ::fchown(fd.get(), kStoreUid, kStoreUid) == 0;
    if (!ok) throw std::runtime_error("cannot write " + path.string());
  }
  std::vector<std::string> Command(int) const override {
    return {server_.string(), "/crashlab/run/redis.conf"};
  }
  // PING with AUTH: PONG once the AOF is loaded (LOADING before).
  bool Ready(int, const ContainerPaths&, Millis timeout) override {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", ep_.port, tv);
    bool ok = false;
    if (c != nullptr && c->err == 0) {
      redisSetTimeout(c, tv);
      auto* a = static_cast<redisReply*>(redisCommand(c, "AUTH %s", ep_.password.c_str()));
      if (a != nullptr && a->type == REDIS_REPLY_STATUS) {
        auto* p = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = p != nullptr && p->type == REDIS_REPLY_STATUS && std::string(p->str, p->len) == "PONG";
        if (p) freeReplyObject(p);
      }
      if (a) freeReplyObject(a);
    }
    if (c) redisFree(c);
    return ok;
  }
  std::unique_ptr<Client> NewClient(int, int, const ContainerPaths&) override {
    return MakeRedisClient(ep_);
  }
  std::string DataFile() const override { return "appendonlydir"; }
  std::map<std::string, std::string> Config() const override {
    return {{"redis.port", std::to_string(ep_.port)},
            {"redis.appendonly", "yes"},
            {"redis.appendfsync", appendfsync_}};
  }

 private:
  std::string appendfsync_;
  fs::path server_;
  Endpoint ep_;
};

}  // namespace

StoreParts BuildRedisContainer(StoreContext& ctx, std::unique_ptr<Workload> workload) {
  ContainerHost host = MakeContainerHost(ctx, "redis");
  const fs::path server = FindRedisServer(ctx.knobs.Get("redis_server"));
  if (server.string().rfind("/usr/", 0) != 0) {
    throw UsageError("redis_server=" + server.string() + ": containers see the host's /usr only",
                     "redis_server");
  }
  auto store = std::make_unique<RedisContainerStore>(
      ctx.knobs.Get("appendfsync"), Millis(ctx.knobs.GetInt("command_timeout_ms")), server);
  return ContainerParts(std::move(host), std::move(store), std::move(workload));
}

}  // namespace crashlab::redis

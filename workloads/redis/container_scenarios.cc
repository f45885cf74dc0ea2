// Redis in a container (seed 001): the host's redis-server through the /usr bind mount,
// AOF with appendfsync always on the data mount, password in a 0600 config file in the
// run dir (never in argv), the workloads/redis hiredis client; scenario
// redis-container-restart.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "faults/container/container_fault.h"
#include "faults/container/container_target.h"
#include "framework/process.h"
#include "framework/scenario.h"
#include "workloads/redis/redis_target.h"

namespace fs = std::filesystem;

namespace crashlab::container {
namespace {

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
  RedisContainerStore(std::string appendfsync, Millis timeout)
      : appendfsync_(std::move(appendfsync)) {
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
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    const bool ok = ::write(fd, conf.data(), conf.size()) == static_cast<ssize_t>(conf.size()) &&
                    ::fchown(fd, kStoreUid, kStoreUid) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + path.string());
  }
  std::vector<std::string> Command(int) const override {
    return {redis::FindRedisServer().string(), "/crashlab/run/redis.conf"};
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
    return redis::MakeRedisClient(ep_);
  }
  std::string DataFile() const override { return "appendonlydir"; }
  std::map<std::string, std::string> Config() const override {
    return {{"redis.port", std::to_string(ep_.port)},
            {"redis.appendonly", "yes"},
            {"redis.appendfsync", appendfsync_}};
  }

 private:
  std::string appendfsync_;
  redis::Endpoint ep_;
};

std::string MissingRedisContainer() {
  if (auto m = redis::MissingRedisServer(); !m.empty()) return m;
  return MissingContainerEngine();
}

}  // namespace

CRASHLAB_SCENARIO(redis_container_restart) {
  ScenarioSpec s;
  s.name = "redis-container-restart";
  s.description =
      "seed 001: Redis (AOF) in a container of a private podman/docker engine, data on a bind "
      "mount, a named volume or only in the container's layer; container fault cycles";
  s.knobs = ContainerFaultKnobs({"bind", "volume", "none"});
  s.knobs.insert(
      s.knobs.end(),
      {
          Knob::Int("op_timeout_ms", 1000, "client command timeout (a frozen server -> unknown)",
                    10, 600000),
          Knob::Choice(
              "appendfsync", "always", {"always", "everysec", "no"},
              "AOF fsync policy (under a container kill even `no` keeps acknowledged writes: "
              "they reached the kernel)"),
      });
  s.default_cycles = 5;
  s.default_workers = 2;
  s.default_schedule = "ops:100-400";
  s.labels = {"redis", "container"};
  s.missing_prerequisite = MissingRedisContainer;
  s.build = [](ScenarioContext& ctx) {
    const Knobs& k = ctx.knobs;
    auto res = MakeEngineResource(k.Get("engine"));
    const ContainerAction action = ParseAction(k.Get("fault"));
    ContainerTargetOptions o;
    o.engine = res->engine;
    o.dir = ctx.work_dir / "store";
    o.name = "crashlab-redis";
    o.storage = ParseStorage(k.Get("mount"));
    if (action == ContainerAction::kPolicy) {
      o.restart_policy = k.Get("policy");
      o.ready_timeout = std::max(o.ready_timeout, kPolicyReadyTimeout);
    }
    ScenarioParts p;
    p.resources.push_back(res);
    p.target = std::make_unique<ContainerTarget>(
        std::move(o), std::make_unique<RedisContainerStore>(k.Get("appendfsync"),
                                                            Millis(k.GetInt("op_timeout_ms"))));
    p.workload = MakeKeyValueWorkload();
    ContainerFaultOptions fo;
    fo.action = action;
    fo.pause_hold = Millis(k.GetInt("hold_ms"));
    p.fault = MakeContainerFault(fo);
    return p;
  };
  return s;
}

}  // namespace crashlab::container

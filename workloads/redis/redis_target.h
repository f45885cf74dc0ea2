// Redis as a target: a real redis-server in the foreground as a direct child (never
// --daemonize), loopback only, password auth on; the hiredis client that applies ops.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/capabilities.h"
#include "framework/process.h"
#include "framework/target.h"

namespace crashlab::redis {

struct RedisOptions {
  // Holds redis.conf (mode 0600: it carries the password), redis.log and data/.
  std::filesystem::path work_dir;
  std::string appendonly = "yes";      // yes | no
  std::string appendfsync = "always";  // always | everysec | no
  std::string save;                    // RDB schedule ("900 1 300 10"); "" = off
  std::string aof_use_rdb_preamble = "yes";
  // A frozen server must cost a client this much, then kUnknown; never a hang.
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds connect_timeout{1000};
  // Start and recovery: from spawn to PING answered (LOADING is waited out).
  std::chrono::milliseconds ready_timeout{60000};
  // The server program: "" = FindRedisServer(); resolved by the target's constructor.
  std::string server_path;
  // Program prefix (e.g. {"fiu-run", "-x", ...}) and extra environment (a preload).
  std::vector<std::string> wrapper;
  std::map<std::string, std::string> env;
};

// The redis-server to run: `override_path` if non-empty (a path must be an executable
// file, a bare name is looked up on $PATH; else std::invalid_argument), else redis-server
// on $PATH (else std::runtime_error saying where it looked). The answer is absolute.
std::filesystem::path FindRedisServer(const std::string& override_path = "");

// The version from `<server> --version`, e.g. "7.0.15"; throws std::runtime_error if the
// program cannot run or says no version.
std::string RedisServerVersion(const std::filesystem::path& server);
// "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 ..." -> "7.0.15"; "" if none.
std::string ParseRedisVersion(const std::string& output);

// Why `program` (default: the redis-server FindRedisServer finds) cannot run here ("" if
// it can). A bare name is looked up on $PATH.
std::string MissingRedisServer(const std::string& program = "");

// Checks an RDB schedule ("" or pairs of positive integers); throws std::invalid_argument.
void ValidateSaveSchedule(const std::string& save);

// Where a client connects and how it authenticates. The password lives only here, in
// the 0600 config file and in the server's memory: never in argv, logs or reports.
struct Endpoint {
  int port = 0;
  std::string password;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};
};

class RedisTarget : public Target, public ClientEnvironment {
 public:
  explicit RedisTarget(RedisOptions options);
  ~RedisTarget() override;

  std::string Name() const override { return "redis"; }
  void Start() override;
  void Stop() override;
  void Recover() override;
  std::vector<Process*> Processes() override;
  std::filesystem::path DataDir() const override { return options_.work_dir / "data"; }
  std::unique_ptr<Client> NewClient(int worker) override;
  std::string LogExcerpt() const override;
  std::map<std::string, std::string> Config() const override;
  // REDIS_HOST, REDIS_PORT and REDISCLI_AUTH (the password) for redis-cli and friends.
  std::map<std::string, std::string> ClientEnv() const override;

  const Endpoint& endpoint() const { return endpoint_; }
  std::filesystem::path ConfigPath() const { return options_.work_dir / "redis.conf"; }
  std::filesystem::path LogPath() const { return options_.work_dir / "redis.log"; }
  pid_t pid() const { return process_.pid(); }

 private:
  void WriteConfig() const;
  // Spawns on the current port (a fresh one if it was taken) and waits for PING.
  // Throws Unrecoverable naming the log when the server does not come up.
  void SpawnAndWait();

  RedisOptions options_;
  Endpoint endpoint_;
  Process process_;
  std::string version_;         // INFO server's redis_version, once it answered
  std::string server_version_;  // `redis-server --version`
};

// A client on hiredis: SET r:<key>, INCRBY c:<counter>, RPUSH l:<list>,
// SET m:CRASHLAB_MARKER_<n>, accounts a:<n> (transfers as one Lua script).
// A reply is kOk, an error reply kFail, a connection that could not be made kFail
// (nothing was sent), a lost connection or a timeout after sending kUnknown.
std::unique_ptr<Client> MakeRedisClient(const Endpoint& endpoint);

// Reads every key back (SCAN, then GET / LRANGE, pipelined) into the framework's data
// models. Keys outside the naming scheme, bad values or a DBSIZE that disagrees with
// SCAN make integrity_ok false. Throws std::runtime_error if the server cannot be read.
ObservedState ReadRedisState(const Endpoint& endpoint);

}  // namespace crashlab::redis

// FindRedisServer (override or $PATH), version parsing, and what RedisTarget records.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "framework/process.h"
#include "workloads/redis/redis_target.h"

namespace crashlab::redis {
namespace {

namespace fs = std::filesystem;

void Script(const fs::path& path, const std::string& body) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms(0755), fs::perm_options::replace);
}

// Sets $PATH for one test.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path)
      : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

TEST(RedisVersion, ParsesRedisServerVersionOutput) {
  EXPECT_EQ(ParseRedisVersion("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 "
                              "build=c4ba6b3fc7c9e9bd\n"),
            "7.0.15");
  EXPECT_EQ(ParseRedisVersion("Redis server v=6.2.14 sha=00000000:0"), "6.2.14");
  EXPECT_EQ(ParseRedisVersion("Valkey server v=8.0.1 sha=0"), "");
  EXPECT_EQ(ParseRedisVersion("Redis server v= sha=0"), "");
  EXPECT_EQ(ParseRedisVersion(""), "");
}

TEST(FindRedisServer, OverrideThenPath) {
  TempDir dir("redis-server-test-");
  const fs::path a = dir.path() / "a" / "redis-server";
  const fs::path b = dir.path() / "b" / "redis-server";
  Script(a, "echo 'Redis server v=7.0.15 sha=0'");
  Script(b, "echo 'Redis server v=6.0.1 sha=0'");
  Script(dir.path() / "b" / "my-redis", "echo 'Redis server v=7.2.4 sha=0'");
  const ScopedPath path((dir.path() / "nothing").string() + ":" + (dir.path() / "a").string() +
                        ":" + (dir.path() / "b").string());
  EXPECT_EQ(FindRedisServer(), a);                                        // the first on $PATH
  EXPECT_EQ(FindRedisServer(b.string()), b);                              // a path wins
  EXPECT_EQ(FindRedisServer("my-redis"), dir.path() / "b" / "my-redis");  // a name, on $PATH
  EXPECT_EQ(RedisServerVersion(FindRedisServer()), "7.0.15");
  EXPECT_EQ(RedisServerVersion(FindRedisServer("my-redis")), "7.2.4");
  EXPECT_THROW(FindRedisServer((dir.path() / "a" / "nope").string()), std::invalid_argument);
  EXPECT_THROW(FindRedisServer("crashlab-no-such-redis"), std::invalid_argument);
  fs::permissions(b, fs::perms(0644), fs::perm_options::replace);
  EXPECT_THROW(FindRedisServer(b.string()), std::invalid_argument);
  EXPECT_NE(MissingRedisServer(b.string()).find(b.string()), std::string::npos);
  Script(dir.path() / "c" / "redis-server", "echo hello");
  EXPECT_THROW(RedisServerVersion(dir.path() / "c" / "redis-server"), std::runtime_error);
}

TEST(FindRedisServer, NoneOnPathSaysWhereItLooked) {
  TempDir dir("redis-server-test-");
  const ScopedPath path(dir.path().string());
  try {
    FindRedisServer();
    FAIL() << "found a redis-server in an empty dir";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(MissingRedisServer().empty());
}

TEST(RedisTargetServer, ConfigRecordsTheServerAndItsVersion) {
  if (const std::string why = MissingRedisServer(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir("redis-server-test-");
  RedisOptions o;
  o.work_dir = dir.path();
  RedisTarget t(o);
  const auto c = t.Config();
  EXPECT_EQ(c.at("redis.server"), FindRedisServer().string());
  EXPECT_EQ(c.at("redis.server_version"), RedisServerVersion(FindRedisServer()));
  o.server_path = (dir.path() / "no-redis-here").string();
  EXPECT_THROW(RedisTarget bad(o), std::invalid_argument);
}

}  // namespace
}  // namespace crashlab::redis

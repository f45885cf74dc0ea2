// FindPgBin's order (override, newest numeric version, pg_config) on a fake tree, version
// parsing, and what PostgresTarget records and refuses.
#include "workloads/postgres/pg_bin.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>

#include "framework/process.h"
#include "workloads/postgres/postgres_target.h"

namespace crashlab::postgres {
namespace {

namespace fs = std::filesystem;

// An executable shell script.
void Script(const fs::path& path, const std::string& body) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms(0755), fs::perm_options::replace);
}

// A fake server bin dir: postgres prints `version` the way the real one does.
void FakeBin(const fs::path& bin, const std::string& version, bool with_initdb = true) {
  Script(bin / "postgres", "echo 'postgres (PostgreSQL) " + version + "'");
  if (with_initdb) Script(bin / "initdb", "exit 0");
}

class FindPgBinTest : public ::testing::Test {
 protected:
  // A fake versions root and a pg_config that does not exist.
  PgBinSearch Where() const {
    PgBinSearch w;
    w.versions_root = lib_;
    w.pg_config = (dir_.path() / "no-pg-config").string();
    return w;
  }
  TempDir dir_{"pg-bin-test-"};
  fs::path lib_ = dir_.path() / "lib";
};

TEST_F(FindPgBinTest, TakesTheNewestNumericVersionThatHasPostgresAndInitdb) {
  FakeBin(lib_ / "9.6" / "bin", "9.6.24");
  FakeBin(lib_ / "10" / "bin", "10.23");
  // 10 > 9.6 although "9.6" > "10" as text.
  EXPECT_EQ(FindPgBin("", Where()), lib_ / "10" / "bin");
  FakeBin(lib_ / "15" / "bin", "15.18");
  FakeBin(lib_ / "16" / "bin", "16.4", /*with_initdb=*/false);  // a client-only install
  fs::create_directories(lib_ / "17");                          // no bin/ at all
  FakeBin(lib_ / "common" / "bin", "99.0");                     // not a version
  FakeBin(lib_ / "18.bak" / "bin", "99.0");
  EXPECT_EQ(FindPgBin("", Where()), lib_ / "15" / "bin");
  Script(lib_ / "16" / "bin" / "initdb", "exit 0");
  EXPECT_EQ(FindPgBin("", Where()), lib_ / "16" / "bin");
  // A program that is there but not executable does not count.
  fs::permissions(lib_ / "16" / "bin" / "initdb", fs::perms(0644), fs::perm_options::replace);
  EXPECT_EQ(FindPgBin("", Where()), lib_ / "15" / "bin");
}

TEST_F(FindPgBinTest, AnOverrideWinsAndMustHoldPostgresAndInitdb) {
  FakeBin(lib_ / "15" / "bin", "15.18");
  FakeBin(dir_.path() / "mine", "14.1");
  EXPECT_EQ(FindPgBin((dir_.path() / "mine").string(), Where()), dir_.path() / "mine");
  FakeBin(dir_.path() / "half", "14.1", /*with_initdb=*/false);
  try {
    FindPgBin((dir_.path() / "half").string(), Where());
    FAIL() << "a bin dir without initdb was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find((dir_.path() / "half").string()), std::string::npos) << m;
    EXPECT_NE(m.find("initdb"), std::string::npos) << m;
  }
  EXPECT_THROW(FindPgBin((dir_.path() / "nowhere").string(), Where()), std::invalid_argument);
}

TEST_F(FindPgBinTest, FallsBackToPgConfigBindir) {
  FakeBin(dir_.path() / "elsewhere" / "bin", "15.2");
  PgBinSearch w = Where();
  w.pg_config = (dir_.path() / "pg_config").string();
  Script(w.pg_config,
         "test \"$1\" = --bindir || exit 1\necho " + (dir_.path() / "elsewhere" / "bin").string());
  EXPECT_EQ(FindPgBin("", w), dir_.path() / "elsewhere" / "bin");
  // A version dir, when there is one, comes first.
  FakeBin(lib_ / "12" / "bin", "12.1");
  EXPECT_EQ(FindPgBin("", w), lib_ / "12" / "bin");
}

TEST_F(FindPgBinTest, SaysWhatItLookedFor) {
  PgBinSearch w = Where();
  try {
    FindPgBin("", w);
    FAIL() << "found a server in an empty tree";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(lib_.string()), std::string::npos) << m;
    EXPECT_NE(m.find("no-pg-config"), std::string::npos) << m;
  }
  w.pg_config = (dir_.path() / "pg_config").string();
  Script(w.pg_config, "echo /crashlab-nonexistent/bin");
  try {
    FindPgBin("", w);
    FAIL() << "accepted a pg_config bindir without the server";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/crashlab-nonexistent/bin"), std::string::npos)
        << e.what();
  }
}

TEST(PgVersion, ParsesPostgresVersionOutput) {
  EXPECT_EQ(ParsePgVersion("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), "15.18");
  EXPECT_EQ(ParsePgVersion("postgres (PostgreSQL) 16.4\n"), "16.4");
  EXPECT_EQ(ParsePgVersion("postgres (PostgreSQL) 9.6.24"), "9.6.24");
  EXPECT_EQ(ParsePgVersion("postgres (PostgreSQL) 17beta1\n"), "17beta1");
  EXPECT_EQ(ParsePgVersion("postgres: command not found\n"), "");
  EXPECT_EQ(ParsePgVersion("postgres (PostgreSQL) \n"), "");
  EXPECT_EQ(ParsePgVersion(""), "");
}

TEST_F(FindPgBinTest, ServerVersionComesFromPostgresVersion) {
  FakeBin(dir_.path() / "a", "15.18 (Debian 15.18-0+deb12u1)");
  EXPECT_EQ(PgServerVersion(dir_.path() / "a"), "15.18");
  Script(dir_.path() / "b" / "postgres", "echo hello");
  EXPECT_THROW(PgServerVersion(dir_.path() / "b"), std::runtime_error);
  Script(dir_.path() / "c" / "postgres", "echo 'postgres (PostgreSQL) 15.1'; exit 3");
  EXPECT_THROW(PgServerVersion(dir_.path() / "c"), std::runtime_error);
  EXPECT_THROW(PgServerVersion(dir_.path() / "missing"), std::runtime_error);
}

TEST(PgBinHere, FindsTheInstalledServerAndItsVersion) {
  if (const std::string why = MissingPostgres(); !why.empty()) GTEST_SKIP() << why;
  const fs::path bin = FindPgBin();
  EXPECT_TRUE(fs::exists(bin / "postgres"));
  EXPECT_TRUE(fs::exists(bin / "initdb"));
  const std::string v = PgServerVersion(bin);
  ASSERT_FALSE(v.empty());
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(v[0]))) << v;
}

TEST(PostgresTargetBin, ConfigRecordsTheBinAndTheServerVersion) {
  if (const std::string why = MissingPostgres(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir("pg-bin-target-");
  PostgresOptions o;
  o.dir = dir.path();
  PostgresTarget t(o);
  const auto c = t.Config();
  EXPECT_EQ(t.options().bin_dir, FindPgBin());
  EXPECT_EQ(c.at("postgres.bin"), FindPgBin().string());
  EXPECT_EQ(c.at("postgres.server_version"), PgServerVersion(FindPgBin()));
}

TEST(PostgresTargetBin, ABadBinDirIsRefusedAtConstruction) {
  TempDir dir("pg-bin-target-");
  PostgresOptions o;
  o.dir = dir.path();
  o.bin_dir = dir.path() / "no-server-here";
  if (::geteuid() == 0 && !LookupUser("postgres") && !LookupUser("nobody"))
    GTEST_SKIP() << "no user to drop to";
  EXPECT_THROW(PostgresTarget t(o), std::invalid_argument);
  EXPECT_NE(MissingPostgres(o.bin_dir).find("no-server-here"), std::string::npos);
}

// A checkout under a 0700 home: the server (dropped to its own user) could not read a
// preload from there, and ld.so would only warn. The target must refuse to start instead.
TEST(PostgresTargetBin, RefusesAPreloadItsUserCannotRead) {
  if (const std::string why = MissingPostgres(); !why.empty()) GTEST_SKIP() << why;
  if (::geteuid() != 0)
    GTEST_SKIP() << "the server only runs as another user when the runner is root";
  TempDir dir("pg-bin-preload-");
  fs::permissions(dir.path(), fs::perms(0755), fs::perm_options::replace);
  const fs::path home = dir.path() / "home";
  fs::create_directories(home);
  fs::permissions(home, fs::perms(0700), fs::perm_options::replace);
  const fs::path lib = home / "libcrashlab_syncfault.so";
  std::ofstream(lib) << "not really a library";
  fs::permissions(lib, fs::perms(0644), fs::perm_options::replace);
  PostgresOptions o;
  o.dir = dir.path() / "work";
  fs::create_directories(o.dir);
  o.env["LD_PRELOAD"] = lib.string();
  PostgresTarget t(o);
  try {
    t.Start();
    FAIL() << "started with a preload its user cannot read";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    std::printf("refused: %s\n", m.c_str());
    EXPECT_NE(m.find("no search permission on " + home.string()), std::string::npos) << m;
    EXPECT_NE(m.find("LD_PRELOAD"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "not one line: " << m;
  }
  EXPECT_EQ(t.postmaster_pid(), -1);
}

}  // namespace
}  // namespace crashlab::postgres

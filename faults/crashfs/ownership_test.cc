// Files created on crashfs by a non-root process belong to that process's user.
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>

#include <vector>

#include "faults/crashfs/test_util.h"

extern char** environ;

namespace crashlab::crashfs::testing {
namespace {

// Runs argv (no shell) and returns its exit status, or -1.
int RunArgv(std::vector<std::string> argv) {
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, cargv[0], nullptr, nullptr, cargv.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class OwnershipTest : public CrashFsTest {};

TEST_F(OwnershipTest, NonRootClientOwnsWhatItCreates) {
  passwd* pw = getpwnam("nobody");
  if (pw == nullptr) GTEST_SKIP() << "no user 'nobody'";
  if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) missing";
  std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
  ASSERT_EQ(mkdir(M("shared").c_str(), 0777), 0);
  ASSERT_EQ(chmod(M("shared").c_str(), 0777), 0);
  auto as_nobody = [&](std::vector<std::string> cmd) {
    std::vector<std::string> argv = {"setpriv", "--reuid=" + uid, "--regid=" + gid,
                                     "--clear-groups", "--"};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    return RunArgv(argv);
  };
  ASSERT_EQ(as_nobody({"touch", M("shared/file")}), 0);
  ASSERT_EQ(as_nobody({"mkdir", M("shared/dir")}), 0);
  ASSERT_EQ(as_nobody({"ln", "-s", "file", M("shared/link")}), 0);
  for (const char* n : {"shared/file", "shared/dir", "shared/link"}) {
    struct stat st;
    ASSERT_EQ(lstat(B(n).c_str(), &st), 0) << n;
    EXPECT_EQ(st.st_uid, pw->pw_uid) << n;
    EXPECT_EQ(st.st_gid, pw->pw_gid) << n;
  }
  // default_permissions: nobody may not write into a root-owned 0755 directory.
  ASSERT_EQ(mkdir(M("private").c_str(), 0755), 0);
  EXPECT_NE(as_nobody({"touch", M("private/file")}), 0);
  EXPECT_FALSE(Exists(B("private/file")));
  // Root's own creations stay root's (the fs identity was restored).
  WriteFile(M("shared/rootfile"), "r", false);
  struct stat st;
  ASSERT_EQ(stat(B("shared/rootfile").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

}  // namespace
}  // namespace crashlab::crashfs::testing

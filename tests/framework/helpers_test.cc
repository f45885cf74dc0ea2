// Unit tests of the helper lookup: $CRASHLAB_LIBEXEC_DIR, the walk up from the running
// program, registered package dirs, and errors that name every place looked in.
#include "framework/helpers.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "framework/process.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

fs::path ExeDir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

void Touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "#!/bin/sh\n";
}

// Sets $CRASHLAB_LIBEXEC_DIR for one test and restores it after.
class ScopedLibexecEnv {
 public:
  explicit ScopedLibexecEnv(const char* value) {
    if (const char* old = std::getenv("CRASHLAB_LIBEXEC_DIR")) old_ = old;
    if (value != nullptr)
      ::setenv("CRASHLAB_LIBEXEC_DIR", value, 1);
    else
      ::unsetenv("CRASHLAB_LIBEXEC_DIR");
  }
  ~ScopedLibexecEnv() {
    if (old_)
      ::setenv("CRASHLAB_LIBEXEC_DIR", old_->c_str(), 1);
    else
      ::unsetenv("CRASHLAB_LIBEXEC_DIR");
  }

 private:
  std::optional<std::string> old_;
};

std::string Unique(const std::string& what) {
  return "crashlab-helpers-test-" + what + "-" + std::to_string(::getpid());
}

TEST(HelpersTest, FoundInLibexecBesideOrAboveTheProgram) {
  ScopedLibexecEnv env(nullptr);
  const std::string beside = Unique("beside"), above = Unique("above");
  const fs::path in_exe_dir = ExeDir() / CRASHLAB_HELPER_SUBDIR / beside;
  const fs::path in_parent = ExeDir().parent_path() / CRASHLAB_HELPER_SUBDIR / above;
  Touch(in_exe_dir);
  Touch(in_parent);
  EXPECT_EQ(HelperProgram(beside), in_exe_dir);
  EXPECT_EQ(HelperProgram(above), in_parent);
  fs::remove(in_parent);
  for (fs::path p = in_exe_dir; p != ExeDir(); p = p.parent_path()) fs::remove(p);  // ours only
}

TEST(HelpersTest, EnvironmentOverridesAndIsTheOnlyPlace) {
  TempDir dir("crashlab-helpers-");
  ScopedLibexecEnv env(dir.path().c_str());
  Touch(dir.path() / "tool");
  EXPECT_EQ(HelperProgram("tool"), dir.path() / "tool");
  EXPECT_EQ(HelperCandidates("tool"), std::vector<fs::path>{dir.path() / "tool"});
  try {
    HelperProgram("other");
    FAIL() << "found a helper that is not in $CRASHLAB_LIBEXEC_DIR";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir.path() / "other").string()), std::string::npos) << what;
    EXPECT_NE(what.find("CRASHLAB_LIBEXEC_DIR"), std::string::npos) << what;
  }
}

TEST(HelpersTest, RegisteredDirectoryComesAfterTheWalkUp) {
  ScopedLibexecEnv env(nullptr);
  TempDir dir("crashlab-helpers-");
  const std::string name = Unique("registered");
  Touch(dir.path() / name);
  AddHelperDir(dir.path());
  EXPECT_EQ(HelperProgram(name), dir.path() / name);
  const auto candidates = HelperCandidates(name);
  ASSERT_GE(candidates.size(), 3u);
  EXPECT_EQ(candidates.front(), ExeDir() / CRASHLAB_HELPER_SUBDIR / name);
  EXPECT_EQ(candidates.back(), dir.path() / name);
}

TEST(HelpersTest, MissingHelperNamesEveryPlaceLookedIn) {
  ScopedLibexecEnv env(nullptr);
  const std::string name = Unique("missing");
  try {
    HelperProgram(name);
    FAIL() << "found a helper that does not exist";
  } catch (const std::runtime_error& e) {
    for (const auto& p : HelperCandidates(name)) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  }
  // Where it belongs for a program in PREFIX/bin: PREFIX/libexec/crashlab.
  EXPECT_EQ(HelperProgramOrExpected(name), ExeDir().parent_path() / CRASHLAB_HELPER_SUBDIR / name);
}

}  // namespace
}  // namespace crashlab

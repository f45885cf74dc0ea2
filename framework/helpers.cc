// Helper lookup: $CRASHLAB_LIBEXEC_DIR, then libexec/crashlab/ in the executable's
// directory or above it, then the directories consumers registered.
#include "framework/helpers.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;

#ifndef CRASHLAB_HELPER_SUBDIR
#error "CRASHLAB_HELPER_SUBDIR (libexec/crashlab, relative to a prefix) must be set by the build"
#endif

namespace crashlab {
namespace {

constexpr const char* kHelperSubdir = CRASHLAB_HELPER_SUBDIR;

struct HelperDirs {
  std::mutex mu;
  std::vector<fs::path> dirs;
};
HelperDirs& Registered() {
  static HelperDirs* d = new HelperDirs;  // never destroyed: registered from static initializers
  return *d;
}

// $CRASHLAB_LIBEXEC_DIR, or nullptr when unset or empty.
const char* LibexecEnv() {
  const char* env = std::getenv("CRASHLAB_LIBEXEC_DIR");
  return env != nullptr && env[0] != '\0' ? env : nullptr;
}

std::optional<fs::path> FirstFile(const std::vector<fs::path>& candidates) {
  for (const auto& p : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

}  // namespace

bool AddHelperDir(const fs::path& dir) {
  HelperDirs& d = Registered();
  std::lock_guard lock(d.mu);
  if (std::find(d.dirs.begin(), d.dirs.end(), dir) == d.dirs.end()) d.dirs.push_back(dir);
  return true;
}

std::vector<fs::path> HelperCandidates(const std::string& name) {
  if (const char* env = LibexecEnv()) return {fs::path(env) / name};
  std::vector<fs::path> out;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      out.push_back(dir / kHelperSubdir / name);
      if (dir == dir.root_path()) break;
    }
  }
  HelperDirs& d = Registered();
  std::lock_guard lock(d.mu);
  for (const auto& dir : d.dirs) out.push_back(dir / name);
  return out;
}

fs::path HelperProgramOrExpected(const std::string& name) {
  const std::vector<fs::path> candidates = HelperCandidates(name);
  if (auto found = FirstFile(candidates)) return *found;
  // Without the override, candidates[1] is PREFIX/libexec/crashlab/name for PREFIX/bin/exe.
  if (LibexecEnv() == nullptr && candidates.size() > 1) return candidates[1];
  return candidates.empty() ? fs::path(name) : candidates.front();
}

fs::path HelperProgram(const std::string& name) {
  const std::vector<fs::path> candidates = HelperCandidates(name);
  if (auto found = FirstFile(candidates)) return *found;
  std::string tried;
  for (const auto& p : candidates) tried += (tried.empty() ? "" : ", ") + p.string();
  if (tried.empty()) tried = "nothing (/proc/self/exe unreadable, no directory registered)";
  throw std::runtime_error("crashlab helper '" + name + "' not found; looked for " + tried +
                           (LibexecEnv() != nullptr
                                ? " (only there: $CRASHLAB_LIBEXEC_DIR is set)"
                                : " (set CRASHLAB_LIBEXEC_DIR to the directory that holds it)"));
}

}  // namespace crashlab

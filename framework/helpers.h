// Finding crashlab's helper programs (the SQLite agent, crashfs, the syncfault preload)
// at run time, relative to where crashlab is built or installed: never a path compiled in.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace crashlab {

// The places HelperProgram(name) looks, in order. If $CRASHLAB_LIBEXEC_DIR is set, only
// that directory. Otherwise DIR/libexec/crashlab/name for the running executable's
// directory and each of its parents (the build tree and an installed tree put programs
// in bin/ and helpers in libexec/crashlab/ alike), then each directory registered with
// AddHelperDir (an installed package's libexec dir, compiled into its consumers).
std::vector<std::filesystem::path> HelperCandidates(const std::string& name);

// The first candidate that exists. Throws std::runtime_error naming every place looked
// in when none does.
std::filesystem::path HelperProgram(const std::string& name);

// Like HelperProgram, but never throws: if the helper is missing, the place it belongs
// ($CRASHLAB_LIBEXEC_DIR/name, else libexec/crashlab/name beside the running program's
// directory), which does not exist: for existence checks and messages.
std::filesystem::path HelperProgramOrExpected(const std::string& name);

// Adds a directory to search after the walk up from the executable. Thread-safe; meant
// for static initializers (see cmake/crashlab_package_dir.cc). Always returns true.
bool AddHelperDir(const std::filesystem::path& dir);

}  // namespace crashlab

// FindPgBin: the PostgreSQL server programs by override, newest installed version, or
// pg_config; the server's version from `postgres --version`.
#include "workloads/postgres/pg_bin.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <vector>

#include "framework/process.h"
#include "framework/run_command.h"

namespace fs = std::filesystem;

namespace crashlab::postgres {
namespace {

constexpr const char* kPrograms[] = {"postgres", "initdb"};

// The first of postgres/initdb that is not an executable file in `dir` ("" if none).
std::string MissingProgram(const fs::path& dir) {
  for (const char* p : kPrograms) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / p, ec) || ::access((dir / p).c_str(), X_OK) != 0) return p;
  }
  return "";
}

// "15" -> {15}, "9.6" -> {9, 6}; nullopt for anything else ("common", "15beta").
std::optional<std::vector<long>> NumericVersion(const std::string& name) {
  std::vector<long> v;
  size_t i = 0;
  while (i < name.size()) {
    size_t j = i;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    if (j == i || j - i > 9) return std::nullopt;
    v.push_back(std::stol(name.substr(i, j - i)));
    if (j == name.size()) break;
    if (name[j] != '.' || j + 1 == name.size()) return std::nullopt;
    i = j + 1;
  }
  if (v.empty()) return std::nullopt;
  return v;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

fs::path FindPgBin(const std::string& override_dir, const PgBinSearch& where) {
  if (!override_dir.empty()) {
    const std::string missing = MissingProgram(override_dir);
    if (!missing.empty()) {
      throw std::invalid_argument("PostgreSQL bin dir '" + override_dir + "' has no executable " +
                                  missing + " (it must hold postgres and initdb)");
    }
    return fs::absolute(override_dir);
  }
  std::optional<std::vector<long>> best_version;
  fs::path best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(where.versions_root, ec)) {
    const auto v = NumericVersion(e.path().filename().string());
    if (!v || (best_version && *v <= *best_version)) continue;
    if (!MissingProgram(e.path() / "bin").empty()) continue;
    best_version = v;
    best = e.path() / "bin";
  }
  if (best_version) return best;
  std::string config_says;
  try {
    const fs::path dir = Trim(CommandOutput({where.pg_config, "--bindir"}));
    const std::string missing = dir.empty() ? "postgres" : MissingProgram(dir);
    if (missing.empty()) return dir;
    config_says =
        where.pg_config + " --bindir says '" + dir.string() + "', which has no " + missing;
  } catch (const std::exception& e) {
    config_says = e.what();
  }
  throw std::runtime_error("PostgreSQL server not found: no " +
                           (where.versions_root / "<version>/bin").string() +
                           " holds postgres and initdb, and " + config_says +
                           " (apt-get install -y postgresql, or name the bin dir)");
}

std::string ParsePgVersion(const std::string& output) {
  const std::string tag = "(PostgreSQL)";
  const size_t p = output.find(tag);
  if (p == std::string::npos) return "";
  const size_t b = output.find_first_not_of(' ', p + tag.size());
  if (b == std::string::npos || !std::isdigit(static_cast<unsigned char>(output[b]))) return "";
  return output.substr(b, output.find_first_of(" \t\r\n", b) - b);
}

std::string PgServerVersion(const fs::path& bin) {
  const std::string out = CommandOutput({(bin / "postgres").string(), "--version"});
  const std::string v = ParsePgVersion(out);
  if (v.empty())
    throw std::runtime_error((bin / "postgres").string() +
                             " --version said no version: " + Trim(out));
  return v;
}

}  // namespace crashlab::postgres

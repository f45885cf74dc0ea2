// The prerequisite checks of crashlab doctor.
#include "tools/doctor.h"

#include <unistd.h>

#include <boost/process/search_path.hpp>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <string>
#include <vector>

#include "framework/process.h"
#include "framework/scenario.h"
#include "workloads/postgres/pg_bin.h"

namespace crashlab::tools {
namespace {

bool OnPath(const std::string& prog) { return !boost::process::search_path(prog).empty(); }
bool Exists(const std::string& p) { return std::filesystem::exists(p); }

struct Check {
  std::string name;
  std::function<bool()> present;
  std::string disables;  // what is lost when missing
};

}  // namespace

int Doctor(std::ostream& out) {
  const std::string pg = [] { try { return postgres::FindPgBin().string() + "/"; } catch (const std::exception&) { return std::string("<no PostgreSQL server found>/"); } }();
  std::vector<Check> checks = {
      {"root privileges", [] { return ::geteuid() == 0; },
       "FUSE mounts (crashfs), privilege drop for PostgreSQL, container engines"},
      {"PostgreSQL 15 server (" + pg + "postgres, initdb)",
       [&] { return Exists(pg + "postgres") && Exists(pg + "initdb"); }, "postgres-* scenarios"},
      {"unprivileged user 'postgres' or 'nobody'",
       [] { return LookupUser("postgres") || LookupUser("nobody"); }, "postgres-* scenarios (PostgreSQL refuses root)"},
      {"pgbench", [&] { return Exists(pg + "pgbench"); }, "the PostgreSQL client benchmark"},
      {"redis-server", [] { return OnPath("redis-server"); }, "redis-* scenarios"},
      {"redis-benchmark", [] { return OnPath("redis-benchmark"); }, "the Redis client benchmark"},
      {"/dev/fuse", [] { return Exists("/dev/fuse"); }, "crashfs power cuts (*-powercut, sqlite-crashpoints)"},
      {"fusermount3", [] { return OnPath("fusermount3"); }, "crashfs power cuts"},
      {"fiu-run / fiu-ctrl (libfiu)", [] { return OnPath("fiu-run") && OnPath("fiu-ctrl"); },
       "libfiu fault points (*-fsync-eio on SQLite/Redis, *-enospc)"},
      {"podman", [] { return OnPath("podman"); }, "container scenarios on podman"},
      {"runc", [] { return OnPath("runc") || Exists("/usr/sbin/runc"); }, "podman containers (crun fails here)"},
      {"dockerd", [] { return OnPath("dockerd"); }, "container scenarios on docker"},
  };
  size_t missing = 0;
  for (const auto& c : checks) {
    const bool ok = c.present();
    if (!ok) ++missing;
    out << (ok ? "  ok       " : "  MISSING  ") << std::left << std::setw(52) << c.name
        << (ok ? "" : "disables: " + c.disables) << "\n";
  }
  out << "\nscenarios:\n";
  for (const auto* s : Registry::Global().All()) {
    const std::string why = s->missing_prerequisite ? s->missing_prerequisite() : "";
    out << (why.empty() ? "  ready    " : "  blocked  ") << std::left << std::setw(28) << s->name << why << "\n";
  }
  out << "\n" << (missing ? std::to_string(missing) + " prerequisite(s) missing; ci/setup.sh installs them"
                          : "everything crashlab can use is present")
      << "\n";
  return 0;
}

}  // namespace crashlab::tools

// Where the PostgreSQL server programs are: found on this machine, never assumed.
#pragma once

#include <filesystem>
#include <string>

namespace crashlab::postgres {

// Where FindPgBin looks. A parameter so that tests can point it at a fake tree.
struct PgBinSearch {
  std::filesystem::path versions_root = "/usr/lib/postgresql";  // holds <version>/bin/
  std::string pg_config = "pg_config";  // asked for --bindir when no version dir fits
};

// The directory of the PostgreSQL server programs (postgres, initdb, pg_ctl, pgbench...):
//  - `override_dir` if non-empty; it must hold postgres and initdb, else
//    std::invalid_argument saying which one is missing;
//  - else the newest <versions_root>/<version>/bin, by numeric version (10 > 9.6), that
//    holds both;
//  - else `pg_config --bindir` (run as an argv vector, no shell) if that holds both;
//  - else std::runtime_error saying what was looked for.
std::filesystem::path FindPgBin(const std::string& override_dir = "",
                                const PgBinSearch& where = {});

// The server's version from `<bin>/postgres --version`, e.g. "15.18". Throws
// std::runtime_error if the program cannot run or says no version.
std::string PgServerVersion(const std::filesystem::path& bin);

// The version in `postgres --version` output: "postgres (PostgreSQL) 15.18 (Debian
// 15.18-0+deb12u1)" -> "15.18"; "" if there is none.
std::string ParsePgVersion(const std::string& output);

}  // namespace crashlab::postgres

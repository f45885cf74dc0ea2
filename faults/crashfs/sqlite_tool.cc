// SQLite stand-in store for crashfs tests and benchmarks: commits rows, reports each commit.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int Usage() {
  fprintf(stderr,
          "usage: crashfs_sqlite_tool setup DB          create WAL db + table t, durably\n"
          "       crashfs_sqlite_tool agent DB SYNC N   insert N rows, one tx each, print each\n"
          "                                             committed id on stdout, then wait to be "
          "killed\n"
          "       crashfs_sqlite_tool count DB          print: <rows> <max id>\n"
          "       crashfs_sqlite_tool bench DB SYNC N   insert N rows, print tx/s\n"
          "SYNC: OFF NORMAL FULL\n");
  return 2;
}

sqlite3* Open(const char* path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "open %s: %s\n", path, sqlite3_errmsg(db));
    exit(1);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql.c_str(), err ? err : "?");
    exit(1);
  }
}

// Inserts rows first..first+n-1, one transaction each; calls on_commit(id) after each.
template <typename F>
void Insert(sqlite3* db, long first, long n, F on_commit) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO t(id, v) VALUES(?, ?)", -1, &st, nullptr) != SQLITE_OK) {
    fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
  char payload[100];
  memset(payload, 'x', sizeof(payload));
  for (long id = first; id < first + n; ++id) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_blob(st, 2, payload, sizeof(payload), SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
      fprintf(stderr, "insert %ld: %s\n", id, sqlite3_errmsg(db));
      exit(1);
    }
    sqlite3_reset(st);
    on_commit(id);
  }
  sqlite3_finalize(st);
}

long MaxId(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0), count(*) FROM t", -1, &st, nullptr);
  long max = 0;
  if (sqlite3_step(st) == SQLITE_ROW) max = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return max;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  std::string cmd = argv[1];
  const char* path = argv[2];
  if (cmd == "setup") {
    sqlite3* db = Open(path);
    Exec(db, "PRAGMA journal_mode=WAL");
    Exec(db, "PRAGMA synchronous=FULL");
    Exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)");
    Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
    return 0;
  }
  if (cmd == "count") {
    sqlite3* db = Open(path);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(id), 0) FROM t", -1, &st, nullptr) !=
        SQLITE_OK) {
      fprintf(stderr, "count: %s\n", sqlite3_errmsg(db));
      return 1;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
      fprintf(stderr, "count: %s\n", sqlite3_errmsg(db));
      return 1;
    }
    printf("%lld %lld\n", sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
  }
  if ((cmd == "agent" || cmd == "bench") && argc == 5) {
    std::string sync = argv[3];
    long n = atol(argv[4]);
    sqlite3* db = Open(path);
    Exec(db, "PRAGMA journal_mode=WAL");
    Exec(db, "PRAGMA synchronous=" + sync);
    Exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)");
    long first = MaxId(db) + 1;
    if (cmd == "agent") {
      // One write(2) per commit: a line in the pipe before SIGKILL is not lost.
      Insert(db, first, n, [](long id) {
        char line[32];
        int len = snprintf(line, sizeof(line), "%ld\n", id);
        if (write(1, line, len) != len) _exit(1);
      });
      for (;;) pause();
    }
    auto t0 = std::chrono::steady_clock::now();
    Insert(db, first, n, [](long) {});
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("%.1f\n", n / s);
    sqlite3_close(db);
    return 0;
  }
  return Usage();
}

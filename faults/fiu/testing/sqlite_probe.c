/* Test target: executes SQL statements read from stdin against one SQLite file. */

/*
 * Usage: sqlite_probe DBFILE. Each stdin line is one SQL text run with sqlite3_exec;
 * reply: "ok" or "error EXTENDED_CODE MESSAGE". Linked against the system libsqlite3
 * so that its fdatasync/pwrite calls go through the dynamic linker (and the preload).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DBFILE\n", argv[0]);
    return 2;
  }
  sqlite3* db = NULL;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
    fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  sqlite3_extended_result_codes(db, 1);
  setvbuf(stdout, NULL, _IOLBF, 0);
  char line[8192];
  while (fgets(line, sizeof(line), stdin) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char* err = NULL;
    int rc = sqlite3_exec(db, line, NULL, NULL, &err);
    if (rc == SQLITE_OK) {
      printf("ok\n");
    } else {
      printf("error %d %s\n", rc, err ? err : sqlite3_errstr(rc));
    }
    sqlite3_free(err);
  }
  sqlite3_close(db);
  return 0;
}

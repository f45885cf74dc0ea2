// The PostgreSQL client: each op one real transaction over libpq with prepared
// statements, errors mapped onto ok / fail / unknown, and the state read back with amcheck.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/target.h"
#include "workloads/postgres/postgres_target.h"

namespace crashlab::postgres {

// A libpq connection (RAII). Not thread-safe: one thread at a time.
class PgConn {
 public:
  PgConn() = default;
  // Connects; throws std::runtime_error with libpq's message on failure.
  explicit PgConn(const std::string& conninfo);
  PgConn(PgConn&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}
  PgConn& operator=(PgConn&& o) noexcept;
  ~PgConn();

  PGconn* get() const { return conn_; }
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  // Runs `sql` (one or more statements, no parameters); throws on any error.
  void ExecOrThrow(const std::string& sql);
  // Runs a query and returns its result; throws unless it returned tuples or completed.
  std::unique_ptr<PGresult, void (*)(PGresult*)> QueryOrThrow(const std::string& sql);
  std::string Error() const { return conn_ ? PQerrorMessage(conn_) : "not connected"; }

 private:
  PGconn* conn_ = nullptr;
};

// How an error leaves a transaction: definitely rolled back (constraint violation,
// serialization failure, a statement error on a live connection), or in doubt (the
// connection broke, the server is shutting down or crashed).
Outcome ClassifyError(PGconn* conn, const PGresult* res);

struct PgClientOptions {
  std::string conninfo;
  PgWorkload workload = PgWorkload::kLedger;
  bool amcheck = true;
};

class PostgresClient : public Client {
 public:
  explicit PostgresClient(PgClientOptions options);

  // Creates the workload's schema (and accounts) if absent, and the amcheck extension.
  void Prepare(const DataModel& model) override;
  Outcome Apply(const Op& op) override;
  ObservedState ReadState() override;

 private:
  // Connects (with backoff after a failure) and prepares the statements; false if the
  // server cannot be reached now (the op was never sent).
  bool EnsureConnected();
  // One prepared single-statement transaction (autocommit). `want_rows`: a statement
  // that touched no row is a definite failure (update/delete of an absent key).
  Outcome Single(const char* stmt, std::initializer_list<std::string> params, bool want_rows);
  Outcome Transfer(const Op& op);
  Outcome Read(const Op& op);
  void Integrity(PgConn& c, ObservedState& s);

  PgClientOptions options_;
  PgConn conn_;
  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace crashlab::postgres

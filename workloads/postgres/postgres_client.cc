// PostgresClient: the ledger, bank and critical-operations workloads mapped onto SQL.
#include "workloads/postgres/postgres_client.h"

#include <cstring>
#include <map>
#include <thread>

#include "framework/process.h"
#include "framework/workload.h"
#include "workloads/postgres/critical_workload.h"

namespace crashlab::postgres {

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

namespace {

ResultPtr Wrap(PGresult* r) { return ResultPtr(r, PQclear); }

struct Statement {
  const char* name;
  const char* sql;
};

// Prepared statements per workload. Parameters are cast explicitly so that one prepared
// plan serves every op.
const std::vector<Statement>& Statements(PgWorkload w) {
  static const std::vector<Statement> ledger = {
      {"ins", "INSERT INTO orders(id, amount) VALUES ($1::bigint, $2::bigint)"},
      {"upd", "UPDATE orders SET amount = $2::bigint WHERE id = $1::bigint"},
      {"del", "DELETE FROM orders WHERE id = $1::bigint"},
      {"marker", "INSERT INTO markers(name) VALUES ($1::text)"},
      {"get", "SELECT amount FROM orders WHERE id = $1::bigint"},
  };
  static const std::vector<Statement> bank = {
      {"lock",
       "SELECT id, balance FROM accounts WHERE id = $1::int OR id = $2::int ORDER BY id FOR "
       "UPDATE"},
      {"debit", "UPDATE accounts SET balance = balance - $2::bigint WHERE id = $1::int"},
      {"credit", "UPDATE accounts SET balance = balance + $2::bigint WHERE id = $1::int"},
  };
  static const std::vector<Statement> critical = {
      {"user_upsert",
       "INSERT INTO users(id, email, plan) VALUES ($1::bigint, 'u' || $1::bigint || "
       "'@crashlab.test', "
       "$2::bigint) ON CONFLICT (id) DO UPDATE SET plan = EXCLUDED.plan"},
      {"user_plan", "UPDATE users SET plan = $2::bigint WHERE id = $1::bigint"},
      {"summary_ins",
       "INSERT INTO summaries(id, user_id, video, version) VALUES ($1::bigint, $3::bigint, "
       "$4::int, "
       "$2::bigint)"},
      {"event_ins",
       "INSERT INTO usage_events(user_id, summary_id) VALUES ($2::bigint, $1::bigint)"},
      {"usage_inc", "UPDATE users SET usage_count = usage_count + 1 WHERE id = $1::bigint"},
      {"summary_upd", "UPDATE summaries SET version = $2::bigint WHERE id = $1::bigint"},
      {"summary_del", "DELETE FROM summaries WHERE id = $1::bigint"},
      {"link_ins",
       "INSERT INTO share_links(id, user_id, slug) VALUES ($1::bigint, $3::bigint, 's' || "
       "$2::bigint)"},
      {"read_user",
       "SELECT u.plan, s.id, s.version FROM users u LEFT JOIN summaries s ON s.user_id = u.id "
       "WHERE u.id = $1::bigint ORDER BY s.id DESC LIMIT 20"},
      {"read_slug", "SELECT id, user_id FROM share_links WHERE slug = 's' || $1::bigint"},
  };
  switch (w) {
    case PgWorkload::kLedger:
      return ledger;
    case PgWorkload::kBank:
      return bank;
    case PgWorkload::kCritical:
      return critical;
  }
  return ledger;
}

const char* Schema(PgWorkload w) {
  switch (w) {
    case PgWorkload::kLedger:
      return "CREATE TABLE IF NOT EXISTS orders(id bigint PRIMARY KEY, amount bigint NOT NULL);"
             "CREATE TABLE IF NOT EXISTS markers(name text PRIMARY KEY);";
    case PgWorkload::kBank:
      // No CHECK (balance >= 0): the client's overdraft rule under FOR UPDATE is what
      // keeps balances non-negative, so a lost lock or a torn transfer shows.
      return "CREATE TABLE IF NOT EXISTS accounts(id int PRIMARY KEY, balance bigint NOT NULL);";
    case PgWorkload::kCritical:
      return "CREATE TABLE IF NOT EXISTS users(id bigint PRIMARY KEY, email text NOT NULL UNIQUE,"
             "  plan bigint NOT NULL, usage_count bigint NOT NULL DEFAULT 0);"
             "CREATE TABLE IF NOT EXISTS summaries(id bigint PRIMARY KEY,"
             "  user_id bigint NOT NULL REFERENCES users(id), video int NOT NULL,"
             "  version bigint NOT NULL, UNIQUE (user_id, video));"
             "CREATE TABLE IF NOT EXISTS share_links(id bigint PRIMARY KEY,"
             "  user_id bigint NOT NULL REFERENCES users(id), slug text NOT NULL UNIQUE);"
             "CREATE TABLE IF NOT EXISTS usage_events(id bigserial PRIMARY KEY,"
             "  user_id bigint NOT NULL REFERENCES users(id), summary_id bigint NOT NULL);"
             "CREATE INDEX IF NOT EXISTS usage_events_user ON usage_events(user_id);";
  }
  return "";
}

bool IsCommandOk(const PGresult* r) {
  const auto s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

int64_t ToInt(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

}  // namespace

PgConn::PgConn(const std::string& conninfo) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (conn_ == nullptr) throw std::runtime_error("libpq: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw std::runtime_error("connect: " + m);
  }
  // Notices and the FATAL a backend sends when its postmaster dies are expected here;
  // outcomes carry what matters.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

PgConn& PgConn::operator=(PgConn&& o) noexcept {
  if (this != &o) {
    if (conn_) PQfinish(conn_);
    conn_ = std::exchange(o.conn_, nullptr);
  }
  return *this;
}

PgConn::~PgConn() {
  if (conn_) PQfinish(conn_);
}

void PgConn::ExecOrThrow(const std::string& sql) {
  if (conn_ == nullptr) throw std::runtime_error("not connected");
  ResultPtr r = Wrap(PQexec(conn_, sql.c_str()));
  if (!IsCommandOk(r.get()))
    throw std::runtime_error(sql.substr(0, 60) + ": " + PQerrorMessage(conn_));
}

ResultPtr PgConn::QueryOrThrow(const std::string& sql) {
  if (conn_ == nullptr) throw std::runtime_error("not connected");
  ResultPtr r = Wrap(PQexec(conn_, sql.c_str()));
  if (!IsCommandOk(r.get()))
    throw std::runtime_error(sql.substr(0, 60) + ": " + PQerrorMessage(conn_));
  return r;
}

Outcome ClassifyError(PGconn* conn, const PGresult* res) {
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return Outcome::kUnknown;
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr || std::strlen(state) < 2) return Outcome::kUnknown;  // no server verdict
  const char* sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (sev && (std::strcmp(sev, "FATAL") == 0 || std::strcmp(sev, "PANIC") == 0))
    return Outcome::kUnknown;
  // Connection exception, insufficient resources, operator intervention (shutdown,
  // crash of another backend), system error, internal error: the server gave up on the
  // session, not on the statement.
  for (const char* cls : {"08", "53", "57", "58", "XX"}) {
    if (std::strncmp(state, cls, 2) == 0) return Outcome::kUnknown;
  }
  // Everything else (23 integrity constraint, 40 serialization failure / deadlock, 22 data
  // exception, ...) is the server rejecting the statement: the transaction rolled back.
  return Outcome::kFail;
}

PostgresClient::PostgresClient(PgClientOptions options) : options_(std::move(options)) {}

bool PostgresClient::EnsureConnected() {
  if (conn_.ok()) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_connect_) std::this_thread::sleep_until(next_connect_);
  try {
    PgConn c(options_.conninfo);
    for (const auto& s : Statements(options_.workload)) {
      ResultPtr r = Wrap(PQprepare(c.get(), s.name, s.sql, 0, nullptr));
      if (!IsCommandOk(r.get()))
        throw std::runtime_error(std::string("prepare ") + s.name + ": " + c.Error());
    }
    conn_ = std::move(c);
    backoff_ = std::chrono::milliseconds(0);
    return true;
  } catch (const std::exception&) {
    // Back off (2, 4, ... 50 ms) so a worker does not hammer a server that is restarting.
    backoff_ = std::min(std::chrono::milliseconds(50),
                        std::max(std::chrono::milliseconds(2), backoff_ * 2));
    next_connect_ = std::chrono::steady_clock::now() + backoff_;
    return false;
  }
}

void PostgresClient::Prepare(const DataModel& model) {
  PgConn c(options_.conninfo);
  // The schema is setup, not an op under test: make it durable even when the server runs
  // with synchronous_commit=off (a power cut would otherwise take the tables with it).
  c.ExecOrThrow("SET synchronous_commit = on");
  c.ExecOrThrow(Schema(options_.workload));
  if (options_.amcheck) c.ExecOrThrow("CREATE EXTENSION IF NOT EXISTS amcheck");
  if (options_.workload == PgWorkload::kBank && model.accounts > 0) {
    c.ExecOrThrow("INSERT INTO accounts(id, balance) SELECT g, " +
                  std::to_string(model.initial_balance) + " FROM generate_series(0, " +
                  std::to_string(model.accounts - 1) + ") g ON CONFLICT (id) DO NOTHING");
  }
}

Outcome PostgresClient::Single(const char* stmt, std::initializer_list<std::string> params,
                               bool want_rows) {
  if (!EnsureConnected()) return Outcome::kFail;  // never sent
  const char* values[8];
  int n = 0;
  for (const auto& p : params) values[n++] = p.c_str();
  ResultPtr r = Wrap(PQexecPrepared(conn_.get(), stmt, n, values, nullptr, nullptr, 0));
  if (IsCommandOk(r.get())) {
    if (want_rows && std::strcmp(PQcmdTuples(r.get()), "0") == 0) return Outcome::kFail;
    return Outcome::kOk;
  }
  const Outcome o = ClassifyError(conn_.get(), r.get());
  if (!conn_.ok()) conn_ = PgConn();
  return o;
}

namespace {

// An explicit transaction on one connection: statements until the first error, then
// COMMIT. Before COMMIT is sent nothing can have committed, so an error there is a
// definite failure whatever happened to the connection; only COMMIT itself can be in doubt.
class Txn {
 public:
  explicit Txn(PGconn* c) : c_(c) {}
  // Runs a prepared statement; false on error (the transaction is then doomed).
  bool Exec(const char* stmt, std::initializer_list<std::string> params, ResultPtr* out = nullptr) {
    const char* values[8];
    int n = 0;
    for (const auto& p : params) values[n++] = p.c_str();
    ResultPtr r = Wrap(PQexecPrepared(c_, stmt, n, values, nullptr, nullptr, 0));
    const bool ok = IsCommandOk(r.get());
    if (ok && out) *out = std::move(r);
    return ok;
  }
  bool Begin() { return IsCommandOk(Wrap(PQexec(c_, "BEGIN")).get()); }
  // Abandons the transaction: the op definitely did not apply.
  Outcome Rollback() {
    if (PQstatus(c_) == CONNECTION_OK) Wrap(PQexec(c_, "ROLLBACK"));
    return Outcome::kFail;
  }
  Outcome Commit() {
    ResultPtr r = Wrap(PQexec(c_, "COMMIT"));
    if (IsCommandOk(r.get())) {
      // COMMIT of an aborted transaction answers ROLLBACK.
      return std::strcmp(PQcmdStatus(r.get()), "COMMIT") == 0 ? Outcome::kOk : Outcome::kFail;
    }
    return ClassifyError(c_, r.get());
  }

 private:
  PGconn* c_;
};

}  // namespace

Outcome PostgresClient::Transfer(const Op& op) {
  if (!EnsureConnected()) return Outcome::kFail;
  Txn t(conn_.get());
  const std::string from = std::to_string(op.key), to = std::to_string(op.key2),
                    amount = std::to_string(op.value);
  Outcome o;
  ResultPtr rows = Wrap(nullptr);
  if (!t.Begin() || !t.Exec("lock", {from, to}, &rows)) {
    o = t.Rollback();
  } else {
    int64_t balance = -1;
    for (int i = 0; i < PQntuples(rows.get()); ++i) {
      if (ToInt(rows.get(), i, 0) == op.key) balance = ToInt(rows.get(), i, 1);
    }
    if (PQntuples(rows.get()) != 2 || balance < op.value) {
      o = t.Rollback();  // overdraft (or a missing account): rolled back, definitely not applied
    } else if (!t.Exec("debit", {from, amount}) || !t.Exec("credit", {to, amount})) {
      o = t.Rollback();
    } else {
      o = t.Commit();
    }
  }
  if (!conn_.ok()) conn_ = PgConn();
  return o;
}

Outcome PostgresClient::Read(const Op& op) {
  if (!EnsureConnected()) return Outcome::kFail;
  const bool slug = TableOf(op.key) == Table::kLink;
  const std::string param = std::to_string(slug ? op.value : op.key);
  const char* values[1] = {param.c_str()};
  ResultPtr r = Wrap(PQexecPrepared(conn_.get(), slug ? "read_slug" : "read_user", 1, values,
                                    nullptr, nullptr, 0));
  Outcome o = IsCommandOk(r.get()) ? Outcome::kOk : ClassifyError(conn_.get(), r.get());
  if (!conn_.ok()) conn_ = PgConn();
  return o;
}

Outcome PostgresClient::Apply(const Op& op) {
  const std::string key = std::to_string(op.key), value = std::to_string(op.value);
  switch (options_.workload) {
    case PgWorkload::kLedger:
      switch (op.kind) {
        case OpKind::kInsert:
          return Single("ins", {key, value}, false);
        case OpKind::kUpdate:
          return Single("upd", {key, value}, true);
        case OpKind::kDelete:
          return Single("del", {key}, true);
        case OpKind::kMarker:
          return Single("marker", {MarkerName(op.key)}, false);
        case OpKind::kRead:  // crashlab bench's read workloads
          return Single("get", {key}, false);
        default:
          break;
      }
      break;
    case PgWorkload::kBank:
      if (op.kind == OpKind::kTransfer) return Transfer(op);
      break;
    case PgWorkload::kCritical: {
      const std::string user = std::to_string(UserKey(op.worker));
      const Table table = TableOf(op.key);
      if (op.kind == OpKind::kRead) return Read(op);
      if (table == Table::kUser && op.kind == OpKind::kInsert)
        return Single("user_upsert", {key, value}, true);
      if (table == Table::kUser && op.kind == OpKind::kUpdate)
        return Single("user_plan", {key, value}, true);
      if (table == Table::kSummary && op.kind == OpKind::kUpdate)
        return Single("summary_upd", {key, value}, true);
      if (table == Table::kSummary && op.kind == OpKind::kDelete)
        return Single("summary_del", {key}, true);
      if (table == Table::kLink && op.kind == OpKind::kInsert)
        return Single("link_ins", {key, value, user}, false);
      if (table == Table::kSummary && op.kind == OpKind::kInsert) {
        // The summary, its usage event and the user's usage counter: one transaction.
        if (!EnsureConnected()) return Outcome::kFail;
        Txn t(conn_.get());
        Outcome o;
        if (!t.Begin() || !t.Exec("summary_ins", {key, value, user, std::to_string(op.key2)}) ||
            !t.Exec("event_ins", {key, user}) || !t.Exec("usage_inc", {user})) {
          o = t.Rollback();
        } else {
          o = t.Commit();
        }
        if (!conn_.ok()) conn_ = PgConn();
        return o;
      }
      break;
    }
  }
  throw std::logic_error("postgres client: op " + std::string(ToString(op.kind)) +
                         " is not part of this workload");
}

ObservedState PostgresClient::ReadState() {
  // The server was just found ready; a connection may still race its last startup step.
  PgConn c;
  for (int attempt = 0;; ++attempt) {
    try {
      c = PgConn(options_.conninfo);
      break;
    } catch (const std::exception&) {
      ThrowIfInterrupted();  // the server was killed by the supervisor: stop retrying
      if (attempt >= 200) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ObservedState s;
  // Rows come from the heap (sequential scans); the store's own count and total come
  // through the primary key index, so a heap/index disagreement shows as an invariant.
  // jit off: a disabled plan type costs 1e10, which would trigger JIT compilation
  // (100+ ms per query, most of a cycle's checking time).
  c.ExecOrThrow(
      "SET jit = off; SET enable_indexscan = off; SET enable_indexonlyscan = off;"
      "SET enable_bitmapscan = off");
  switch (options_.workload) {
    case PgWorkload::kLedger: {
      auto r = c.QueryOrThrow("SELECT id, amount FROM orders");
      s.rows.reserve(static_cast<size_t>(PQntuples(r.get())));
      for (int i = 0; i < PQntuples(r.get()); ++i)
        s.rows.emplace_back(ToInt(r.get(), i, 0), ToInt(r.get(), i, 1));
      auto m = c.QueryOrThrow("SELECT name FROM markers");
      for (int i = 0; i < PQntuples(m.get()); ++i) {
        if (auto k = ParseMarkerName(PQgetvalue(m.get(), i, 0))) s.markers.push_back(*k);
      }
      // An index scan of the primary key over every key (the qual lets the planner use it).
      c.ExecOrThrow("RESET enable_indexscan; SET enable_seqscan = off");
      auto a = c.QueryOrThrow(
          "SELECT count(*), coalesce(sum(amount), 0) FROM orders WHERE id > -9223372036854775808");
      s.row_count = ToInt(a.get(), 0, 0);
      s.row_total = ToInt(a.get(), 0, 1);
      c.ExecOrThrow("RESET enable_seqscan; RESET enable_indexonlyscan; RESET enable_bitmapscan");
      break;
    }
    case PgWorkload::kBank: {
      auto r = c.QueryOrThrow("SELECT id, balance FROM accounts");
      for (int i = 0; i < PQntuples(r.get()); ++i)
        s.accounts.emplace_back(ToInt(r.get(), i, 0), ToInt(r.get(), i, 1));
      break;
    }
    case PgWorkload::kCritical: {
      auto u = c.QueryOrThrow("SELECT id, plan, usage_count FROM users");
      for (int i = 0; i < PQntuples(u.get()); ++i) {
        s.rows.emplace_back(ToInt(u.get(), i, 0), ToInt(u.get(), i, 1));
        s.counters.emplace_back(ToInt(u.get(), i, 0), ToInt(u.get(), i, 2));
      }
      auto sm = c.QueryOrThrow("SELECT id, version FROM summaries");
      for (int i = 0; i < PQntuples(sm.get()); ++i)
        s.rows.emplace_back(ToInt(sm.get(), i, 0), ToInt(sm.get(), i, 1));
      auto l = c.QueryOrThrow("SELECT id, substr(slug, 2)::bigint FROM share_links");
      for (int i = 0; i < PQntuples(l.get()); ++i)
        s.rows.emplace_back(ToInt(l.get(), i, 0), ToInt(l.get(), i, 1));
      auto e = c.QueryOrThrow("SELECT user_id, summary_id FROM usage_events ORDER BY user_id, id");
      for (int i = 0; i < PQntuples(e.get()); ++i) {
        const int64_t user = ToInt(e.get(), i, 0);
        if (s.lists.empty() || s.lists.back().first != user)
          s.lists.emplace_back(user, std::vector<int64_t>{});
        s.lists.back().second.push_back(ToInt(e.get(), i, 1));
      }
      break;
    }
  }
  if (options_.amcheck) Integrity(c, s);
  return s;
}

void PostgresClient::Integrity(PgConn& c, ObservedState& s) {
  c.ExecOrThrow("CREATE EXTENSION IF NOT EXISTS amcheck");
  auto add = [&](const std::string& what) {
    s.integrity_ok = false;
    if (s.integrity_detail.size() < 2000)
      s.integrity_detail += (s.integrity_detail.empty() ? "" : "; ") + what;
  };
  // Every B-tree of the workload's tables, with heapallindexed: each heap tuple must
  // have its index entry.
  auto idx = c.QueryOrThrow(
      "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE a.amname = 'btree' AND n.nspname = 'public'");
  for (int i = 0; i < PQntuples(idx.get()); ++i) {
    const std::string name = PQgetvalue(idx.get(), i, 0);
    ResultPtr r =
        Wrap(PQexec(c.get(), ("SELECT bt_index_check('" + name + "'::regclass, true)").c_str()));
    if (!IsCommandOk(r.get())) add("bt_index_check(" + name + "): " + c.Error());
  }
  auto tables = c.QueryOrThrow(
      "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind = 'r' AND n.nspname = 'public'");
  for (int i = 0; i < PQntuples(tables.get()); ++i) {
    const std::string name = PQgetvalue(tables.get(), i, 0);
    ResultPtr r = Wrap(PQexec(
        c.get(), ("SELECT blkno, offnum, msg FROM verify_heapam('" + name + "'::regclass) LIMIT 5")
                     .c_str()));
    if (!IsCommandOk(r.get())) {
      add("verify_heapam(" + name + "): " + c.Error());
      continue;
    }
    for (int j = 0; j < PQntuples(r.get()); ++j) {
      add("verify_heapam(" + name + ") block " + PQgetvalue(r.get(), j, 0) + " offset " +
          PQgetvalue(r.get(), j, 1) + ": " + PQgetvalue(r.get(), j, 2));
    }
  }
}

}  // namespace crashlab::postgres

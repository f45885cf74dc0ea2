// PostgresTarget: initdb, the foreground postmaster under supervision, readiness by
// PQping, and crash recovery that proves every old process of the cluster gone.
#include "workloads/postgres/postgres_target.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "framework/run_record.h"
#include "workloads/postgres/postgres_client.h"

namespace fs = std::filesystem;

namespace crashlab::postgres {

PgWorkload ParsePgWorkload(const std::string& name) {
  if (name == "ledger") return PgWorkload::kLedger;
  if (name == "bank") return PgWorkload::kBank;
  if (name == "critical") return PgWorkload::kCritical;
  throw std::invalid_argument("postgres workload must be ledger, bank or critical, not '" + name +
                              "'");
}

std::string MissingPostgres(const fs::path& bin_dir) {
  try {
    (void)FindPgBin(bin_dir.string());
  } catch (const std::exception& e) {
    return e.what();
  }
  if (::geteuid() == 0 && !LookupUser("postgres") && !LookupUser("nobody")) {
    return "running as root and no unprivileged user 'postgres' or 'nobody' to drop to";
  }
  return "";
}

std::string RandomPassword() {
  unsigned char buf[24];
  size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t r = ::getrandom(buf + got, sizeof buf - got, 0);
    if (r < 0 && errno != EINTR)
      throw std::runtime_error("getrandom: " + std::string(strerror(errno)));
    if (r > 0) got += static_cast<size_t>(r);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

namespace {
// The password for initdb --pwfile: a 0600 file the server's user owns, removed after.
void WritePasswordFile(const fs::path& file, const std::string& password,
                       const std::optional<UserId>& user) {
  const UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  const std::string line = password + "\n";
  if (!fd || ::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("postgres: cannot write " + file.string() + ": " + strerror(errno));
  if (user && ::fchown(fd.get(), user->uid, user->gid) != 0)
    throw std::runtime_error("postgres: cannot chown " + file.string() + ": " + strerror(errno));
}
}  // namespace

PostgresTarget::PostgresTarget(PostgresOptions options)
    : options_(std::move(options)), password_(RandomPassword()) {
  root_ = options_.dir / "pg";
  data_ = root_ / "data";
  sock_ = root_ / "sock";
  log_ = root_ / "postgres.log";
  if (::geteuid() == 0) {
    if (!options_.user.empty()) {
      user_ = LookupUser(options_.user);
    } else {
      user_ = LookupUser("postgres");
      if (!user_) user_ = LookupUser("nobody");
    }
    if (!user_)
      throw std::runtime_error("postgres: running as root and no unprivileged user to drop to");
  }
  options_.bin_dir = FindPgBin(options_.bin_dir.string());
  server_version_ = PgServerVersion(options_.bin_dir);
}

PostgresTarget::~PostgresTarget() {
  try {
    KillCluster();
  } catch (...) {
  }
}

std::string PostgresTarget::ConnInfo(const std::string& dbname) const {
  // The password travels in memory to libpq only: never in argv, a log or a report.
  return "host=" + sock_.string() + " port=" + std::to_string(port_) +
         " user=postgres dbname=" + dbname + " connect_timeout=5 password=" + password_;
}

void PostgresTarget::InitDb() {
  fs::create_directories(sock_);
  if (user_) {
    // The server user must be able to traverse the work dir: it comes from mkdtemp
    // (0700, owned by the runner).
    struct stat st {};
    if (::stat(options_.dir.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
      ::chmod(options_.dir.c_str(), (st.st_mode & 07777) | S_IXOTH);
    }
    ChownRecursive(root_, user_->uid, user_->gid);
  }
  ::chmod(sock_.c_str(), 0700);
  ::chmod(root_.c_str(), 0700);
  // No open door: every connection, local or TCP, needs the run's random password
  // (scram-sha-256), so another local user cannot get a superuser session.
  const fs::path pwfile = root_ / "pwfile";
  WritePasswordFile(pwfile, password_, user_);
  ProcessOptions po;
  po.argv = {(options_.bin_dir / "initdb").string(),
             "-D",
             data_.string(),
             "-A",
             "scram-sha-256",
             "--pwfile=" + pwfile.string(),
             "-U",
             "postgres",
             "-E",
             "UTF8",
             "--locale=C"};
  if (!options_.initdb_sync) po.argv.push_back("--no-sync");
  po.log = log_;
  po.user = user_;
  po.unset_env = {"PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"};
  Process p = Process::Spawn(po);
  const bool finished = p.WaitFor(Millis(120000));
  std::error_code ec;
  fs::remove(pwfile, ec);
  if (!finished) throw std::runtime_error("initdb did not finish in 120 s");
  if (!WIFEXITED(p.raw_status()) || WEXITSTATUS(p.raw_status()) != 0) {
    throw std::runtime_error("initdb " + p.DescribeExit() + ":\n" + TailFile(log_, 30));
  }
  initialized_ = true;
}

void PostgresTarget::CheckRunAsCanReachHelpers() const {
  if (!user_) return;  // the runner's own user: what it built, it can read
  if (std::string why = InaccessibleTo(options_.bin_dir / "postgres", *user_, true); !why.empty()) {
    throw std::runtime_error("postgres: " + why);
  }
  const auto preload = options_.env.find("LD_PRELOAD");
  if (preload == options_.env.end()) return;
  // ld.so splits LD_PRELOAD at colons and spaces.
  const std::string& list = preload->second;
  for (size_t start = 0; start < list.size();) {
    const size_t end = std::min(list.find_first_of(": ", start), list.size());
    const std::string lib = list.substr(start, end - start);
    start = end + 1;
    if (lib.empty()) continue;
    if (std::string why = InaccessibleTo(lib, *user_); !why.empty()) {
      throw std::runtime_error(
          "postgres: " + why + ", so ld.so would ignore this LD_PRELOAD and the server " +
          "would run without it (copy it where " + user_->name + " can read it)");
    }
  }
}

void PostgresTarget::Start() {
  if (!initialized_) InitDb();
  if (!helpers_checked_) {
    CheckRunAsCanReachHelpers();  // after InitDb: that opens the work dir to the server's user
    helpers_checked_ = true;
  }
  if (port_ == 0) port_ = FreeLoopbackPort();
  StartPostmaster();
  try {
    WaitReady();
  } catch (const Unrecoverable& e) {
    // The first start: a bad setting (shared_buffers=garbage) is the user's, and the
    // server's log says which; "postmaster exited with code 1" would not.
    const std::string why = StartupError();
    if (why.empty()) throw;
    throw std::runtime_error("postgres does not start: " + why);
  }
}

std::string PostgresTarget::StartupError() const {
  std::ifstream in(log_);
  std::string line;
  while (std::getline(in, line)) {
    for (const char* level : {"FATAL:", "PANIC:"}) {
      if (const auto at = line.find(level); at != std::string::npos) return line.substr(at);
    }
  }
  return "";
}

void PostgresTarget::NoteSharedMemory() {
  // postmaster.pid, line 7: "KEY ID" of the segment (PostgreSQL's storage/ipc layout).
  std::ifstream in(data_ / "postmaster.pid");
  std::string line;
  for (int i = 0; i < 7 && std::getline(in, line); ++i) {
  }
  std::istringstream ss(line);
  long long key = 0;
  int id = -1;
  if (!(ss >> key >> id) || id < 0) return;
  for (const auto& seg : segments_) {
    if (seg.first == id) return;
  }
  segments_.emplace_back(id, key);
  runrecord::Add(runrecord::Kind::kShm, std::to_string(id) + " " + std::to_string(key));
}

void PostgresTarget::RemoveSharedMemory() {
  std::vector<std::pair<int, long long>> kept;
  for (const auto& [id, key] : segments_) {
    struct shmid_ds ds {};
    if (::shmctl(id, IPC_STAT, &ds) != 0) continue;                  // gone
    if (static_cast<long long>(ds.shm_perm.__key) != key) continue;  // reused: not ours
    if (ds.shm_nattch == 0 && ::shmctl(id, IPC_RMID, nullptr) == 0) continue;
    kept.emplace_back(id, key);
  }
  segments_ = std::move(kept);
}

void PostgresTarget::StartPostmaster() { postmaster_ = Process::Spawn(PostmasterOptions()); }

ProcessOptions PostgresTarget::PostmasterOptions() const {
  ProcessOptions po;
  po.argv = {(options_.bin_dir / "postgres").string(), "-D", data_.string(), "-p",
             std::to_string(port_), "-k", sock_.string(), "-c", "listen_addresses=127.0.0.1", "-c",
             "logging_collector=off", "-c", "log_min_messages=warning", "-c", "log_checkpoints=off",
             // Dynamic shared memory in the data dir (pg_dynshmem), not /dev/shm: a
             // SIGKILLed cluster that is never restarted (Ctrl-C) leaves nothing behind.
             "-c", "dynamic_shared_memory_type=mmap"};
  for (const auto& [k, v] : options_.settings) {
    po.argv.push_back("-c");
    po.argv.push_back(k + "=" + v);
  }
  po.log = log_;
  po.user = user_;
  po.env = options_.env;
  po.unset_env = {"PGDATA", "PGHOST", "PGPORT", "PGOPTIONS"};
  return po;
}

void PostgresTarget::WaitReady() {
  const std::string conninfo = ConnInfo();
  const auto deadline = Clock::now() + options_.ready_timeout;
  for (;;) {
    ThrowIfInterrupted();
    const PGPing r = PQping(conninfo.c_str());
    // The segment exists from the postmaster's first moments, long before it is ready:
    // a runner killed during crash recovery must not leave it unrecorded.
    NoteSharedMemory();
    if (r == PQPING_OK) return;
    if (r == PQPING_NO_ATTEMPT)
      throw std::runtime_error("postgres: bad connection string (socket " + sock_.string() + ")");
    if (!postmaster_.Running()) {
      const std::string why = "postmaster " + postmaster_.DescribeExit() + " before it was ready";
      KillCluster();
      throw Unrecoverable("postgres cluster " + data_.string() + " does not start: " + why,
                          LogExcerpt());
    }
    if (Clock::now() > deadline) {
      KillCluster();
      throw Unrecoverable(
          "postgres not ready after " + std::to_string(options_.ready_timeout.count()) + " ms",
          LogExcerpt());
    }
    // Not a readiness sleep: the probe decides; this only paces the polling. A rejected
    // ping ("starting up") costs the recovering server a fork, so those are spaced more.
    std::this_thread::sleep_for(Millis(r == PQPING_REJECT ? kPingRejectedPauseMs : kPingPauseMs));
  }
}

std::vector<pid_t> PostgresTarget::ClusterPids() const {
  std::vector<pid_t> pids;
  std::error_code ec;
  const fs::path want = fs::weakly_canonical(data_, ec);
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    char buf[4096];
    const ssize_t n = ::readlink((e.path() / "cwd").c_str(), buf, sizeof buf - 1);
    if (n <= 0) continue;  // gone, a zombie, or not ours to read
    buf[n] = 0;
    if (want == fs::path(buf)) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

void PostgresTarget::KillCluster() {
  postmaster_.KillAndReap();  // the postmaster and its process group, reaped and proved gone
  // Backends, the checkpointer, the WAL writer ... each called setsid(): find them by
  // their working directory (the data dir) and kill them until none is left. As child
  // subreaper the runner inherits and reaps them; a zombie has no cwd and holds nothing.
  const auto deadline = Clock::now() + Millis(10000);
  int quiet = 0;
  while (quiet < 2) {
    const auto pids = ClusterPids();
    if (pids.empty()) {
      ++quiet;
    } else {
      quiet = 0;
      for (pid_t p : pids) ::kill(p, SIGKILL);
      if (Clock::now() > deadline) {
        throw std::runtime_error("postgres: " + std::to_string(pids.size()) +
                                 " process(es) of the old cluster survive SIGKILL");
      }
      std::this_thread::sleep_for(Millis(1));
    }
    supervisor::ReapOrphans();
  }
  RemoveSharedMemory();
}

int PostgresTarget::SignalCluster(int sig) {
  int n = 0;
  if (postmaster_.pid() > 0 && postmaster_.Running()) {
    postmaster_.SignalGroup(sig);
    ++n;
  }
  for (pid_t p : ClusterPids()) {
    if (p != postmaster_.pid() && ::kill(p, sig) == 0) ++n;
  }
  return n;
}

void PostgresTarget::Stop() {
  if (postmaster_.pid() > 0 && postmaster_.Running()) {
    postmaster_.Stop(Millis(10000), SIGINT);  // fast shutdown: checkpoint, then exit
  }
  KillCluster();
}

void PostgresTarget::Recover() {
  KillCluster();
  try {
    StartPostmaster();
  } catch (const std::exception& e) {
    throw Unrecoverable(std::string("postgres: cannot spawn the postmaster: ") + e.what(),
                        LogExcerpt());
  }
  WaitReady();
}

std::vector<Process*> PostgresTarget::Processes() {
  if (postmaster_.pid() <= 0) return {};
  return {&postmaster_};
}

std::unique_ptr<Client> PostgresTarget::NewClient(int worker) {
  PgClientOptions o;
  o.conninfo = ConnInfo();
  o.workload = options_.workload;
  o.amcheck = options_.amcheck;
  return std::make_unique<PostgresClient>(o);
}

std::string PostgresTarget::LogExcerpt() const {
  // The last lines that say something: readiness probes during recovery log a rejection
  // each, which would crowd out the line that explains a failure.
  std::ifstream in(log_);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("not yet accepting connections") != std::string::npos ||
        line.find("Consistent recovery state has not") != std::string::npos ||
        line.find("the database system is starting up") != std::string::npos) {
      continue;
    }
    lines.push_back(line);
    if (lines.size() > 30) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::map<std::string, std::string> PostgresTarget::Config() const {
  std::map<std::string, std::string> c;
  c["postgres.bin"] = options_.bin_dir.string();
  c["postgres.server_version"] = server_version_;
  c["postgres.port"] = std::to_string(port_);
  c["postgres.user"] = user_ ? user_->name : "(runner's own)";
  for (const auto& [k, v] : options_.settings) c["postgres." + k] = v;
  return c;
}

std::map<std::string, std::string> PostgresTarget::ClientEnv() const {
  return {{"PGHOST", sock_.string()},
          {"PGPORT", std::to_string(port_)},
          {"PGUSER", "postgres"},
          {"PGDATABASE", "postgres"},
          {"PGPASSWORD", password_}};
}

void PostgresTarget::Checkpoint() {
  PgConn c(ConnInfo());
  c.ExecOrThrow("CHECKPOINT");
}

}  // namespace crashlab::postgres

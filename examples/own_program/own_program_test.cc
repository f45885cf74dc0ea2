// A crash suite for your own program: a custom Target that starts and SIGKILLs it, a
// Client that writes to it and reads its state back, and the framework does the rest:
// SIGKILLs, and power cuts with the program's data dir on crashfs.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "faults/powercut/powercut_fault.h"
#include "faults/process/process_fault.h"
#include "framework/process.h"
#include "framework/testing/crash_test.h"
#include "framework/unique_fd.h"

namespace {

using namespace crashlab;

// Talks to a running toykv over its stdin/stdout pipes.
class ToyClient : public Client {
 public:
  ToyClient(int to, int from, std::filesystem::path log) : to_(to), from_(from), log_(log) {}
  Outcome Apply(const Op& op) override {
    const int64_t key =
        op.kind == OpKind::kMarker ? -op.key - 1 : op.key;  // markers: negative keys
    const std::string line = "PUT " + std::to_string(key) + " " + std::to_string(op.value) + "\n";
    if (::write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return Outcome::kUnknown;  // the program died: the put may or may not be in the log
    }
    char reply[3] = {};
    if (::read(from_, reply, 3) != 3) return Outcome::kUnknown;
    return std::string(reply, 3) == "OK\n" ? Outcome::kOk : Outcome::kFail;
  }
  ObservedState ReadState() override {
    ObservedState s;
    std::ifstream in(log_);
    std::string line;
    // Whole lines only: a power cut may leave the last, never synced record torn.
    while (std::getline(in, line) && !in.eof()) {
      int64_t key, value;
      if (!(std::istringstream(line) >> key >> value)) continue;
      if (key < 0)
        s.markers.push_back(-key - 1);
      else
        s.rows.emplace_back(key, value);
    }
    return s;
  }

 private:
  int to_, from_;
  std::filesystem::path log_;
};

// Starts toykv as a child; Recover() proves the old process gone, then starts it again.
class ToyTarget : public Target {
 public:
  ToyTarget(std::filesystem::path dir, bool buffered) : dir_(std::move(dir)), buffered_(buffered) {}
  ~ToyTarget() override { Close(); }
  std::string Name() const override { return "toykv"; }
  void Start() override {
    PipeFds in, out;
    if (OpenPipe(&in) != 0 || OpenPipe(&out) != 0) throw std::runtime_error("pipe");
    ProcessOptions o;
    o.argv = {TOYKV_PATH, (dir_ / "toykv.log").string()};
    if (buffered_) o.argv.insert(o.argv.begin() + 1, "--buffered");
    o.fds = {{0, in.read_end.get()}, {1, out.write_end.get()}};
    o.log = dir_ / "stderr.log";
    process_ = Process::Spawn(o);
    in.read_end.reset();  // only the child holds its ends: its death is EOF here
    out.write_end.reset();
    to_ = std::move(in.write_end);
    from_ = std::move(out.read_end);
    char ready[6] = {};  // readiness is the program saying so, not a sleep
    if (::read(from_.get(), ready, 6) != 6 || std::string(ready, 6) != "READY\n") {
      throw Unrecoverable("toykv did not start", TailFile(dir_ / "stderr.log"));
    }
  }
  void Stop() override { Close(); }
  void Recover() override {
    Close();  // KillAndReap: the old pid is reaped and its process group gone
    Start();
  }
  std::vector<Process*> Processes() override { return {&process_}; }
  std::filesystem::path DataDir() const override { return dir_; }
  std::unique_ptr<Client> NewClient(int) override {
    return std::make_unique<ToyClient>(to_.get(), from_.get(), dir_ / "toykv.log");
  }

 private:
  void Close() {
    process_.KillAndReap();
    to_.reset();
    from_.reset();
  }
  std::filesystem::path dir_;
  bool buffered_;
  Process process_;
  UniqueFd to_, from_;
};

class ToyKvCrash : public crashlab::testing::CrashTest {
 protected:
  RunReport Crash(bool buffered) {
    TempDir dir("toykv-");
    ToyTarget target(dir.path(), buffered);
    auto workload = MakeLedgerWorkload();  // unique rows + a marker per cycle
    auto fault = faults::MakeKillFault();  // SIGKILL the whole process group
    RunOptions options;
    options.seed = Seed(11);
    options.cycles = 20;
    options.workers = 1;  // toykv serves one client
    options.schedule = Schedule::RandomOps(10, 100);
    return RunCycles(target, *workload, *fault, options, "toykv-kill");
  }
};

TEST_F(ToyKvCrash, AckedPutsSurviveSigkill) { ExpectValid(Crash(/*buffered=*/false)); }

// Acknowledging before writing loses acknowledged puts on SIGKILL: the checker must see it.
TEST_F(ToyKvCrash, AckBeforeWriteIsCaught) { ExpectInvalid(Crash(/*buffered=*/true), "lost"); }

// The same program with its data dir on crashfs: a power cut drops whatever was not
// fsynced (and, with a torn cut, keeps a prefix of the last unsynced write).
class ToyKvPowerCut : public crashlab::testing::CrashTest {
 protected:
  void SetUp() override {
    CrashTest::SetUp();
    if (const std::string why = storage::MissingCrashfs(); !why.empty()) GTEST_SKIP() << why;
  }
  RunReport Cut(bool buffered, crashfs::CutOptions::Torn torn) {
    TempDir work("toykv-cut-");
    // Declared before the target: the mount outlives the program.
    powercut::PowerCutDataDir data = powercut::MakePowerCutDataDir(work.path(), torn, Seed(12));
    ToyTarget target(data.dir, buffered);
    auto workload = MakeLedgerWorkload();
    RunOptions options;
    options.seed = Seed(12);
    options.cycles = 10;
    options.workers = 1;
    // At a random instant (not right after an acknowledgement), so that a put is often
    // between its write and its fdatasync when the power goes: what a torn cut tears.
    options.schedule = Schedule::RandomTime(20, 200);
    return RunCycles(target, *workload, *data.fault, options, "toykv-powercut");
  }
};

TEST_F(ToyKvPowerCut, SyncedPutsSurvivePowerCut) {
  ExpectValid(Cut(/*buffered=*/false, crashfs::CutOptions::Torn::kNone));
}

TEST_F(ToyKvPowerCut, SyncedPutsSurviveTornPowerCut) {
  ExpectValid(Cut(/*buffered=*/false, crashfs::CutOptions::Torn::kPrefix));
}

// Acknowledged puts that were only in memory are gone after the cut: caught.
TEST_F(ToyKvPowerCut, AckBeforeSyncIsCaught) {
  ExpectInvalid(Cut(/*buffered=*/true, crashfs::CutOptions::Torn::kNone), "lost");
}

}  // namespace

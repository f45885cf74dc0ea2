// Running one combination's repetitions: build the store from the registry, prefill,
// warm up, measure (closed or open loop), optionally inject faults, tear down.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "bench/bench.h"
#include "bench/workload_gen.h"
#include "framework/knob.h"
#include "framework/process.h"
#include "framework/rng.h"
#include "framework/scenario.h"

namespace crashlab::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
Clock::duration FromSeconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}
int64_t NsOf(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The timing of one repetition, shared read-only by the workers.
struct Phase {
  Clock::time_point start, measure, end;
  double window_s = 1;
  size_t windows = 1;
  double interval_s = 0;  // open loop: seconds between one worker's intended starts
  int clients = 1;
};

// What the workers and the fault loop share.
struct Control {
  std::atomic<bool> stop{false};
  std::atomic<bool> hold{false};  // park at the next op (the fault loop heals the store)
  std::atomic<int> parked{0};
  std::atomic<uint64_t> generation{0};          // bumped when fresh clients are ready
  std::atomic<int64_t> fault_ns{INT64_MAX};     // the last fault's instant
  std::atomic<int64_t> injected_ns{INT64_MAX};  // when its Inject returned
  std::atomic<int64_t> first_ok_ns{INT64_MAX};  // the first acknowledgement after that
  std::mutex mu;
  std::vector<std::unique_ptr<Client>> fresh;  // by worker, after a recovery
};

// One worker's measurements; merged after the run.
class Recorder {
 public:
  explicit Recorder(const Phase& p)
      : phase_(p), win_(p.windows), fail_(p.windows), unk_(p.windows) {}

  void Add(Outcome o, Clock::time_point t0, Clock::time_point t1) {
    const size_t w = std::min(
        phase_.windows - 1,
        static_cast<size_t>(std::max(0.0, Seconds(t1 - phase_.measure)) / phase_.window_s));
    if (o == Outcome::kOk) {
      const auto ns = static_cast<uint64_t>(std::max<int64_t>(0, (t1 - t0).count()));
      hist.Record(ns);
      if (!win_[w]) win_[w] = std::make_unique<Histogram>(5);
      win_[w]->Record(ns);
      ++ok;
    } else if (o == Outcome::kFail) {
      ++fail;
      ++fail_[w];
    } else {
      ++unknown;
      ++unk_[w];
    }
  }

  Histogram hist{7};
  uint64_t ok = 0, fail = 0, unknown = 0;
  double cpu_ns = 0;

 private:
  const Phase& phase_;
  std::vector<std::unique_ptr<Histogram>> win_;
  std::vector<uint64_t> fail_, unk_;
  friend class WindowMerge;
};

// Merges the workers' windows into per-window histograms.
class WindowMerge {
 public:
  WindowMerge(const Phase& p, const std::vector<std::unique_ptr<Recorder>>& recs)
      : hists_(p.windows, Histogram(5)), fail_(p.windows), unk_(p.windows) {
    for (const auto& r : recs) {
      for (size_t w = 0; w < p.windows; ++w) {
        if (r->win_[w]) hists_[w].Merge(*r->win_[w]);
        fail_[w] += r->fail_[w];
        unk_[w] += r->unk_[w];
      }
    }
  }
  // Latency over the windows [from, to).
  Histogram Span(size_t from, size_t to) const {
    Histogram h(5);
    for (size_t w = from; w < std::min(to, hists_.size()); ++w) h.Merge(hists_[w]);
    return h;
  }
  std::vector<Window> Windows(double window_s) const {
    std::vector<Window> out;
    for (size_t w = 0; w < hists_.size(); ++w) {
      const Histogram& h = hists_[w];
      out.push_back({static_cast<double>(w) * window_s, h.Count(), fail_[w], unk_[w],
                     h.Percentile(50), h.Percentile(99), h.Max()});
    }
    return out;
  }
  size_t size() const { return hists_.size(); }

 private:
  std::vector<Histogram> hists_;
  std::vector<uint64_t> fail_, unk_;
};

// A worker's loop: until the phase ends or the run stops.
void Work(int w, std::unique_ptr<Client> client, OpGenerator& gen, const Phase& phase, Control& ctl,
          Recorder& rec) {
  uint64_t seen = 0;
  // Open loop: the workers' intended starts interleave evenly.
  auto intended = phase.start + FromSeconds(phase.interval_s * w / phase.clients);
  const auto step = FromSeconds(phase.interval_s);
  bool measuring = false;
  while (!ctl.stop.load(std::memory_order_relaxed)) {
    if (ctl.hold.load(std::memory_order_acquire)) {
      ctl.parked.fetch_add(1);
      while (ctl.hold.load(std::memory_order_acquire) && !ctl.stop.load()) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      ctl.parked.fetch_sub(1);
    }
    if (const uint64_t g = ctl.generation.load(std::memory_order_acquire); g != seen) {
      std::lock_guard lock(ctl.mu);
      if (ctl.fresh[w]) client = std::move(ctl.fresh[w]);
      seen = g;
    }
    auto op = gen.Next();
    if (!op) break;
    Clock::time_point t0;
    if (phase.interval_s > 0) {
      if (Clock::now() < intended) std::this_thread::sleep_until(intended);
      t0 = intended;  // latency from the intended start: queueing is counted
      intended += step;
    } else {
      t0 = Clock::now();
    }
    if (t0 >= phase.end) break;
    if (!measuring && t0 >= phase.measure) {
      measuring = true;
      rec.cpu_ns = -ThreadCpuNs();
    }
    Outcome out;
    try {
      out = client->Apply(*op);
    } catch (...) {
      out = Outcome::kUnknown;
    }
    const auto t1 = Clock::now();
    if (!measuring) continue;
    rec.Add(out, t0, t1);
    if (out == Outcome::kOk) {
      // The first acknowledgement of an op sent after the fault took hold (Inject
      // returned: the process is dead, frozen, cut off). An op in flight at the instant
      // may still be answered just after it: that is not the store back.
      if (NsOf(t0) > ctl.injected_ns.load(std::memory_order_relaxed)) {
        int64_t none = INT64_MAX;
        ctl.first_ok_ns.compare_exchange_strong(none, NsOf(t1));
      }
    } else if (phase.interval_s == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the store may be down
    }
  }
  if (measuring) rec.cpu_ns += ThreadCpuNs();
}

// Joins the workers whatever happens (stop first).
struct Workers {
  Control& ctl;
  std::vector<std::thread> threads;
  ~Workers() { JoinAll(); }
  void JoinAll() {
    ctl.stop.store(true);
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

void SleepUntil(Clock::time_point t, const Control& ctl) {
  while (Clock::now() < t && !ctl.stop.load() && !supervisor::Interrupted()) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(t - Clock::now(), std::chrono::milliseconds(20)));
  }
}

// Parks the workers (each finishes its op in flight; bounded by the clients' timeouts).
void Park(Control& ctl, int workers) {
  ctl.hold.store(true, std::memory_order_release);
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (ctl.parked.load() < workers && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// One fault. A fault that needs recovery (kill, power cut): park the workers, heal,
// recover, hand out fresh clients, resume. One that does not (pause): heal at once while
// the clients keep going (their ops wait for the store, as a user's would).
FaultRecovery InjectOnce(BuiltScenario& b, Control& ctl, const Phase& phase, int workers,
                         Rng& rng) {
  FaultRecovery fr;
  const auto at = Clock::now();
  fr.at_s = Seconds(at - phase.measure);
  ctl.first_ok_ns.store(INT64_MAX);
  ctl.injected_ns.store(INT64_MAX);
  ctl.fault_ns.store(NsOf(at));
  fr.fault = b.fault->Inject(*b.target, rng).fault;
  ctl.injected_ns.store(NsOf(Clock::now()));
  if (!b.fault->NeedsRecovery()) {
    b.fault->Heal(*b.target);
    return fr;
  }
  Park(ctl, workers);
  b.fault->Heal(*b.target);
  b.target->Recover();
  {
    std::lock_guard lock(ctl.mu);
    for (int w = 0; w < workers; ++w) ctl.fresh[static_cast<size_t>(w)] = b.target->NewClient(w);
  }
  ctl.generation.fetch_add(1, std::memory_order_release);
  ctl.hold.store(false, std::memory_order_release);
  return fr;
}

// Faults every `every` seconds of the measurement, on the calling thread (the store's
// processes are its children: they must not belong to a thread that ends).
std::vector<FaultRecovery> FaultLoop(BuiltScenario& b, Control& ctl, const Phase& phase,
                                     int workers, double every, uint64_t seed) {
  std::vector<FaultRecovery> out;
  Rng rng(seed);
  for (auto next = phase.measure + FromSeconds(every); next < phase.end;
       next += FromSeconds(every)) {
    SleepUntil(next, ctl);
    if (supervisor::Interrupted() || Clock::now() >= phase.end) break;
    if (!out.empty()) {
      const int64_t first = ctl.first_ok_ns.load();
      if (first != INT64_MAX) out.back().first_ok_ms = (first - ctl.fault_ns.load()) / 1e6;
    }
    out.push_back(InjectOnce(b, ctl, phase, workers, rng));
  }
  SleepUntil(phase.end, ctl);
  if (!out.empty()) {
    const int64_t first = ctl.first_ok_ns.load();
    if (first != INT64_MAX) out.back().first_ok_ms = (first - ctl.fault_ns.load()) / 1e6;
  }
  return out;
}

// p99 before each fault, and how long until a ~1 s span's p99 is within 10% of it.
void RecoveryTimes(std::vector<FaultRecovery>& faults, const WindowMerge& m, double window_s) {
  const size_t span = std::max<size_t>(1, static_cast<size_t>(std::lround(1.0 / window_s)));
  for (auto& f : faults) {
    const size_t at = static_cast<size_t>(f.at_s / window_s);
    const Histogram pre = m.Span(at >= 2 * span ? at - 2 * span : 0, at);
    if (pre.Count() < 20) continue;
    f.pre_p99_us = static_cast<double>(pre.Percentile(99)) / 1e3;
    const size_t from = at + static_cast<size_t>(std::max(0.0, f.first_ok_ms) / 1e3 / window_s);
    for (size_t s = from; s + span <= m.size(); ++s) {
      const Histogram h = m.Span(s, s + span);
      if (h.Count() >= 20 && static_cast<double>(h.Percentile(99)) <= 1.1 * f.pre_p99_us * 1e3) {
        f.p99_back_ms = std::max(f.first_ok_ms, (static_cast<double>(s) * window_s - f.at_s) * 1e3);
        break;
      }
    }
  }
}

Repetition Collect(const Phase& phase, const std::vector<std::unique_ptr<Recorder>>& recs) {
  Repetition r;
  r.window_s = phase.window_s;
  r.elapsed_s = Seconds(phase.end - phase.measure);
  double cpu = 0;
  for (const auto& rec : recs) {
    r.hist.Merge(rec->hist);
    r.ok += rec->ok;
    r.fail += rec->fail;
    r.unknown += rec->unknown;
    cpu += rec->cpu_ns;
  }
  r.cpu_ns_per_op = r.ok ? cpu / static_cast<double>(r.ok) : 0;
  const WindowMerge m(phase, recs);
  r.windows = m.Windows(phase.window_s);
  const size_t span = std::max<size_t>(1, static_cast<size_t>(std::lround(1.0 / phase.window_s)));
  for (size_t s = 0; s + span <= m.size(); s += span) {
    const Histogram h = m.Span(s, s + span);
    if (h.Count() < 10) continue;
    r.span_p50_us.push_back(static_cast<double>(h.Percentile(50)) / 1e3);
    r.span_p99_us.push_back(static_cast<double>(h.Percentile(99)) / 1e3);
  }
  return r;
}

// Writes rows 1..keyspace with client 0 (not measured).
void Prefill(Client& c, int keyspace) {
  auto gen = MakePrefill(1, keyspace);
  while (auto op = gen->Next()) {
    ThrowIfInterrupted();
    if (c.Apply(*op) != Outcome::kOk && c.Apply(*op) == Outcome::kUnknown)
      throw std::runtime_error("prefill: the store does not accept inserts");
  }
}

Phase MakePhase(const BenchRequest& req, int clients) {
  Phase p;
  p.window_s = req.fault.empty() ? std::clamp(req.duration_s / 100.0, 0.1, 10.0) : 0.1;
  p.windows = static_cast<size_t>(std::ceil(req.duration_s / p.window_s));
  p.clients = clients;
  p.interval_s = req.rate > 0 ? clients / req.rate : 0;
  p.start = Clock::now();
  p.measure = p.start + FromSeconds(req.warmup_s);
  p.end = p.measure + FromSeconds(req.duration_s);
  return p;
}

}  // namespace

Repetition MeasureOn(BuiltScenario& b, const BenchRequest& req, int clients, uint64_t seed) {
  const bool faults = !req.fault.empty();
  std::vector<std::unique_ptr<OpGenerator>> gens;
  std::vector<std::unique_ptr<Client>> cl;
  for (int w = 0; w < clients; ++w) {
    gens.push_back(
        MakeGenerator(req.workload, *b.workload, w, SubSeed(seed, 0xbe7c, w), req.keyspace));
    gens.back()->BeginCycle(1);
    cl.push_back(b.target->NewClient(w));
  }
  Control ctl;
  ctl.fresh.resize(static_cast<size_t>(clients));
  const Phase phase = MakePhase(req, clients);
  std::vector<std::unique_ptr<Recorder>> recs;
  for (int w = 0; w < clients; ++w) recs.push_back(std::make_unique<Recorder>(phase));
  std::vector<FaultRecovery> fault_log;
  {
    Workers ws{ctl, {}};
    // Without faults worker 0 runs on this thread (as the crash runner's does).
    for (int w = faults ? 0 : 1; w < clients; ++w) {
      const auto i = static_cast<size_t>(w);
      ws.threads.emplace_back(Work, w, std::move(cl[i]), std::ref(*gens[i]), std::cref(phase),
                              std::ref(ctl), std::ref(*recs[i]));
    }
    if (faults) {
      fault_log = FaultLoop(b, ctl, phase, clients, req.every_s, SubSeed(seed, 0xfa01, 0));
    } else {
      Work(0, std::move(cl[0]), *gens[0], phase, ctl, *recs[0]);
    }
    ws.JoinAll();
  }
  ThrowIfInterrupted();
  Repetition rep = Collect(phase, recs);
  rep.faults = std::move(fault_log);
  RecoveryTimes(rep.faults, WindowMerge(phase, recs), phase.window_s);
  return rep;
}

void StartForBench(BuiltScenario& b, const BenchRequest& req) {
  if (!req.fault.empty()) b.fault->Setup(*b.target);
  b.target->Start();
  b.target->NewClient(0)->Prepare(b.workload->Model());
  if (NeedsRows(req.workload)) Prefill(*b.target->NewClient(0), req.keyspace);
}

Repetition RunRepetition(const ResolvedRequest& r, const BenchRequest& req, int clients,
                         uint64_t seed, std::map<std::string, std::string>* config) {
  TempDir work("crashlab-bench-");
  BuiltScenario b = BuildScenario(r, work.path());
  StartForBench(b, req);
  if (config) {
    *config = b.target->Config();
    if (b.storage) {
      for (const auto& [k, v] : b.storage->Describe()) config->emplace(k, v);
    }
  }
  Repetition rep = MeasureOn(b, req, clients, seed);
  if (!req.fault.empty()) b.fault->Teardown(*b.target);
  b.target->Stop();
  return rep;
}

double MeasureClockOverheadNs() {
  constexpr int kN = 1000000;
  const auto t0 = Clock::now();
  Clock::time_point sink{};
  for (int i = 0; i < kN; ++i) sink = std::max(sink, Clock::now());
  return Seconds(sink - t0) * 1e9 / kN;
}

namespace {
class NoopClient : public Client {
 public:
  Outcome Apply(const Op&) override { return Outcome::kOk; }
  ObservedState ReadState() override { return {}; }
};
}  // namespace

double MeasureHarnessOverheadNs() {
  BenchRequest req;
  req.duration_s = 0.2;
  req.warmup_s = 0;
  const Phase phase = MakePhase(req, 1);
  Control ctl;
  ctl.fresh.resize(1);
  Recorder rec(phase);
  auto gen = MakeGenerator("insert", *MakeLedgerWorkload(), 0, 1, 1);
  Work(0, std::make_unique<NoopClient>(), *gen, phase, ctl, rec);
  const uint64_t ops = rec.ok + rec.fail + rec.unknown;
  return ops ? 0.2e9 / static_cast<double>(ops) : 0;
}

}  // namespace crashlab::bench

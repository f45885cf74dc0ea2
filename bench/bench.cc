// crashlab bench: combinations, validation, the repetitions, summaries and comparisons.
#include "bench/bench.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/workload_gen.h"
#include "framework/knob.h"
#include "framework/process.h"
#include "framework/rng.h"
#include "framework/scenario.h"

namespace crashlab::bench {

namespace {

bool IsContainer(const std::string& deploy) { return deploy.rfind("container-", 0) == 0; }

const std::map<std::string, std::string>& MountOf() {
  static const std::map<std::string, std::string> m = {
      {"container-bind", "bind"}, {"container-volume", "volume"}, {"container-layer", "none"}};
  return m;
}

std::string Fmt(double v, int prec = 2) { return Fixed(v, prec); }

}  // namespace

std::string Fixed(double v, int prec) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(prec);
  o << v;
  return o.str();
}

std::string Combination::Name(const std::string& workload) const {
  return store + "/" + (IsContainer(deploy) ? deploy : storage.name) +
         "/clients:" + std::to_string(clients) + "/" + workload;
}

std::string Combination::Label() const {
  return store + " " + (IsContainer(deploy) ? deploy : storage.name) + " c" +
         std::to_string(clients);
}

void Validate(const BenchRequest& req) {
  const Registry& reg = Registry::Global();
  if (req.stores.empty()) throw UsageError("--stores needs at least one store", "stores");
  for (const auto& s : req.stores) {
    const StoreSpec* spec = reg.FindStore(s);
    if (!spec) {
      std::vector<std::string> names;
      for (const auto* st : reg.Stores()) names.push_back(st->name);
      throw UsageError("unknown store '" + s + "' (known: " + JoinList(names) + ")", "stores");
    }
    for (const auto& d : req.deploys) {
      if (IsContainer(d) && !spec->build_container)
        throw UsageError(s + " has no container deployment", "deploy");
    }
  }
  for (const auto& d : req.deploys) {
    if (d != "local" && !MountOf().count(d))
      throw UsageError("unknown deployment '" + d +
                           "' (local, container-bind, container-volume, container-layer)",
                       "deploy");
  }
  for (const auto& st : req.storages) {
    if (st.value.empty() ||
        (st.value[0] != '/' && st.value != "disk" && st.value != "tmpfs" && st.value != "crashfs"))
      throw UsageError(
          "--storage takes disk, tmpfs, crashfs or NAME=/absolute/dir, got '" + st.name + "'",
          "storage");
    if (st.value[0] == '/' && !std::filesystem::is_directory(st.value))
      throw UsageError("--storage " + st.name + ": " + st.value + " is not a directory", "storage");
  }
  for (int c : req.clients) {
    if (c < 1 || c > 256) throw UsageError("--clients must be in [1, 256]", "clients");
  }
  if (!IsBenchWorkload(req.workload))
    throw UsageError(
        "unknown workload '" + req.workload + "' (insert, update, read, mix, ledger, bank)",
        "workload");
  if (!std::isfinite(req.duration_s) || req.duration_s <= 0)
    throw UsageError("--duration must be a positive number of seconds", "duration");
  if (!std::isfinite(req.warmup_s) || req.warmup_s < 0)
    throw UsageError("--warmup must be >= 0 seconds", "warmup");
  if (req.repetitions < 1 || req.repetitions > 1000)
    throw UsageError("--repetitions must be in [1, 1000]", "repetitions");
  if (!std::isfinite(req.rate) || req.rate < 0) throw UsageError("--rate must be >= 0", "rate");
  if (req.keyspace < 1) throw UsageError("--keyspace must be >= 1", "keyspace");
  if (!req.fault.empty() && !(req.every_s > 0 && std::isfinite(req.every_s)))
    throw UsageError("--fault needs --every SECONDS (> 0)", "every");
  if (req.fault.empty() && req.every_s != 0) throw UsageError("--every needs --fault", "every");
  if (req.out.empty()) throw UsageError("--out needs a directory", "out");
}

std::vector<Combination> Combinations(const BenchRequest& req) {
  std::vector<Combination> out;
  for (const auto& store : req.stores) {
    for (const auto& deploy : req.deploys) {
      for (int c : req.clients) {
        if (IsContainer(deploy)) {
          out.push_back({store, {"-", ""}, deploy, c});
          continue;
        }
        for (const auto& st : req.storages) out.push_back({store, st, deploy, c});
      }
    }
  }
  return out;
}

namespace {

// The crash-run request that builds this combination's store (the fault only fires
// with --fault).
ScenarioRequest ScenarioFor(const Combination& c, const BenchRequest& req) {
  ScenarioRequest s;
  const bool container = IsContainer(c.deploy);
  s.scenario = c.store + "-" + (container ? "container" : req.fault.empty() ? "kill" : req.fault);
  s.seed = req.seed;
  s.workers = c.clients;
  s.set = req.set;
  s.set["workload"] = StoreWorkloadFor(req.workload);
  if (container) {
    s.set["mount"] = MountOf().at(c.deploy);
    if (!req.fault.empty()) s.set["action"] = req.fault;
  } else {
    s.set["storage"] = c.storage.value;
  }
  return s;
}

std::string RepLine(const CombinationResult& cr, int rep, int reps, const Repetition& r) {
  std::ostringstream o;
  o << cr.combo.Label() << " rep " << rep + 1 << "/" << reps << ": " << Fmt(r.OpsPerSec(), 0)
    << " ops/s  p50 " << Fmt(static_cast<double>(r.hist.Percentile(50)) / 1e3, 1) << " us  p99 "
    << Fmt(static_cast<double>(r.hist.Percentile(99)) / 1e3, 1) << " us";
  if (r.fail + r.unknown > 0) o << "  (" << r.fail << " failed, " << r.unknown << " unknown)";
  return o.str();
}

CombinationResult RunCombination(const Combination& c, const BenchRequest& req, size_t index,
                                 const std::function<void(const std::string&)>& log) {
  CombinationResult cr;
  cr.combo = c;
  ResolvedRequest r;
  try {
    r = Resolve(ScenarioFor(c, req));
  } catch (const UsageError& e) {
    throw UsageError(c.Label() + ": " + e.what(), e.key);
  }
  if (const std::string why = MissingPrerequisite(r); !why.empty()) {
    cr.skipped = why;
    log(c.Label() + ": skipped: " + why);
    return cr;
  }
  for (int rep = 0; rep < req.repetitions; ++rep) {
    ThrowIfInterrupted();
    const uint64_t seed = SubSeed(req.seed, index, static_cast<uint64_t>(rep));
    try {
      cr.reps.push_back(RunRepetition(r, req, c.clients, seed, rep == 0 ? &cr.config : nullptr));
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      cr.error = e.what();
      log(c.Label() + ": error: " + cr.error);
      break;
    }
    cr.merged.Merge(cr.reps.back().hist);
    log(RepLine(cr, rep, req.repetitions, cr.reps.back()));
  }
  return cr;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ReadFirstLine(const std::string& path, const std::string& prefix = "") {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// The mount holding `dir`: "device fstype".
std::string MountOfDir(std::filesystem::path dir) {
  std::ifstream in("/proc/mounts");
  std::string dev, mnt, type, rest, best, best_desc;
  dir = std::filesystem::weakly_canonical(dir);
  while (in >> dev >> mnt >> type && std::getline(in, rest)) {
    const std::string d = dir.string();
    if (d.rfind(mnt, 0) == 0 && (d.size() == mnt.size() || mnt == "/" || d[mnt.size()] == '/') &&
        mnt.size() >= best.size()) {
      best = mnt;
      best_desc = dev + " " + type + " (mounted at " + mnt + ")";
    }
  }
  return best_desc;
}

}  // namespace

HostInfo ProbeHost(const BenchRequest& req) {
  HostInfo h;
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  h.host = buf;
  utsname u{};
  if (::uname(&u) == 0) h.kernel = std::string(u.sysname) + " " + u.release;
  h.cpus = static_cast<int>(std::thread::hardware_concurrency());
  std::string model = ReadFirstLine("/proc/cpuinfo", "model name");
  if (auto c = model.find(':'); c != std::string::npos) h.cpu_model = Trim(model.substr(c + 2));
  std::string mhz = ReadFirstLine("/proc/cpuinfo", "cpu MHz");
  if (auto c = mhz.find(':'); c != std::string::npos) h.mhz = std::atof(mhz.c_str() + c + 1);
  getloadavg(h.load_avg, 3);
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", &tm);
  h.date = date;
  const char* tmp = std::getenv("TMPDIR");
  for (const auto& st : req.storages) {
    std::string where = st.value == "tmpfs"  ? "/dev/shm"
                        : st.value[0] == '/' ? st.value
                        : tmp && *tmp        ? tmp
                                             : "/tmp";
    std::string desc = MountOfDir(where);
    if (st.value == "crashfs") desc = "crashfs (FUSE) over " + desc;
    h.storage_devices[st.name] = desc;
  }
  return h;
}

Figure Summarize(const std::vector<double>& v, uint64_t seed) {
  Figure f;
  f.per_rep = v;
  f.median = Median(v);
  f.ci = BootstrapMedianCI(v, seed);
  const double m = Mean(v);
  f.cv = m > 0 ? Stddev(v) / m : 0;
  return f;
}

namespace {

std::vector<double> AllSpans(const CombinationResult& c, bool p99) {
  std::vector<double> v;
  for (const auto& r : c.reps) {
    const auto& s = p99 ? r.span_p99_us : r.span_p50_us;
    v.insert(v.end(), s.begin(), s.end());
  }
  return v;
}

std::string AxisBetween(const Combination& a, const Combination& b) {
  if (a.store != b.store || a.clients != b.clients) return "";
  if (a.deploy == b.deploy && !IsContainer(a.deploy) && a.storage.name != b.storage.name)
    return "storage";
  if (a.deploy != b.deploy && (IsContainer(a.deploy) || IsContainer(b.deploy))) return "deploy";
  return "";
}

}  // namespace

std::vector<Comparison> Compare(const std::vector<CombinationResult>& combos, uint64_t seed) {
  std::vector<Comparison> out;
  for (size_t i = 0; i < combos.size(); ++i) {
    for (size_t j = i + 1; j < combos.size(); ++j) {
      const std::string axis = AxisBetween(combos[i].combo, combos[j].combo);
      if (axis.empty() || combos[i].reps.empty() || combos[j].reps.empty()) continue;
      Comparison c;
      c.a = i;
      c.b = j;
      c.axis = axis;
      for (bool p99 : {false, true}) {
        const auto a = AllSpans(combos[i], p99), b = AllSpans(combos[j], p99);
        const double ma = Median(a);
        const double ratio = ma > 0 ? Median(b) / ma : 0;
        const Interval ci = BootstrapRatioCI(a, b, SubSeed(seed, i * 1000 + j, p99));
        const UTest u = MannWhitney(a, b);
        (p99 ? c.p99_ratio : c.p50_ratio) = ratio;
        (p99 ? c.p99_ci : c.p50_ci) = ci;
        (p99 ? c.p99_test : c.p50_test) = u;
      }
      out.push_back(c);
    }
  }
  return out;
}

namespace {
// Three significant digits: 1.83, 0.0412, 112.
std::string Ratio(double v) {
  std::ostringstream o;
  o.precision(3);
  o << v;
  return o.str();
}
}  // namespace

std::string Comparison::Sentence(const std::vector<CombinationResult>& combos) const {
  const Combination& ca = combos[a].combo;
  const Combination& cb = combos[b].combo;
  const std::string na = axis == "storage" ? ca.storage.name : ca.deploy;
  const std::string nb = axis == "storage" ? cb.storage.name : cb.deploy;
  std::ostringstream o;
  auto one = [&](const char* what, double ratio, Interval ci, UTest t) {
    const bool sig = t.p < 0.05 && (ci.low > 1 || ci.high < 1);
    o << nb << " " << what;
    if (sig) {
      o << " is " << Ratio(ratio) << "x " << na << " (95% CI " << Ratio(ci.low) << "-"
        << Ratio(ci.high) << "x, p=" << Ratio(t.p) << ")";
    } else {
      o << ": no significant difference from " << na << " (" << Ratio(ratio)
        << "x, p=" << Ratio(t.p) << ")";
    }
  };
  o << ca.store << " c" << ca.clients << ": ";
  one("p50", p50_ratio, p50_ci, p50_test);
  o << "; ";
  one("p99", p99_ratio, p99_ci, p99_test);
  return o.str();
}

BenchResult RunBench(const BenchRequest& req, const std::function<void(const std::string&)>& log) {
  Validate(req);
  supervisor::Init();
  BenchResult res;
  res.request = req;
  res.host = ProbeHost(req);
  res.clock_overhead_ns = MeasureClockOverheadNs();
  res.harness_overhead_ns = MeasureHarnessOverheadNs();
  const auto combos = Combinations(req);
  for (size_t i = 0; i < combos.size(); ++i) {
    res.combos.push_back(RunCombination(combos[i], req, i, log));
  }
  res.comparisons = Compare(res.combos, req.seed);
  for (const auto& c : res.combos) {
    if (!c.skipped.empty()) res.warnings.push_back(c.combo.Label() + " skipped: " + c.skipped);
    if (!c.error.empty()) res.warnings.push_back(c.combo.Label() + " failed: " + c.error);
    if (c.reps.size() < 2) continue;
    std::vector<double> means, p99s;
    for (const auto& r : c.reps) {
      means.push_back(r.hist.Mean());
      p99s.push_back(static_cast<double>(r.hist.Percentile(99)));
    }
    const double cv_mean = Stddev(means) / std::max(1e-9, Mean(means));
    const double cv_p99 = Stddev(p99s) / std::max(1e-9, Mean(p99s));
    if (cv_mean > 0.10 || cv_p99 > 0.10) {
      res.warnings.push_back(c.combo.Label() + ": CV across repetitions above 10% (mean " +
                             Fmt(cv_mean * 100, 1) + "%, p99 " + Fmt(cv_p99 * 100, 1) +
                             "%): more repetitions or a quieter machine");
    }
  }
  return res;
}

}  // namespace crashlab::bench

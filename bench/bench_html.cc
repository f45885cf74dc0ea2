// report.html: self-contained SVG charts (no script or network needed to draw them) and
// the summary printed on the terminal.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "bench/bench.h"
#include "framework/svg.h"
#include "framework/version.h"

namespace crashlab::bench {
namespace {

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                         "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
const char* Color(size_t i) { return kColors[i % (sizeof kColors / sizeof *kColors)]; }

std::string Esc(const std::string& s) { return svg::Escape(s); }

std::string Num(double v, int prec = 1) { return Fixed(v, prec); }

// Latency in readable units.
std::string Lat(double us) {
  if (us >= 1e6) return Num(us / 1e6, 2) + " s";
  if (us >= 1e3) return Num(us / 1e3, us >= 1e4 ? 0 : 1) + " ms";
  return Num(us, us >= 100 ? 0 : 1) + " us";
}

// A chart area with axes: linear or log10 on each axis.
class Plot {
 public:
  Plot(double x0, double x1, bool xlog, double y0, double y1, bool ylog)
      : x0_(xlog ? std::log10(x0) : x0),
        x1_(xlog ? std::log10(x1) : x1),
        y0_(ylog ? std::log10(y0) : y0),
        y1_(ylog ? std::log10(y1) : y1),
        xlog_(xlog),
        ylog_(ylog) {
    if (x1_ <= x0_) x1_ = x0_ + 1;
    if (y1_ <= y0_) y1_ = y0_ + 1;
  }
  double X(double v) const {
    const double t = xlog_ ? std::log10(std::max(v, 1e-9)) : v;
    return kLeft + (t - x0_) / (x1_ - x0_) * (kW - kLeft - kRight);
  }
  double Y(double v) const {
    const double t = ylog_ ? std::log10(std::max(v, 1e-9)) : v;
    return kH - kBottom - (t - y0_) / (y1_ - y0_) * (kH - kTop - kBottom);
  }
  // Ticks: powers of ten (with 2 and 5) on log axes, round steps on linear ones.
  static std::vector<double> Ticks(double lo, double hi, bool log) {
    std::vector<double> t;
    if (log) {
      for (double p = std::pow(10, std::floor(std::log10(lo))); p <= hi * 1.0001; p *= 10) {
        for (double m : {1.0, 2.0, 5.0}) {
          if (p * m >= lo * 0.9999 && p * m <= hi * 1.0001) t.push_back(p * m);
        }
      }
      return t;
    }
    const double raw = (hi - lo) / 6;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (raw <= m * mag) {
        step = m * mag;
        break;
      }
    }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(v);
    return t;
  }
  std::string Axes(const std::string& xlabel, const std::string& ylabel,
                   const std::function<std::string(double)>& xfmt,
                   const std::function<std::string(double)>& yfmt) const {
    std::ostringstream o;
    const double lx = xlog_ ? std::pow(10, x0_) : x0_, hx = xlog_ ? std::pow(10, x1_) : x1_;
    const double ly = ylog_ ? std::pow(10, y0_) : y0_, hy = ylog_ ? std::pow(10, y1_) : y1_;
    o << "<rect x='" << kLeft << "' y='" << kTop << "' width='" << kW - kLeft - kRight
      << "' height='" << kH - kTop - kBottom << "' fill='none' stroke='#999'/>";
    for (double t : Ticks(lx, hx, xlog_)) {
      o << "<line x1='" << X(t) << "' x2='" << X(t) << "' y1='" << kTop << "' y2='" << kH - kBottom
        << "' stroke='#eee'/><text x='" << X(t) << "' y='" << kH - kBottom + 14
        << "' text-anchor='middle'>" << xfmt(t) << "</text>";
    }
    for (double t : Ticks(ly, hy, ylog_)) {
      o << "<line x1='" << kLeft << "' x2='" << kW - kRight << "' y1='" << Y(t) << "' y2='" << Y(t)
        << "' stroke='#eee'/><text x='" << kLeft - 4 << "' y='" << Y(t) + 4
        << "' text-anchor='end'>" << yfmt(t) << "</text>";
    }
    o << "<text x='" << (kW + kLeft) / 2 << "' y='" << kH - 4 << "' text-anchor='middle'>"
      << Esc(xlabel) << "</text><text x='12' y='" << kTop - 8 << "'>" << Esc(ylabel) << "</text>";
    return o.str();
  }
  static constexpr double kW = 760, kH = 320, kLeft = 70, kRight = 20, kTop = 24, kBottom = 40;

 private:
  double x0_, x1_, y0_, y1_;
  bool xlog_, ylog_;
};

std::string Svg(const std::string& id, const std::string& body) {
  return "<svg class='chart' id='" + id +
         "' width='760' height='320' viewBox='0 0 760 320' "
         "xmlns='http://www.w3.org/2000/svg'>" +
         body + "</svg>";
}

std::string Legend(const std::vector<const CombinationResult*>& cs) {
  std::ostringstream o;
  o << "<div class='legend'>";
  for (size_t i = 0; i < cs.size(); ++i) {
    o << "<span><i style='background:" << Color(i) << "'></i>" << Esc(cs[i]->combo.Label())
      << "</span>";
  }
  o << "</div>";
  return o.str();
}

std::vector<const CombinationResult*> Ran(const BenchResult& r) {
  std::vector<const CombinationResult*> v;
  for (const auto& c : r.combos) {
    if (!c.reps.empty()) v.push_back(&c);
  }
  return v;
}

// CDF of each combination's merged latencies, log x.
std::string CdfChart(const std::vector<const CombinationResult*>& cs) {
  double lo = 1e18, hi = 0;
  for (const auto* c : cs) {
    lo = std::min(lo, std::max(0.1, static_cast<double>(c->merged.Min()) / 1e3));
    hi = std::max(hi, static_cast<double>(c->merged.Max()) / 1e3);
  }
  if (hi <= lo) hi = lo * 10;
  Plot p(lo, hi, true, 0, 1, false);
  std::ostringstream o;
  o << p.Axes("latency (log scale)", "fraction of ops at or below", Lat,
              [](double v) { return Num(v, 1); });
  for (size_t i = 0; i < cs.size(); ++i) {
    const Histogram& h = cs[i]->merged;
    uint64_t seen = 0;
    o << "<polyline class='series' fill='none' stroke-width='2' stroke='" << Color(i)
      << "' points='";
    for (const auto& b : h.Buckets()) {
      seen += b.count;
      const double x = std::max(lo, static_cast<double>(b.low + b.width) / 1e3);
      o << p.X(x) << "," << p.Y(static_cast<double>(seen) / static_cast<double>(h.Count())) << " ";
    }
    o << "'/>";
  }
  return Svg("cdf", o.str());
}

// Box plot of the per-repetition p99 of each combination (whiskers min..max, box q1..q3).
std::string BoxChart(const std::vector<const CombinationResult*>& cs) {
  double lo = 1e18, hi = 0;
  std::vector<std::vector<double>> p99(cs.size());
  for (size_t i = 0; i < cs.size(); ++i) {
    for (const auto& r : cs[i]->reps)
      p99[i].push_back(static_cast<double>(r.hist.Percentile(99)) / 1e3);
    lo = std::min(lo, *std::min_element(p99[i].begin(), p99[i].end()));
    hi = std::max(hi, *std::max_element(p99[i].begin(), p99[i].end()));
  }
  Plot p(0, static_cast<double>(cs.size()), false, std::max(0.1, lo / 1.5), hi * 1.5, true);
  std::ostringstream o;
  o << p.Axes(
      "combination", "p99 per repetition (log scale)", [](double) { return std::string(); }, Lat);
  for (size_t i = 0; i < cs.size(); ++i) {
    const double cx = p.X(static_cast<double>(i) + 0.5), w = 0.25 * (p.X(1) - p.X(0));
    const double q1 = Quantile(p99[i], 0.25), q3 = Quantile(p99[i], 0.75), med = Median(p99[i]);
    const double mn = *std::min_element(p99[i].begin(), p99[i].end());
    const double mx = *std::max_element(p99[i].begin(), p99[i].end());
    o << "<line x1='" << cx << "' x2='" << cx << "' y1='" << p.Y(mn) << "' y2='" << p.Y(mx)
      << "' stroke='" << Color(i) << "'/>"
      << "<rect class='series' x='" << cx - w << "' y='" << p.Y(q3) << "' width='" << 2 * w
      << "' height='" << std::max(1.0, p.Y(q1) - p.Y(q3)) << "' fill='" << Color(i)
      << "' fill-opacity='0.3' stroke='" << Color(i) << "'/>"
      << "<line x1='" << cx - w << "' x2='" << cx + w << "' y1='" << p.Y(med) << "' y2='"
      << p.Y(med) << "' stroke='" << Color(i) << "' stroke-width='2'/>";
    for (double v : p99[i]) {
      o << "<circle cx='" << cx << "' cy='" << p.Y(v) << "' r='3' fill='" << Color(i) << "'/>";
    }
    o << "<text x='" << cx << "' y='" << Plot::kH - Plot::kBottom + 14 << "' text-anchor='middle'>"
      << Esc(cs[i]->combo.Label()) << "</text>";
  }
  return Svg("box", o.str());
}

// p99 per window over time (first repetition of each combination), faults shaded.
std::string TimeChart(const std::vector<const CombinationResult*>& cs, double duration) {
  double lo = 1e18, hi = 0;
  for (const auto* c : cs) {
    for (const auto& w : c->reps.front().windows) {
      if (w.ok == 0) continue;
      lo = std::min(lo, static_cast<double>(w.p50_ns) / 1e3);
      hi = std::max(hi, static_cast<double>(w.p99_ns) / 1e3);
    }
  }
  if (hi <= 0) return "";
  Plot p(0, duration, false, std::max(0.1, lo / 1.5), hi * 1.5, true);
  std::ostringstream o;
  for (size_t i = 0; i < cs.size(); ++i) {
    for (const auto& f : cs[i]->reps.front().faults) {
      const double end = f.at_s + std::max(0.05, std::max(f.first_ok_ms, f.p99_back_ms) / 1e3);
      o << "<rect class='fault' x='" << p.X(f.at_s) << "' y='" << Plot::kTop << "' width='"
        << std::max(2.0, p.X(std::min(end, duration)) - p.X(f.at_s)) << "' height='"
        << Plot::kH - Plot::kTop - Plot::kBottom << "' fill='" << Color(i)
        << "' fill-opacity='0.12'/>";
    }
  }
  o << p.Axes(
      "time since the measurement began", "latency per window: p99 solid, p50 dashed (log scale)",
      [duration](double s) {
        return duration < 2 ? Num(s * 1e3, 0) + " ms" : Num(s, s < 10 ? 1 : 0) + " s";
      },
      Lat);
  for (size_t i = 0; i < cs.size(); ++i) {
    const auto& rep = cs[i]->reps.front();
    for (bool p99 : {true, false}) {
      o << "<polyline class='series' fill='none' stroke='" << Color(i) << "' stroke-width='"
        << (p99 ? 2 : 1) << "'" << (p99 ? "" : " stroke-dasharray='4 3'") << " points='";
      for (const auto& w : rep.windows) {
        if (w.ok == 0) continue;
        o << p.X(w.t_s + rep.window_s / 2) << ","
          << p.Y(static_cast<double>(p99 ? w.p99_ns : w.p50_ns) / 1e3) << " ";
      }
      o << "'/>";
    }
  }
  return Svg("timeline", o.str());
}

std::string FigureCell(const std::vector<double>& v, bool latency) {
  const Figure f = Summarize(v, 7);
  auto show = [&](double x) { return latency ? Lat(x) : Num(x, 0); };
  return "<td>" + show(f.median) + " <small>[" + show(f.ci.low) + ", " + show(f.ci.high) + "] cv " +
         Num(f.cv * 100, 1) + "%</small></td>";
}

std::string FiguresTable(const BenchResult& r) {
  std::ostringstream o;
  o << "<table><tr><th>combination</th><th>ops/s</th><th>mean</th><th>p50</th><th>p90</th><th>p99</"
       "th>"
       "<th>p99.9</th><th>p99.99</th><th>max</th><th>failed / unknown</th></tr>";
  for (const auto& c : r.combos) {
    o << "<tr><td>" << Esc(c.combo.Label()) << "</td>";
    if (c.reps.empty()) {
      o << "<td colspan='9'>"
        << Esc(c.skipped.empty() ? "error: " + c.error : "skipped: " + c.skipped) << "</td></tr>";
      continue;
    }
    auto col = [&](auto fn) {
      std::vector<double> v;
      for (const auto& rep : c.reps) v.push_back(fn(rep));
      return v;
    };
    o << FigureCell(col([](const Repetition& x) { return x.OpsPerSec(); }), false)
      << FigureCell(col([](const Repetition& x) { return x.hist.Mean() / 1e3; }), true);
    for (double q : {50.0, 90.0, 99.0, 99.9, 99.99}) {
      o << FigureCell(
          col([q](const Repetition& x) { return static_cast<double>(x.hist.Percentile(q)) / 1e3; }),
          true);
    }
    o << FigureCell(
        col([](const Repetition& x) { return static_cast<double>(x.hist.Max()) / 1e3; }), true);
    uint64_t fail = 0, unk = 0;
    for (const auto& rep : c.reps) {
      fail += rep.fail;
      unk += rep.unknown;
    }
    o << "<td>" << fail << " / " << unk << "</td></tr>";
  }
  o << "</table><p><small>Each cell: median over repetitions [95% bootstrap CI] and the "
       "coefficient of variation across repetitions.</small></p>";
  return o.str();
}

std::string FaultTable(const BenchResult& r) {
  std::ostringstream o;
  bool any = false;
  o << "<table><tr><th>combination</th><th>rep</th><th>fault</th><th>at</th><th>first success "
       "after</th>"
       "<th>p99 back within 10% after</th><th>pre-fault p99</th></tr>";
  for (const auto& c : r.combos) {
    for (size_t i = 0; i < c.reps.size(); ++i) {
      for (const auto& f : c.reps[i].faults) {
        any = true;
        o << "<tr><td>" << Esc(c.combo.Label()) << "</td><td>" << i + 1 << "</td><td>"
          << Esc(f.fault) << "</td><td>" << Num(f.at_s, 2) << " s</td><td>"
          << (f.first_ok_ms < 0 ? "never" : Num(f.first_ok_ms, 1) + " ms") << "</td><td>"
          << (f.p99_back_ms < 0 ? "not within the run" : Num(f.p99_back_ms, 0) + " ms")
          << "</td><td>" << Lat(f.pre_p99_us) << "</td></tr>";
      }
    }
  }
  o << "</table>";
  return any ? "<h2>Faults and recovery</h2>" + o.str() : "";
}

const char* kStyle =
    "body{font:14px "
    "sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child{text-align:left}"
    "svg text{font:11px sans-serif;fill:#333}.legend span{margin-right:14px}.legend "
    "i{display:inline-block;"
    "width:12px;height:12px;margin-right:4px;vertical-align:middle}.warn{color:#a40}small{color:#"
    "666}";

// Counts what the charts drew (for the headless-browser test) and records script errors.
const char* kCheck =
    "<script>window.addEventListener('error',function(e){document.body.setAttribute('data-errors',"
    "(document.body.getAttribute('data-errors')||'')+e.message+';');});"
    "window.addEventListener('load',function(){var n=0;document.querySelectorAll('svg.chart "
    ".series').forEach(function(s){var b=s.getBBox();if(b.width>0||b.height>0)n++;});"
    "document.body.setAttribute('data-drawn',String(n));});</script>";

}  // namespace

void WriteBenchHtml(const BenchResult& r, const std::filesystem::path& file) {
  const auto cs = Ran(r);
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>crashlab bench</title><style>"
    << kStyle << "</style></head><body><h1>crashlab bench: " << Esc(r.request.workload) << ", "
    << (r.request.rate > 0 ? "open loop at " + Num(r.request.rate, 0) + " ops/s"
                           : std::string("closed loop"))
    << "</h1><p>" << Esc(r.request.command_line) << "</p><p>crashlab " << kVersion << " on "
    << Esc(r.host.host) << " (" << Esc(r.host.kernel) << ", " << r.host.cpus << " CPUs "
    << Esc(r.host.cpu_model) << ", load " << Num(r.host.load_avg[0], 2) << ") at "
    << Esc(r.host.date) << ". " << Num(r.request.duration_s, 1) << " s measured after "
    << Num(r.request.warmup_s, 1) << " s warm-up, " << r.request.repetitions
    << " repetitions. Clock read " << Num(r.clock_overhead_ns, 1) << " ns; harness cost "
    << Num(r.harness_overhead_ns, 1) << " ns per op.</p>";
  for (const auto& w : r.warnings) o << "<p class='warn'>warning: " << Esc(w) << "</p>";
  o << "<h2>Figures</h2>" << FiguresTable(r);
  o << "<h2>Comparisons</h2><ul>";
  for (const auto& c : r.comparisons) o << "<li>" << Esc(c.Sentence(r.combos)) << "</li>";
  o << "</ul><p><small>Ratios of medians over ~1 s spans of every repetition, 95% bootstrap CI, "
       "two-sided Mann-Whitney U test on the spans; significant when p &lt; 0.05 and the CI "
       "excludes 1."
       "</small></p>";
  if (!cs.empty()) {
    o << "<h2>Latency distribution (CDF)</h2>" << Legend(cs) << CdfChart(cs)
      << "<h2>p99 per repetition</h2>" << BoxChart(cs)
      << "<h2>Latency over time (repetition 1)</h2>" << Legend(cs)
      << TimeChart(cs, r.request.duration_s);
  }
  o << FaultTable(r) << "<h2>Storage</h2><ul>";
  for (const auto& [name, dev] : r.host.storage_devices)
    o << "<li>" << Esc(name) << ": " << Esc(dev) << "</li>";
  o << "</ul>" << kCheck << "</body></html>\n";
  std::ofstream out(file);
  out << o.str();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

void PrintSummary(const BenchResult& r, std::ostream& out) {
  out << "crashlab bench: " << r.request.workload << ", " << r.request.repetitions << " x "
      << Num(r.request.duration_s, 1) << " s per combination\n";
  for (const auto& c : r.combos) {
    out << "  " << c.combo.Label() << ": ";
    if (c.reps.empty()) {
      out << (c.skipped.empty() ? "error: " + c.error : "skipped: " + c.skipped) << "\n";
      continue;
    }
    std::vector<double> ops, p50, p99;
    for (const auto& rep : c.reps) {
      ops.push_back(rep.OpsPerSec());
      p50.push_back(static_cast<double>(rep.hist.Percentile(50)) / 1e3);
      p99.push_back(static_cast<double>(rep.hist.Percentile(99)) / 1e3);
    }
    out << Num(Median(ops), 0) << " ops/s  p50 " << Lat(Median(p50)) << "  p99 " << Lat(Median(p99))
        << " (medians of " << c.reps.size() << ")\n";
  }
  for (const auto& c : r.comparisons) out << "  " << c.Sentence(r.combos) << "\n";
  for (const auto& w : r.warnings) out << "  warning: " << w << "\n";
}

}  // namespace crashlab::bench

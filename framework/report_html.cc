// report.html: one self-contained page of inline SVG charts and tables (no script, no
// network) built with framework/svg.h.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "framework/report.h"
#include "framework/svg.h"
#include "framework/version.h"

namespace crashlab {

namespace {

using svg::Escape;
using Points = std::vector<std::pair<double, double>>;

constexpr double kWidth = 1000;
constexpr const char* kOk = "#2a9d3a";
constexpr const char* kUnknown = "#e08a00";
constexpr const char* kFail = "#c62828";
constexpr size_t kMaxValidRows = 200, kMaxOtherRows = 500, kMaxDots = 3000;
constexpr size_t kDetailsPerCycle = 20;

const char* VerdictWord(Validity v) {
  return v == Validity::kValid ? "VALID" : v == Validity::kInvalid ? "INVALID" : "UNKNOWN";
}

std::string Num(double v, int digits = 1) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

std::string Row(const std::string& k, const std::string& v) {
  return "<tr><th>" + Escape(k) + "</th><td>" + Escape(v) + "</td></tr>";
}

std::string Header(const RunReport& r) {
  std::string h = "<header><h1>" + Escape(r.scenario) + " <span class=\"verdict " +
                  std::string(ToString(r.verdict)) + "\">" + VerdictWord(r.verdict) +
                  "</span></h1>\n<p class=\"summary\">" + Escape(SummarySentence(r)) + "</p>\n";
  if (!r.interrupted.empty())
    h += "<p class=\"banner\">Interrupted: " + Escape(r.interrupted) + "</p>\n";
  if (!r.skipped.empty()) h += "<p class=\"banner\">Skipped: " + Escape(r.skipped) + "</p>\n";
  h += "<table class=\"counts\">";
  h += Row("cycles", std::to_string(r.cycles) + " of " +
                         (r.cycles_requested ? std::to_string(r.cycles_requested) : "(duration)"));
  h += Row("ops ok / fail / unknown", std::to_string(r.ok) + " / " + std::to_string(r.fail) +
                                          " / " + std::to_string(r.unknown));
  std::string an;
  for (const auto& [k, n] : r.anomaly_counts) an += k + " " + std::to_string(n) + "   ";
  h += Row("anomalies", an.empty() ? "none" : an);
  h += Row("recovery p50 / max", Num(r.recovery_p50_ms) + " / " + Num(r.recovery_max_ms) + " ms");
  h += Row("throughput", Num(r.ops_per_s, 0) + " ops/s");
  h += Row("latency (ok ops) p50 / p99 / max",
           svg::FormatDuration(r.latency_p50_us / 1000) + " / " +
               svg::FormatDuration(r.latency_p99_us / 1000) + " / " +
               svg::FormatDuration(r.latency_max_us / 1000));
  return h + "</table></header>\n";
}

// Fault windows (fault instant to ready again), merged when closer than a pixel so a
// 10,000-cycle run draws at most about one band per pixel.
struct Window {
  double from = 0, to = 0;
  bool bad = false;
  uint32_t first = 0, last = 0;
  std::string faults;
};

std::vector<Window> FaultWindows(const RunReport& r, double span_ms) {
  std::vector<Window> out;
  const double px_ms = span_ms / kWidth;
  for (const auto& c : r.cycle_records) {
    const double to = c.ready_ms >= 0 ? c.ready_ms : c.fault_ms + r.timeline_bucket_ms;
    const bool bad = c.validity != Validity::kValid;
    if (!out.empty() && c.fault_ms - out.back().to < px_ms) {
      out.back().to = std::max(out.back().to, to);
      out.back().bad = out.back().bad || bad;
      out.back().last = c.cycle;
      if (out.back().faults.find(c.event.fault) == std::string::npos)
        out.back().faults += ", " + c.event.fault;
      continue;
    }
    out.push_back({c.fault_ms, to, bad, c.cycle, c.cycle, c.event.fault});
  }
  return out;
}

void DrawWindows(svg::Chart& chart, const std::vector<Window>& windows) {
  for (const auto& w : windows) {
    const std::string cycles =
        w.first == w.last ? "cycle " + std::to_string(w.first)
                          : "cycles " + std::to_string(w.first) + "-" + std::to_string(w.last);
    chart.Band(w.from, w.to, w.bad ? "#c62828" : "#f4a0a0", w.bad ? 0.35 : 0.3,
               cycles + ": " + w.faults + " at " + svg::FormatDuration(w.from) + ", ready after " +
                   svg::FormatDuration(w.to - w.from));
  }
}

// A chart's legend plus the fault windows' entries (the dark one only if drawn).
std::vector<std::pair<std::string, std::string>> WithWindows(
    std::vector<std::pair<std::string, std::string>> entries, const std::vector<Window>& windows) {
  entries.emplace_back("#f4a0a0", "fault to ready");
  if (std::any_of(windows.begin(), windows.end(), [](const Window& w) { return w.bad; }))
    entries.emplace_back("#c62828", "cycle with anomalies");
  return entries;
}

double SpanMs(const RunReport& r) {
  double span = r.timeline.empty() ? 1 : r.timeline.back().t_ms + r.timeline_bucket_ms;
  for (const auto& c : r.cycle_records) span = std::max(span, c.ready_ms);
  return std::max(span, 1.0);
}

std::string Figure(const std::string& title, const std::string& svg, const std::string& caption) {
  return "<section><h2>" + Escape(title) + "</h2>\n" + svg + "<p class=\"caption\">" +
         Escape(caption) + "</p></section>\n";
}

std::string LatencyChart(const RunReport& r, const std::vector<Window>& windows) {
  const double span = SpanMs(r);
  double lo = 1e300, hi = 0;
  for (const auto& p : r.timeline) {
    if (p.ok == 0) continue;
    lo = std::min<double>(lo, p.lat_p50_us);
    hi = std::max<double>(hi, p.lat_max_us);
  }
  if (hi <= 0) return Figure("Latency over time", "<p>No acknowledged op.</p>", "");
  lo = std::pow(10.0, std::floor(std::log10(std::max(lo, 0.1))));
  hi = std::pow(10.0, std::ceil(std::log10(std::max(hi, lo * 10))));
  svg::Chart chart(kWidth, 280, {0, span, 0, 0, false}, {lo, hi, 0, 0, true});
  chart.YAxis(svg::LogTicks(lo, hi, [](double us) { return svg::FormatDuration(us / 1000); }),
              "latency (log)");
  chart.XAxis(svg::TimeTicks(0, span, 10), "time since the run started");
  DrawWindows(chart, windows);
  Points p50, p99, mx;
  for (const auto& p : r.timeline) {
    const double nan = std::nan("");
    p50.emplace_back(p.t_ms, p.ok ? p.lat_p50_us : nan);
    p99.emplace_back(p.t_ms, p.ok ? p.lat_p99_us : nan);
    mx.emplace_back(p.t_ms, p.ok ? p.lat_max_us : nan);
  }
  chart.Steps(mx, r.timeline_bucket_ms, "#9e9e9e", 1);
  chart.Steps(p99, r.timeline_bucket_ms, "#8e44ad", 1.5);
  chart.Steps(p50, r.timeline_bucket_ms, "#1f77b4", 1.5);
  chart.Legend(WithWindows({{"#1f77b4", "p50"}, {"#8e44ad", "p99"}, {"#9e9e9e", "max"}}, windows));
  return Figure("Latency over time", chart.Render(),
                "Latency of acknowledged ops completed in each " +
                    svg::FormatDuration(r.timeline_bucket_ms) +
                    " bucket (p50, p99, max; log scale). Shaded: from each fault's instant to "
                    "the store ready again.");
}

std::string ThroughputChart(const RunReport& r, const std::vector<Window>& windows) {
  const double span = SpanMs(r);
  const double per_s = r.timeline_bucket_ms > 0 ? 1000.0 / r.timeline_bucket_ms : 1;
  double hi = 1;
  for (const auto& p : r.timeline) hi = std::max(hi, std::max({p.ok, p.fail, p.unknown}) * per_s);
  const auto yt = svg::LinearTicks(0, hi, 5, [](double v) { return svg::FormatCount(v); });
  hi = std::max(hi, yt.empty() ? hi : yt.back().value);
  svg::Chart chart(kWidth, 260, {0, span, 0, 0, false}, {0, hi, 0, 0, false});
  chart.YAxis(yt, "ops/s");
  chart.XAxis(svg::TimeTicks(0, span, 10), "time since the run started");
  DrawWindows(chart, windows);
  Points ok, unk, fail;
  for (const auto& p : r.timeline) {
    ok.emplace_back(p.t_ms, p.ok * per_s);
    unk.emplace_back(p.t_ms, p.unknown * per_s);
    fail.emplace_back(p.t_ms, p.fail * per_s);
  }
  chart.Steps(ok, r.timeline_bucket_ms, kOk);
  chart.Steps(unk, r.timeline_bucket_ms, kUnknown);
  chart.Steps(fail, r.timeline_bucket_ms, kFail);
  chart.Legend(WithWindows({{kOk, "ok"}, {kUnknown, "unknown"}, {kFail, "fail"}}, windows));
  return Figure("Throughput over time", chart.Render(),
                "Ops completed per second in each " + svg::FormatDuration(r.timeline_bucket_ms) +
                    " bucket, by outcome; a bucket covers [t, t + width), drawn as a step.");
}

struct LossWindow {
  uint64_t lost = 0, phantom = 0;
  double first = 1e300, last = -1e300;
};

std::string LossWindowTable(const std::map<uint32_t, LossWindow>& by) {
  std::string t =
      "<table><tr><th>cycle</th><th>lost</th><th>phantom</th><th>first</th><th>last</th>"
      "<th>window</th></tr>";
  size_t shown = 0;
  for (const auto& [c, w] : by) {
    if (shown++ == 50) {
      t += "<tr><td colspan=\"6\">" + std::to_string(by.size() - 50) +
           " more cycles in anomalies.jsonl</td></tr>";
      break;
    }
    t += "<tr><td>" + std::to_string(c) + "</td><td>" + std::to_string(w.lost) + "</td><td>" +
         std::to_string(w.phantom) + "</td><td>" + Escape(svg::FormatDuration(w.first)) +
         "</td><td>" + Escape(svg::FormatDuration(w.last)) + "</td><td>" +
         Num(w.last - w.first, 1) + " ms</td></tr>";
  }
  return t + "</table>\n";
}

std::string LossTimeline(const RunReport& r) {
  if (r.losses.empty()) {
    return "<section><h2>Loss timeline</h2><p>No lost or phantom op.</p></section>\n";
  }
  std::map<uint32_t, LossWindow> by;
  double lo = -1, hi = 0;
  uint32_t c0 = UINT32_MAX, c1 = 0;
  for (const auto& l : r.losses) {
    LossWindow& w = by[l.cycle];
    ++(l.phantom ? w.phantom : w.lost);
    w.first = std::min(w.first, l.rel_ms);
    w.last = std::max(w.last, l.rel_ms);
    lo = std::min(lo, l.rel_ms);
    hi = std::max(hi, l.rel_ms);
    c0 = std::min(c0, l.cycle);
    c1 = std::max(c1, l.cycle);
  }
  const double pad = (hi - lo) * 0.05 + 0.5;
  lo -= pad, hi += pad;
  const double rows = std::max<double>(1, c1 - c0 + 1);
  const double height = std::clamp(90 + 26 * rows, 160.0, 420.0);
  svg::Chart chart(kWidth, height, {lo, hi, 0, 0, false}, {c0 - 0.5, c1 + 0.5, 0, 0, false});
  auto yt = svg::LinearTicks(c0, c1, std::min<int>(10, static_cast<int>(rows)),
                             [](double v) { return "cycle " + svg::FormatCount(v); });
  yt.erase(std::remove_if(yt.begin(), yt.end(),
                          [](const svg::Tick& t) { return t.value != std::floor(t.value); }),
           yt.end());
  chart.YAxis(yt, "");
  chart.XAxis(svg::TimeTicks(lo, hi, 10), "completion time relative to the cycle's fault instant");
  chart.VLine(0, "#000", "fault");
  Points lost, phantom;
  for (const auto& l : svg::Downsample(r.losses, kMaxDots))
    (l.phantom ? phantom : lost).emplace_back(l.rel_ms, l.cycle);
  chart.Dots(lost, kFail, 3, "acknowledged, then lost");
  chart.Dots(phantom, "#6a1b9a", 3, "failed, then present");
  for (const auto& [c, w] : by) {
    if (by.size() > 12) break;
    chart.Text(chart.x()(hi) - 4, chart.y()(c) - 6,
               std::to_string(w.lost + w.phantom) + " ops in " + Num(w.last - w.first, 1) + " ms",
               "end");
  }
  chart.Legend({{kFail, "acknowledged, then lost"}, {"#6a1b9a", "failed, then present"}});
  const std::string caption =
      std::to_string(r.losses.size()) +
      " ops drawn at the time they completed (ok: acknowledged; fail: rejected) relative to "
      "the fault instant of their cycle; left of the line: before the fault." +
      (r.losses.size() > kMaxDots ? " " + std::to_string(kMaxDots) + " of them drawn." : "");
  return "<section><h2>Loss timeline</h2>\n" + chart.Render() + "<p class=\"caption\">" +
         Escape(caption) + "</p>" + LossWindowTable(by) + "</section>\n";
}

int Rank(Validity v) { return v == Validity::kInvalid ? 0 : v == Validity::kUnknown ? 1 : 2; }

std::string CycleRow(const CycleRecord& c) {
  std::string an;
  for (const auto& [k, n] : c.anomalies)
    if (n) an += k + " " + std::to_string(n) + " ";
  return "<tr class=\"" + std::string(ToString(c.validity)) + "\"><td>" + std::to_string(c.cycle) +
         "</td><td>" + Escape(c.event.fault + " " + c.event.detail) + "</td><td>" +
         Escape(c.trigger.Describe()) + "</td><td>" + std::to_string(c.acked_at_fault) +
         "</td><td>" + std::to_string(c.ok) + "</td><td>" + std::to_string(c.unknown) +
         "</td><td>" + (c.recovery_ms >= 0 ? Num(c.recovery_ms) : "-") + "</td><td>" + Escape(an) +
         "</td><td class=\"" + std::string(ToString(c.validity)) + "\">" +
         std::string(ToString(c.validity)) + "</td></tr>";
}

std::string CycleTable(const RunReport& r) {
  std::vector<const CycleRecord*> order;
  for (const auto& c : r.cycle_records) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [](const CycleRecord* a, const CycleRecord* b) {
    return Rank(a->validity) < Rank(b->validity);
  });
  std::string t =
      "<section><h2>Cycles</h2><p class=\"caption\">Cycles that are not valid first, then the "
      "rest in order.</p><table class=\"cycles\"><tr><th>cycle</th><th>fault</th><th>trigger</th>"
      "<th>acked at fault</th><th>ok</th><th>unknown</th><th>recovery ms</th><th>anomalies</th>"
      "<th>verdict</th></tr>";
  size_t valid = 0, other = 0, hidden = 0;
  for (const auto* c : order) {
    size_t& n = c->validity == Validity::kValid ? valid : other;
    if (n++ >= (c->validity == Validity::kValid ? kMaxValidRows : kMaxOtherRows)) {
      ++hidden;
      continue;
    }
    t += CycleRow(*c);
  }
  t += "</table>";
  if (hidden) t += "<p>" + std::to_string(hidden) + " more cycles in report.json.</p>";
  return t + "</section>\n";
}

// "cycle 3: acknowledged ..." -> "acknowledged ...".
std::string WithoutCyclePrefix(const std::string& d) {
  if (d.rfind("cycle ", 0) != 0) return d;
  const auto colon = d.find(": ");
  return colon == std::string::npos ? d : d.substr(colon + 2);
}

std::string AnomalyList(const RunReport& r) {
  if (r.anomalies.empty() && OmittedAnomalies(r) == 0) return "";
  std::string h = "<section><h2>Anomalies</h2>\n";
  for (const auto& [kind, total] : r.anomaly_counts) {
    if (total == 0) continue;
    std::map<uint32_t, std::vector<const Anomaly*>> by;
    size_t listed = 0;
    for (const auto& a : r.anomalies) {
      if (a.kind == kind) by[a.cycle].push_back(&a);
    }
    h += "<h3>" + Escape(kind) + " <small>" + std::to_string(total) + " in all</small></h3>\n";
    for (const auto& [cycle, list] : by) {
      h += "<details" + std::string(by.size() <= 3 ? " open=\"open\"" : "") + "><summary>cycle " +
           std::to_string(cycle) + ": " + std::to_string(list.size()) + " listed</summary><ul>";
      for (size_t i = 0; i < list.size() && i < kDetailsPerCycle; ++i, ++listed) {
        h += "<li>" + Escape(WithoutCyclePrefix(list[i]->detail)) +
             (list[i]->op_id ? " <code>op " + std::to_string(*list[i]->op_id) + "</code>" : "") +
             "</li>";
      }
      h += "</ul></details>\n";
    }
    if (total > listed)
      h += "<p class=\"more\">" + std::to_string(total - listed) + " more in anomalies.jsonl</p>\n";
  }
  return h + "</section>\n";
}

std::string CdfChart(const RunReport& r) {
  if (r.latency_cdf.size() < 2) return "";
  const double lo =
      std::pow(10.0, std::floor(std::log10(std::max(r.latency_cdf.front().first, 0.1))));
  const double hi =
      std::pow(10.0, std::ceil(std::log10(std::max(r.latency_cdf.back().first, lo * 10))));
  svg::Chart chart(kWidth, 260, {lo, hi, 0, 0, true}, {0, 1, 0, 0, false});
  chart.XAxis(svg::LogTicks(lo, hi, [](double us) { return svg::FormatDuration(us / 1000); }),
              "latency of acknowledged ops (log)");
  chart.YAxis(svg::LinearTicks(0, 1, 5, [](double f) { return Num(f * 100, 0) + " %"; }),
              "ops at most this slow");
  chart.Polyline(r.latency_cdf, "#1f77b4", 2);
  return Figure("Latency distribution (CDF)", chart.Render(),
                "Fraction of acknowledged ops of the whole run completed within each latency; "
                "the tail (99.5 .. 99.99 %) and the maximum are included.");
}

std::string Metadata(const RunReport& r) {
  std::string h = "<section><h2>Run</h2><table>";
  h += Row("crashlab version", kVersion);
  if (!r.command_line.empty()) h += Row("command line", r.command_line);
  h += Row("replay", r.replay);
  h += Row("seed", std::to_string(r.seed));
  h += Row("started", r.started_at);
  h += Row("wall time", svg::FormatDuration(r.wall_s * 1000));
  h += Row("host", r.hostname);
  h += Row("kernel", r.kernel);
  h += Row("workers", std::to_string(r.workers));
  h += Row("schedule", r.schedule);
  h += Row("description", r.description);
  h += "</table><h3>Effective settings and store versions</h3><table>";
  for (const auto& [k, v] : r.config) h += Row(k + (r.knobs_set.count(k) ? " (set)" : ""), v);
  return h + "</table></section>\n";
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:2em auto;max-width:1040px;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
    "text-align:left;vertical-align:top}th{background:#f6f6f6}"
    ".verdict{padding:0 .3em;border-radius:4px;color:#fff}.verdict.valid{background:#2a9d3a}"
    ".verdict.invalid{background:#c62828}.verdict.unknown{background:#e08a00}"
    "td.valid{color:#2a9d3a}td.invalid{color:#c62828;font-weight:bold}td.unknown{color:#e08a00}"
    "tr.invalid{background:#fdecec}.summary{font-size:1.1em;max-width:60em}"
    ".banner{background:#fff3cd;padding:.5em}.caption{color:#555;font-size:.9em;max-width:70em}"
    "svg.chart{display:block;border:1px solid #eee}svg .label{fill:#555}"
    "code{background:#f4f4f4}pre{background:#f4f4f4;padding:.5em;overflow:auto;max-height:30em}";

}  // namespace

std::string ReportHtml(const RunReport& r) {
  std::string h =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>crashlab: " +
      Escape(r.scenario) + " seed " + std::to_string(r.seed) + "</title><style>" + kStyle +
      "</style></head><body>\n";
  h += Header(r);
  if (!r.timeline.empty()) {
    const auto windows = FaultWindows(r, SpanMs(r));
    h += LatencyChart(r, windows);
    h += ThroughputChart(r, windows);
  }
  h += LossTimeline(r);
  if (!r.cycle_records.empty()) h += CycleTable(r);
  h += AnomalyList(r);
  h += CdfChart(r);
  if (!r.store_log.empty())
    h += "<section><h2>Store log excerpt</h2><pre>" + Escape(r.store_log) + "</pre></section>\n";
  h += Metadata(r);
  return h + "</body></html>\n";
}

}  // namespace crashlab

// report.json, junit.xml and the verdict table.
#include "framework/report.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "framework/version.h"

namespace crashlab {

using nlohmann::json;

std::string ReportJson(const RunReport& r) {
  json j;
  j["scenario"] = r.scenario;
  j["crashlab_version"] = kVersion;
  j["description"] = r.description;
  j["verdict"] = std::string(ToString(r.verdict));
  j["seed"] = r.seed;
  j["cycles"] = r.cycles;
  j["cycles_requested"] = r.cycles_requested;
  j["workers"] = r.workers;
  j["schedule"] = r.schedule;
  j["ops"] = {{"ok", r.ok}, {"fail", r.fail}, {"unknown", r.unknown}};
  json anomalies = json::object();
  for (const auto& [k, n] : r.anomaly_counts) anomalies[k] = n;
  j["anomalies"] = anomalies;
  json details = json::array();
  for (const auto& a : r.anomalies) {
    json d{{"kind", a.kind}, {"detail", a.detail}};
    if (a.op_id) d["op"] = *a.op_id;
    details.push_back(d);
  }
  j["anomaly_details"] = details;
  json rec = json::array();
  for (const auto& c : r.cycle_records) rec.push_back(c.recovery_ms);
  j["recovery_ms"] = {{"p50", r.recovery_p50_ms}, {"max", r.recovery_max_ms}, {"per_cycle", rec}};
  j["latency_us"] = {{"p50", r.latency_p50_us}, {"p99", r.latency_p99_us}};
  j["throughput_ops_per_s"] = r.ops_per_s;
  j["wall_s"] = r.wall_s;
  json faults = json::array();
  for (const auto& c : r.cycle_records) {
    json f{{"cycle", c.cycle},
           {"fault", c.event.fault},
           {"detail", c.event.detail},
           {"trigger", c.trigger.kind == Trigger::Kind::kAfterOps ? "ops" : "time"},
           {"at_ms", c.fault_at_ms},
           {"acked_before", c.acked_at_fault},
           {"trigger_timed_out", c.trigger_timed_out}};
    if (c.trigger.kind == Trigger::Kind::kAfterOps)
      f["after_ops"] = c.trigger.after_ops;
    else
      f["after_ms"] = c.trigger.after_ms;
    for (const auto& [k, v] : c.event.extra) f[k] = v;
    faults.push_back(f);
  }
  j["faults"] = faults;
  json fired = json::object();  // which fault each cycle got, counted (several faults mix)
  for (const auto& c : r.cycle_records) {
    auto it = c.event.extra.find("fault_spec");
    const std::string name = it == c.event.extra.end() ? c.event.fault : it->second;
    fired[name] = fired.value(name, 0) + 1;
  }
  j["faults_fired"] = fired;
  json cycles = json::array();
  for (const auto& c : r.cycle_records) {
    json cj{{"cycle", c.cycle},
            {"verdict", std::string(ToString(c.validity))},
            {"ops", {{"ok", c.ok}, {"fail", c.fail}, {"unknown", c.unknown}}},
            {"demoted_to_unknown", c.demoted},
            {"recovery_ms", c.recovery_ms},
            {"cycle_ms", c.cycle_ms},
            {"anomalies", c.anomalies},
            {"stats", c.stats}};
    cycles.push_back(cj);
  }
  j["cycle_details"] = cycles;
  // Every invalid cycle is a finding; a fault may describe it with extra keys named
  // "finding.<key>" (a power cut: the persistence models it was checked and exposed under).
  json findings = json::array();
  for (const auto& c : r.cycle_records) {
    if (c.validity != Validity::kInvalid) continue;
    json f{{"cycle", c.cycle}, {"fault", c.event.fault}, {"anomalies", c.anomalies}};
    for (const auto& [k, v] : c.event.extra) {
      if (k.rfind("finding.", 0) == 0) f[k.substr(8)] = v;
    }
    findings.push_back(f);
  }
  j["findings"] = findings;
  j["config"] = r.config;
  j["replay"] = r.replay;
  if (!r.interrupted.empty()) j["interrupted"] = r.interrupted;
  if (!r.skipped.empty()) j["skipped"] = r.skipped;
  j["notes"] = r.notes;
  if (!r.store_log.empty()) j["store_log_excerpt"] = r.store_log;
  return j.dump(2) + "\n";
}

namespace {
std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}
}  // namespace

std::string ReportJunit(const RunReport& r) {
  std::ostringstream x;
  const bool failed = r.verdict != Validity::kValid && r.skipped.empty();
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites tests=\"1\" failures=\"" << (failed ? 1 : 0) << "\">\n"
    << "  <testsuite name=\"crashlab\" tests=\"1\" failures=\"" << (failed ? 1 : 0) << "\" time=\""
    << r.wall_s << "\">\n"
    << "    <testcase classname=\"crashlab\" name=\"" << XmlEscape(r.scenario) << "\" time=\""
    << r.wall_s << "\">\n"
    << "      <properties>\n"
    << "        <property name=\"seed\" value=\"" << r.seed << "\"/>\n"
    << "        <property name=\"cycles\" value=\"" << r.cycles << "\"/>\n"
    << "        <property name=\"ops_ok\" value=\"" << r.ok << "\"/>\n";
  for (const auto& [k, n] : r.anomaly_counts) {
    x << "        <property name=\"anomalies_" << XmlEscape(k) << "\" value=\"" << n << "\"/>\n";
  }
  x << "        <property name=\"replay\" value=\"" << XmlEscape(r.replay) << "\"/>\n"
    << "      </properties>\n";
  if (!r.skipped.empty()) {
    x << "      <skipped message=\"" << XmlEscape(r.skipped) << "\"/>\n";
  } else if (failed) {
    std::string msg;
    for (const auto& n : r.notes) msg += n + "\n";
    for (size_t i = 0; i < r.anomalies.size() && i < 20; ++i) msg += r.anomalies[i].detail + "\n";
    x << "      <failure message=\"verdict " << ToString(r.verdict) << "\">"
      << XmlEscape(msg + "replay: " + r.replay) << "</failure>\n";
  }
  x << "    </testcase>\n  </testsuite>\n</testsuites>\n";
  return x.str();
}

std::string ReportHtml(const RunReport& r) {
  std::ostringstream h;
  h << std::fixed << std::setprecision(1);
  const bool valid = r.verdict == Validity::kValid;
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>crashlab: "
    << XmlEscape(r.scenario) << " seed " << r.seed
    << "</title><style>body{font-family:sans-serif;margin:2em;max-width:1000px}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
       ".valid{color:#080}.invalid{color:#c00}.unknown{color:#c80}code{background:#f4f4f4}</style>"
       "</head><body>\n";
  h << "<h1>" << XmlEscape(r.scenario) << " <span class=\"" << ToString(r.verdict) << "\">"
    << (valid                             ? "VALID"
        : r.verdict == Validity::kInvalid ? "INVALID"
                                          : "UNKNOWN")
    << "</span></h1>\n";
  h << "<p>" << XmlEscape(r.description) << "</p>\n<table>";
  const auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><th>" << XmlEscape(k) << "</th><td>" << XmlEscape(v) << "</td></tr>";
  };
  row("seed", std::to_string(r.seed));
  row("cycles", std::to_string(r.cycles) + " of " + std::to_string(r.cycles_requested));
  row("ops ok / fail / unknown",
      std::to_string(r.ok) + " / " + std::to_string(r.fail) + " / " + std::to_string(r.unknown));
  std::string an;
  for (const auto& [k, n] : r.anomaly_counts) an += k + " " + std::to_string(n) + "  ";
  row("anomalies", an);
  std::ostringstream rec;
  rec << std::fixed << std::setprecision(1) << r.recovery_p50_ms << " / " << r.recovery_max_ms
      << " ms";
  row("recovery p50 / max", rec.str());
  row("replay", r.replay);
  h << "</table>\n";

  // Throughput plot: acknowledged ops/s per bucket, fault windows shaded.
  const double W = 960, H = 260, L = 50, B = 30, T = 10;
  double span = 1;
  double ymax = 1;
  const double bucket_s = r.timeline_bucket_ms > 0 ? r.timeline_bucket_ms / 1000.0 : 1;
  for (const auto& p : r.timeline) {
    span = std::max(span, p.t_ms + r.timeline_bucket_ms);
    ymax = std::max(ymax, (p.ok + p.unknown + p.fail) / bucket_s);
  }
  const auto X = [&](double t_ms) { return L + (W - L - 10) * t_ms / span; };
  const auto Y = [&](double v) { return T + (H - T - B) * (1 - v / ymax); };
  h << "<h2>Throughput and faults</h2><svg width=\"" << W << "\" height=\"" << H
    << "\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\n";
  for (const auto& c : r.cycle_records) {
    const double end = c.ready_ms >= 0 ? c.ready_ms : c.fault_ms + r.timeline_bucket_ms;
    h << "<rect x=\"" << X(c.fault_ms) << "\" y=\"" << T << "\" width=\""
      << std::max(1.0, X(end) - X(c.fault_ms)) << "\" height=\"" << H - T - B << "\" fill=\""
      << (c.validity == Validity::kValid ? "#f99" : "#c00")
      << "\" fill-opacity=\"0.35\"><title>cycle " << c.cycle << ": " << XmlEscape(c.event.fault)
      << ", " << c.recovery_ms << " ms to ready</title></rect>\n";
  }
  const auto line = [&](const char* color, auto value) {
    h << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.2\" points=\"";
    for (const auto& p : r.timeline)
      h << X(p.t_ms + r.timeline_bucket_ms / 2) << "," << Y(value(p) / bucket_s) << " ";
    h << "\"/>\n";
  };
  line("#080", [](const RunReport::TimelinePoint& p) { return static_cast<double>(p.ok); });
  line("#e80", [](const RunReport::TimelinePoint& p) { return static_cast<double>(p.unknown); });
  line("#c00", [](const RunReport::TimelinePoint& p) { return static_cast<double>(p.fail); });
  h << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - 10 << "\" y2=\"" << H - B
    << "\" stroke=\"#000\"/><line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\""
    << H - B << "\" stroke=\"#000\"/>\n";
  h << "<text x=\"" << L << "\" y=\"" << H - 10 << "\">0 s</text><text x=\"" << W - 60 << "\" y=\""
    << H - 10 << "\">" << span / 1000.0 << " s</text><text x=\"2\" y=\"" << T + 10 << "\">"
    << static_cast<long long>(ymax) << "/s</text>\n";
  h << "</svg><p>green: acknowledged ops/s; orange: unknown; red line: failed; shaded: from each "
       "fault to the store ready again (dark: a cycle with anomalies).</p>\n";

  if (!r.anomalies.empty()) {
    h << "<h2>Anomalies</h2><ul>";
    for (size_t i = 0; i < r.anomalies.size() && i < 200; ++i) {
      h << "<li><b>" << XmlEscape(r.anomalies[i].kind) << "</b> "
        << XmlEscape(r.anomalies[i].detail) << "</li>";
    }
    h << "</ul>\n";
  }
  if (!r.store_log.empty())
    h << "<h2>Store log excerpt</h2><pre>" << XmlEscape(r.store_log) << "</pre>\n";
  h << "<h2>Cycles</h2><table><tr><th>cycle</th><th>fault</th><th>trigger</th><th>acked</th>"
       "<th>ok</th><th>unknown</th><th>recovery ms</th><th>verdict</th></tr>";
  for (const auto& c : r.cycle_records) {
    h << "<tr><td>" << c.cycle << "</td><td>" << XmlEscape(c.event.fault + " " + c.event.detail)
      << "</td><td>" << XmlEscape(c.trigger.Describe()) << "</td><td>" << c.acked_at_fault
      << "</td><td>" << c.ok << "</td><td>" << c.unknown << "</td><td>" << c.recovery_ms
      << "</td><td class=\"" << ToString(c.validity) << "\">" << ToString(c.validity)
      << "</td></tr>";
  }
  h << "</table>\n<h2>Configuration</h2><table>";
  for (const auto& [k, v] : r.config) row(k, v);
  h << "</table></body></html>\n";
  return h.str();
}

void EnsureWritableDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir) || ::access(dir.c_str(), W_OK) != 0) {
    throw std::runtime_error("report dir " + dir.string() + " is not writable" +
                             (ec ? ": " + ec.message() : ""));
  }
}

void WriteReports(const RunReport& r, const std::filesystem::path& dir) {
  EnsureWritableDir(dir);
  for (const auto& [name, text] :
       {std::pair{"report.json", ReportJson(r)}, std::pair{"junit.xml", ReportJunit(r)},
        std::pair{"report.html", ReportHtml(r)}}) {
    std::ofstream out(dir / name);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
  }
}

void PrintVerdict(const RunReport& r, std::ostream& out) {
  const auto row = [&](const std::string& k, const std::string& v) {
    out << "  " << std::left << std::setw(18) << k << v << "\n";
  };
  std::ostringstream rec;
  rec << std::fixed << std::setprecision(1) << r.recovery_p50_ms << " / " << r.recovery_max_ms;
  out << "\n" << r.scenario << "  seed " << r.seed << "\n";
  row("verdict", std::string(ToString(r.verdict)) == "valid"     ? "VALID"
                 : std::string(ToString(r.verdict)) == "invalid" ? "INVALID"
                                                                 : "UNKNOWN");
  row("cycles",
      std::to_string(r.cycles) + " of " +
          (r.cycles_requested ? std::to_string(r.cycles_requested) : std::string("(duration)")));
  row("ops ok/fail/unk",
      std::to_string(r.ok) + " / " + std::to_string(r.fail) + " / " + std::to_string(r.unknown));
  std::string an;
  for (const auto& [k, n] : r.anomaly_counts) an += k + " " + std::to_string(n) + "  ";
  row("anomalies", an);
  row("recovery p50/max", rec.str() + " ms");
  std::ostringstream thr;
  thr << std::fixed << std::setprecision(0) << r.ops_per_s << " ops/s, p50 " << r.latency_p50_us
      << " us, p99 " << r.latency_p99_us << " us";
  row("throughput", thr.str());
  for (const auto& n : r.notes) row("note", n);
  for (size_t i = 0; i < r.anomalies.size() && i < 10; ++i)
    out << "  ! " << r.anomalies[i].detail << "\n";
  if (r.anomalies.size() > 10)
    out << "  ! ... (" << r.anomalies.size() - 10 << " more in report.json)\n";
  size_t shown = 0;
  for (const auto& c : r.cycle_records) {
    auto it = c.event.extra.find("finding.summary");
    if (c.validity != Validity::kInvalid || it == c.event.extra.end() || shown++ >= 3) continue;
    out << "  finding cycle " << c.cycle << ": " << it->second << "\n";
  }
  if (r.verdict != Validity::kValid) out << "  replay: " << r.replay << "\n";
}

}  // namespace crashlab

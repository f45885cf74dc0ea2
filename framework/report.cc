// report.json, junit.xml and the verdict table.
#include "framework/report.h"

#include <unistd.h>

#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace crashlab {

using nlohmann::json;

std::string ReportJson(const RunReport& r) {
  json j;
  j["scenario"] = r.scenario;
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
    if (c.trigger.kind == Trigger::Kind::kAfterOps) f["after_ops"] = c.trigger.after_ops;
    else f["after_ms"] = c.trigger.after_ms;
    for (const auto& [k, v] : c.event.extra) f[k] = v;
    faults.push_back(f);
  }
  j["faults"] = faults;
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
  j["config"] = r.config;
  j["replay"] = r.replay;
  if (!r.interrupted.empty()) j["interrupted"] = r.interrupted;
  if (!r.store_log.empty()) j["store_log_excerpt"] = r.store_log;
  return j.dump(2) + "\n";
}

namespace {
std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}
}  // namespace

std::string ReportJunit(const RunReport& r) {
  std::ostringstream x;
  const bool failed = r.verdict != Validity::kValid;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites tests=\"1\" failures=\"" << (failed ? 1 : 0) << "\">\n"
    << "  <testsuite name=\"crashlab\" tests=\"1\" failures=\"" << (failed ? 1 : 0)
    << "\" time=\"" << r.wall_s << "\">\n"
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
  if (failed) {
    std::string msg;
    for (size_t i = 0; i < r.anomalies.size() && i < 20; ++i) msg += r.anomalies[i].detail + "\n";
    x << "      <failure message=\"verdict " << ToString(r.verdict) << "\">"
      << XmlEscape(msg + "replay: " + r.replay) << "</failure>\n";
  }
  x << "    </testcase>\n  </testsuite>\n</testsuites>\n";
  return x.str();
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
  for (const auto& [name, text] : {std::pair{"report.json", ReportJson(r)},
                                   std::pair{"junit.xml", ReportJunit(r)}}) {
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
  row("verdict", std::string(ToString(r.verdict)) == "valid" ? "VALID" : std::string(ToString(r.verdict)) == "invalid" ? "INVALID" : "UNKNOWN");
  row("cycles", std::to_string(r.cycles) + " of " + (r.cycles_requested ? std::to_string(r.cycles_requested) : std::string("(duration)")));
  row("ops ok/fail/unk", std::to_string(r.ok) + " / " + std::to_string(r.fail) + " / " + std::to_string(r.unknown));
  std::string an;
  for (const auto& [k, n] : r.anomaly_counts) an += k + " " + std::to_string(n) + "  ";
  row("anomalies", an);
  row("recovery p50/max", rec.str() + " ms");
  std::ostringstream thr;
  thr << std::fixed << std::setprecision(0) << r.ops_per_s << " ops/s, p50 " << r.latency_p50_us
      << " us, p99 " << r.latency_p99_us << " us";
  row("throughput", thr.str());
  for (size_t i = 0; i < r.anomalies.size() && i < 10; ++i) out << "  ! " << r.anomalies[i].detail << "\n";
  if (r.anomalies.size() > 10) out << "  ! ... (" << r.anomalies.size() - 10 << " more in report.json)\n";
  if (r.verdict != Validity::kValid) out << "  replay: " << r.replay << "\n";
}

}  // namespace crashlab

// report.json, junit.xml, the summary sentence, the verdict table, and reading a report
// directory back.
#include "framework/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>
#include <stdexcept>

#include "framework/svg.h"
#include "framework/version.h"

namespace crashlab {

using nlohmann::json;

namespace {

std::string Dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

double Round3(double v) { return std::round(v * 1000) / 1000; }

json TimelineJson(const RunReport& r) {
  json pts = json::array();
  for (const auto& p : r.timeline) {
    pts.push_back({Round3(p.t_ms), p.ok, p.fail, p.unknown, Round3(p.lat_p50_us),
                   Round3(p.lat_p99_us), Round3(p.lat_max_us)});
  }
  return {{"bucket_ms", r.timeline_bucket_ms},
          {"columns", {"t_ms", "ok", "fail", "unknown", "lat_p50_us", "lat_p99_us", "lat_max_us"}},
          {"points", pts}};
}

json FaultsJson(const RunReport& r) {
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
  return faults;
}

json CyclesJson(const RunReport& r) {
  json cycles = json::array();
  for (const auto& c : r.cycle_records) {
    cycles.push_back({{"cycle", c.cycle},
                      {"verdict", std::string(ToString(c.validity))},
                      {"ops", {{"ok", c.ok}, {"fail", c.fail}, {"unknown", c.unknown}}},
                      {"demoted_to_unknown", c.demoted},
                      {"recovery_ms", c.recovery_ms},
                      {"cycle_ms", c.cycle_ms},
                      {"start_ms", Round3(c.start_ms)},
                      {"fault_ms", Round3(c.fault_ms)},
                      {"ready_ms", Round3(c.ready_ms)},
                      {"anomalies", c.anomalies},
                      {"stats", c.stats}});
  }
  return cycles;
}

// Every invalid cycle is a finding; a fault may describe it with extra keys named
// "finding.<key>" (a power cut: the persistence models it was checked and exposed under).
json FindingsJson(const RunReport& r) {
  json findings = json::array();
  for (const auto& c : r.cycle_records) {
    if (c.validity != Validity::kInvalid) continue;
    json f{{"cycle", c.cycle}, {"fault", c.event.fault}, {"anomalies", c.anomalies}};
    for (const auto& [k, v] : c.event.extra) {
      if (k.rfind("finding.", 0) == 0) f[k.substr(8)] = v;
    }
    findings.push_back(f);
  }
  return findings;
}

// Per cycle with lost/phantom ops: how many, and the window of their completions
// relative to the cycle's fault instant.
json LossWindowsJson(const RunReport& r) {
  std::map<uint32_t, json> by;
  for (const auto& l : r.losses) {
    json& w = by[l.cycle];
    if (w.is_null())
      w = {{"cycle", l.cycle},
           {"lost", 0},
           {"phantom", 0},
           {"first_ms", l.rel_ms},
           {"last_ms", l.rel_ms}};
    w[l.phantom ? "phantom" : "lost"] = w[l.phantom ? "phantom" : "lost"].get<uint64_t>() + 1;
    w["first_ms"] = std::min(w["first_ms"].get<double>(), Round3(l.rel_ms));
    w["last_ms"] = std::max(w["last_ms"].get<double>(), Round3(l.rel_ms));
  }
  json out = json::array();
  for (auto& [c, w] : by) out.push_back(std::move(w));
  return out;
}

}  // namespace

uint64_t OmittedAnomalies(const RunReport& r) {
  uint64_t total = 0;
  for (const auto& [k, n] : r.anomaly_counts) total += n;
  return total > r.anomalies.size() ? total - r.anomalies.size() : 0;
}

std::string SuiteName(const RunReport& r) {
  std::string name = r.scenario.empty() ? "crashlab" : r.scenario;
  if (r.knobs_set.empty()) return name;
  name += "[";
  bool first = true;
  for (const auto& [k, v] : r.knobs_set) {
    name += (first ? "" : ",") + k + "=" + v;
    first = false;
  }
  return name + "]";
}

std::string ReportJson(const RunReport& r) {
  json j;
  j["scenario"] = r.scenario;
  j["crashlab_version"] = kVersion;
  j["description"] = r.description;
  j["verdict"] = std::string(ToString(r.verdict));
  j["summary"] = SummarySentence(r);
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
    json d{{"kind", a.kind}, {"detail", a.detail}, {"cycle", a.cycle}};
    if (a.op_id) d["op"] = *a.op_id;
    details.push_back(d);
  }
  j["anomaly_details"] = details;
  j["anomaly_details_omitted"] = OmittedAnomalies(r);
  j["loss_windows"] = LossWindowsJson(r);
  json rec = json::array();
  for (const auto& c : r.cycle_records) rec.push_back(c.recovery_ms);
  j["recovery_ms"] = {{"p50", r.recovery_p50_ms}, {"max", r.recovery_max_ms}, {"per_cycle", rec}};
  j["latency_us"] = {
      {"p50", r.latency_p50_us}, {"p99", r.latency_p99_us}, {"max", r.latency_max_us}};
  j["throughput_ops_per_s"] = r.ops_per_s;
  j["wall_s"] = r.wall_s;
  j["faults"] = FaultsJson(r);
  json fired = json::object();  // which fault each cycle got, counted (several faults mix)
  for (const auto& c : r.cycle_records) {
    auto it = c.event.extra.find("fault_spec");
    const std::string name = it == c.event.extra.end() ? c.event.fault : it->second;
    fired[name] = fired.value(name, 0) + 1;
  }
  j["faults_fired"] = fired;
  j["cycle_details"] = CyclesJson(r);
  j["findings"] = FindingsJson(r);
  j["config"] = r.config;
  j["knobs_set"] = r.knobs_set;
  j["replay"] = r.replay;
  j["started_at"] = r.started_at;
  j["hostname"] = r.hostname;
  j["kernel"] = r.kernel;
  if (!r.command_line.empty()) j["command_line"] = r.command_line;
  if (!r.interrupted.empty()) j["interrupted"] = r.interrupted;
  if (!r.skipped.empty()) j["skipped"] = r.skipped;
  j["notes"] = r.notes;
  if (!r.store_log.empty()) j["store_log_excerpt"] = r.store_log;
  j["timeline"] = TimelineJson(r);
  json cdf = json::array();
  for (const auto& [us, f] : r.latency_cdf) cdf.push_back({Round3(us), f});
  j["latency_cdf"] = cdf;
  return Dump(j, 2) + "\n";
}

// ---- reading a report back ----

namespace {

template <typename T>
T Get(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

CycleRecord CycleFromJson(const json& c, const json& f) {
  CycleRecord rec;
  rec.cycle = Get<uint32_t>(c, "cycle", 0);
  rec.validity = Get<std::string>(c, "verdict", "unknown") == "valid"     ? Validity::kValid
                 : Get<std::string>(c, "verdict", "unknown") == "invalid" ? Validity::kInvalid
                                                                          : Validity::kUnknown;
  const json ops = Get<json>(c, "ops", json::object());
  rec.ok = Get<uint64_t>(ops, "ok", 0);
  rec.fail = Get<uint64_t>(ops, "fail", 0);
  rec.unknown = Get<uint64_t>(ops, "unknown", 0);
  rec.demoted = Get<uint64_t>(c, "demoted_to_unknown", 0);
  rec.recovery_ms = Get<double>(c, "recovery_ms", -1);
  rec.cycle_ms = Get<double>(c, "cycle_ms", 0);
  rec.start_ms = Get<double>(c, "start_ms", 0);
  rec.fault_ms = Get<double>(c, "fault_ms", 0);
  rec.ready_ms = Get<double>(c, "ready_ms", -1);
  rec.anomalies = Get<std::map<std::string, uint64_t>>(c, "anomalies", {});
  rec.stats = Get<std::map<std::string, double>>(c, "stats", {});
  if (f.is_object()) {
    rec.event.fault = Get<std::string>(f, "fault", "");
    rec.event.detail = Get<std::string>(f, "detail", "");
    rec.fault_at_ms = Get<double>(f, "at_ms", 0);
    rec.acked_at_fault = Get<uint64_t>(f, "acked_before", 0);
    rec.trigger_timed_out = Get<bool>(f, "trigger_timed_out", false);
    if (Get<std::string>(f, "trigger", "ops") == "ops") {
      rec.trigger.after_ops = Get<uint64_t>(f, "after_ops", 0);
    } else {
      rec.trigger.kind = Trigger::Kind::kAfterTime;
      rec.trigger.after_ms = Get<int64_t>(f, "after_ms", 0);
    }
    for (const auto& [k, v] : f.items()) {  // what the fault recorded (fault_spec, finding.*)
      if (v.is_string() && (k == "fault_spec" || k.rfind("finding.", 0) == 0))
        rec.event.extra[k] = v.get<std::string>();
    }
  }
  return rec;
}

void TimelineFromJson(const json& t, RunReport& r) {
  r.timeline_bucket_ms = Get<double>(t, "bucket_ms", 0);
  for (const auto& p : Get<json>(t, "points", json::array())) {
    RunReport::TimelinePoint tp;
    tp.t_ms = p.at(0).get<double>();
    tp.ok = p.at(1).get<uint32_t>();
    tp.fail = p.at(2).get<uint32_t>();
    tp.unknown = p.at(3).get<uint32_t>();
    tp.lat_p50_us = p.at(4).get<float>();
    tp.lat_p99_us = p.at(5).get<float>();
    tp.lat_max_us = p.at(6).get<float>();
    r.timeline.push_back(tp);
  }
}

Validity ValidityFrom(const std::string& s) {
  return s == "valid" ? Validity::kValid : s == "invalid" ? Validity::kInvalid : Validity::kUnknown;
}

void LossesFromJsonl(const std::filesystem::path& path, RunReport& r) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const json a = json::parse(line, nullptr, false);
    if (a.is_discarded() || !a.contains("completed_ms_from_fault")) continue;
    const std::string kind = Get<std::string>(a, "kind", "");
    if (kind != anomaly::kLost && kind != anomaly::kPhantom) continue;
    r.losses.push_back({Get<uint32_t>(a, "op_cycle", 0), Get<uint64_t>(a, "op", 0),
                        Get<double>(a, "completed_ms_from_fault", 0), kind == anomaly::kPhantom});
  }
}

RunReport ReportFromJson(const json& j) {
  RunReport r;
  r.scenario = Get<std::string>(j, "scenario", "");
  r.description = Get<std::string>(j, "description", "");
  r.verdict = ValidityFrom(Get<std::string>(j, "verdict", "unknown"));
  r.seed = Get<uint64_t>(j, "seed", 0);
  r.cycles = Get<uint32_t>(j, "cycles", 0);
  r.cycles_requested = Get<uint32_t>(j, "cycles_requested", 0);
  r.workers = Get<int>(j, "workers", 0);
  r.schedule = Get<std::string>(j, "schedule", "");
  const json ops = Get<json>(j, "ops", json::object());
  r.ok = Get<uint64_t>(ops, "ok", 0);
  r.fail = Get<uint64_t>(ops, "fail", 0);
  r.unknown = Get<uint64_t>(ops, "unknown", 0);
  r.anomaly_counts = Get<std::map<std::string, uint64_t>>(j, "anomalies", {});
  for (const auto& d : Get<json>(j, "anomaly_details", json::array())) {
    Anomaly a{Get<std::string>(d, "kind", ""), Get<std::string>(d, "detail", ""), std::nullopt,
              Get<uint32_t>(d, "cycle", 0)};
    if (d.contains("op")) a.op_id = d["op"].get<uint64_t>();
    r.anomalies.push_back(std::move(a));
  }
  const json cycles = Get<json>(j, "cycle_details", json::array());
  const json faults = Get<json>(j, "faults", json::array());
  for (size_t i = 0; i < cycles.size(); ++i)
    r.cycle_records.push_back(CycleFromJson(cycles[i], i < faults.size() ? faults[i] : json()));
  r.config = Get<std::map<std::string, std::string>>(j, "config", {});
  r.knobs_set = Get<std::map<std::string, std::string>>(j, "knobs_set", {});
  const json rec = Get<json>(j, "recovery_ms", json::object());
  r.recovery_p50_ms = Get<double>(rec, "p50", 0);
  r.recovery_max_ms = Get<double>(rec, "max", 0);
  const json lat = Get<json>(j, "latency_us", json::object());
  r.latency_p50_us = Get<double>(lat, "p50", 0);
  r.latency_p99_us = Get<double>(lat, "p99", 0);
  r.latency_max_us = Get<double>(lat, "max", 0);
  r.ops_per_s = Get<double>(j, "throughput_ops_per_s", 0);
  r.wall_s = Get<double>(j, "wall_s", 0);
  r.replay = Get<std::string>(j, "replay", "");
  r.started_at = Get<std::string>(j, "started_at", "");
  r.hostname = Get<std::string>(j, "hostname", "");
  r.kernel = Get<std::string>(j, "kernel", "");
  r.command_line = Get<std::string>(j, "command_line", "");
  r.interrupted = Get<std::string>(j, "interrupted", "");
  r.skipped = Get<std::string>(j, "skipped", "");
  r.notes = Get<std::vector<std::string>>(j, "notes", {});
  r.store_log = Get<std::string>(j, "store_log_excerpt", "");
  TimelineFromJson(Get<json>(j, "timeline", json::object()), r);
  for (const auto& p : Get<json>(j, "latency_cdf", json::array()))
    r.latency_cdf.emplace_back(p.at(0).get<double>(), p.at(1).get<double>());
  return r;
}

}  // namespace

RunReport ReadReport(const std::filesystem::path& dir) {
  const auto path = dir / "report.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("no report.json in " + dir.string());
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("verdict"))
    throw std::runtime_error(path.string() + " is not a crashlab report");
  try {
    RunReport r = ReportFromJson(j);
    LossesFromJsonl(dir / "anomalies.jsonl", r);
    return r;
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + " is not a crashlab report: " + e.what());
  }
}

// ---- the summary sentence ----

namespace {

std::string FaultPhrase(const RunReport& r, uint32_t cycle) {
  for (const auto& c : r.cycle_records) {
    if (c.cycle != cycle || c.event.fault.empty()) continue;
    std::string f = c.event.fault;
    std::replace(f.begin(), f.end(), '-', ' ');
    return "the " + f;
  }
  return "the fault";
}

std::string Plural(uint64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "41 acknowledged writes lost in cycle 3, all acknowledged in the 180 ms before the
// power cut"
std::string LossPhrase(const RunReport& r, uint32_t cycle, bool phantom, uint64_t n, double first,
                       double last) {
  std::string s = phantom ? Plural(n, "failed write", "failed writes") + " present after cycle " +
                                std::to_string(cycle)
                          : Plural(n, "acknowledged write", "acknowledged writes") +
                                " lost in cycle " + std::to_string(cycle);
  const std::string when = phantom ? "failed" : "acknowledged";
  const std::string fault = FaultPhrase(r, cycle);
  if (last <= 0) {
    s += (n == 1 ? ", " : ", all ") + when + " in the " +
         svg::FormatDuration(std::max(-first, 0.001)) + " before " + fault;
  } else {
    s += ", " + when + " from " + svg::FormatDuration(-first) + " before to " +
         svg::FormatDuration(last) + " after " + fault;
  }
  return s;
}

std::string LossesSummary(const RunReport& r) {
  struct W {
    uint64_t n = 0;
    double first = 1e300, last = -1e300;
  };
  std::map<std::pair<bool, uint32_t>, W> by;  // (phantom, cycle)
  for (const auto& l : r.losses) {
    W& w = by[{l.phantom, l.cycle}];
    ++w.n;
    w.first = std::min(w.first, l.rel_ms);
    w.last = std::max(w.last, l.rel_ms);
  }
  std::string s;
  size_t shown = 0;
  for (const auto& [key, w] : by) {
    if (shown++ == 3) {
      s += "; and " + Plural(by.size() - 3, "more cycle", "more cycles") + " with losses";
      break;
    }
    s += (s.empty() ? "" : "; ") + LossPhrase(r, key.second, key.first, w.n, w.first, w.last);
  }
  return s;
}

uint64_t CountOf(const RunReport& r, const char* kind) {
  const auto it = r.anomaly_counts.find(kind);
  return it == r.anomaly_counts.end() ? 0 : it->second;
}

std::string ConsistencyPhrase(const RunReport& r) {
  std::vector<std::string> bad;
  if (const uint64_t n = CountOf(r, anomaly::kIntegrity))
    bad.push_back("its integrity check failed " + Plural(n, "time", "times"));
  if (const uint64_t n = CountOf(r, anomaly::kInvariant))
    bad.push_back(Plural(n, "invariant was", "invariants were") + " broken");
  if (const uint64_t n = CountOf(r, anomaly::kUnrecoverable))
    bad.push_back("it did not come back " + Plural(n, "time", "times"));
  if (bad.empty()) return "the database is consistent";
  std::string s = "the database is not consistent: ";
  for (size_t i = 0; i < bad.size(); ++i) s += (i ? ", " : "") + bad[i];
  return s;
}

std::string CyclesDone(const RunReport& r) {
  return std::to_string(r.cycles) +
         (r.cycles_requested ? " of " + std::to_string(r.cycles_requested) : std::string()) +
         (r.cycles == 1 ? " cycle" : " cycles");
}

}  // namespace

namespace {

// The verdict's paragraph, before the notes.
std::string VerdictSentence(const RunReport& r) {
  if (!r.skipped.empty()) return "The run did not start: " + r.skipped + ".";
  std::string s;
  if (!r.interrupted.empty())
    s = "The run was interrupted (" + r.interrupted + ") after " + CyclesDone(r) + ". ";
  const std::string unknowns =
      r.unknown ? " " + Plural(r.unknown, "op", "ops") +
                      " ended unknown (in flight at a fault) and may or may not have applied."
                : "";
  if (r.verdict == Validity::kValid) {
    return s + "All " + Plural(r.ok, "acknowledged write", "acknowledged writes") + " of " +
           CyclesDone(r) + " survived their faults, nothing that failed appeared, and " +
           ConsistencyPhrase(r) + "." + unknowns;
  }
  if (r.verdict == Validity::kInvalid) {
    std::string losses = LossesSummary(r);
    const uint64_t lost = CountOf(r, anomaly::kLost), phantom = CountOf(r, anomaly::kPhantom);
    if (losses.empty() && (lost || phantom))
      losses = Plural(lost, "lost write", "lost writes") + " and " +
               Plural(phantom, "phantom", "phantoms");
    return s + (losses.empty() ? "" : losses + "; ") + ConsistencyPhrase(r) + ".";
  }
  if (r.cycles == 0) return s + "No crash cycle completed, so nothing was checked.";
  if (!r.interrupted.empty()) {
    const bool clean =
        std::all_of(r.cycle_records.begin(), r.cycle_records.end(),
                    [](const CycleRecord& c) { return c.validity == Validity::kValid; });
    return s +
           (clean ? "The completed cycles found no anomaly; the run as a whole proves nothing."
                  : "The verdict is unknown.") +
           unknowns;
  }
  if (r.ok == 0) return s + "No write was acknowledged, so nothing was checked." + unknowns;
  return s + "The verdict is unknown: the checkers could not decide." + unknowns;
}

}  // namespace

std::string SummarySentence(const RunReport& r) {
  std::string s = VerdictSentence(r);
  for (const auto& n : r.notes) {
    if (n.empty() || s.find(n) != std::string::npos) continue;
    s += " " + n + (n.back() == '.' ? "" : ".");
  }
  return s;
}

// ---- junit.xml ----

namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::max(0.0, s));
  return buf;
}

void Attr(pugi::xml_node n, const char* name, const std::string& v) {
  n.append_attribute(name).set_value(svg::CleanText(v).c_str());
}

// The failure element of one anomaly kind in one cycle, with up to 20 details.
void AddFailure(pugi::xml_node tc, const RunReport& r, uint32_t cycle, const std::string& kind,
                uint64_t n) {
  auto f = tc.append_child("failure");
  Attr(f, "type", kind);
  Attr(f, "message", std::to_string(n) + " " + kind + " in cycle " + std::to_string(cycle));
  std::string body;
  size_t shown = 0;
  for (const auto& a : r.anomalies) {
    if (a.cycle != cycle || a.kind != kind) continue;
    if (shown++ < 20) body += a.detail + "\n";
  }
  if (n > std::min<uint64_t>(shown, 20))
    body += std::to_string(n - std::min<uint64_t>(shown, 20)) + " more in anomalies.jsonl\n";
  body += "replay: " + r.replay + "\n";
  f.text().set(svg::CleanText(body).c_str());
}

void AddProperties(pugi::xml_node suite, const RunReport& r) {
  auto props = suite.append_child("properties");
  const auto prop = [&](const std::string& k, const std::string& v) {
    auto p = props.append_child("property");
    Attr(p, "name", k);
    Attr(p, "value", v);
  };
  prop("scenario", r.scenario);
  prop("verdict", std::string(ToString(r.verdict)));
  prop("seed", std::to_string(r.seed));
  prop("cycles", std::to_string(r.cycles));
  prop("ops_ok", std::to_string(r.ok));
  prop("ops_fail", std::to_string(r.fail));
  prop("ops_unknown", std::to_string(r.unknown));
  for (const auto& [k, n] : r.anomaly_counts) prop("anomalies_" + k, std::to_string(n));
  prop("crashlab_version", kVersion);
  prop("replay", r.replay);
  for (const auto& [k, v] : r.knobs_set) prop("knob." + k, v);
  if (!r.interrupted.empty()) prop("interrupted", r.interrupted);
  if (!r.skipped.empty()) prop("skipped", r.skipped);
  for (size_t i = 0; i < r.notes.size(); ++i) prop("note." + std::to_string(i + 1), r.notes[i]);
}

struct Tally {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
};

void AddCycleCases(pugi::xml_node suite, const RunReport& r, const std::string& classname,
                   Tally& t) {
  for (const auto& c : r.cycle_records) {
    auto tc = suite.append_child("testcase");
    Attr(tc, "name", "cycle " + std::to_string(c.cycle));
    Attr(tc, "classname", classname);
    Attr(tc, "time", Seconds(c.cycle_ms / 1000));
    ++t.tests;
    bool failed = false;
    for (const auto& [kind, n] : c.anomalies) {
      if (n == 0) continue;
      AddFailure(tc, r, c.cycle, kind, n);
      failed = true;
    }
    if (!failed && c.validity != Validity::kValid) {
      auto e = tc.append_child("error");
      Attr(e, "type", "unknown");
      Attr(e, "message", "the checkers could not decide cycle " + std::to_string(c.cycle));
      ++t.errors;
    } else if (failed) {
      ++t.failures;
    }
  }
}

}  // namespace

std::string ReportJunit(const RunReport& r) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto suites = doc.append_child("testsuites");
  auto suite = suites.append_child("testsuite");
  const std::string name = SuiteName(r);
  const std::string classname = "crashlab." + name;
  Attr(suite, "name", name);
  AddProperties(suite, r);
  Tally t;
  AddCycleCases(suite, r, classname, t);
  const auto extra_case = [&](const std::string& case_name, const char* element,
                              const std::string& type, const std::string& message) {
    auto tc = suite.append_child("testcase");
    Attr(tc, "name", case_name);
    Attr(tc, "classname", classname);
    Attr(tc, "time", Seconds(0));
    auto e = tc.append_child(element);
    Attr(e, "type", type);
    Attr(e, "message", message);
    ++t.tests;
  };
  if (!r.skipped.empty()) {
    extra_case(r.scenario.empty() ? "run" : r.scenario, "skipped", "prerequisite", r.skipped);
    ++t.skipped;
  } else if (!r.interrupted.empty()) {
    extra_case("interrupted", "error", "interrupted", SummarySentence(r));
    ++t.errors;
  } else if (r.verdict != Validity::kValid && t.failures + t.errors == 0) {
    extra_case("run", "error", std::string(ToString(r.verdict)), SummarySentence(r));
    ++t.errors;
  }
  // Ant's schema wants both, after the test cases; Jenkins' allows them.
  suite.append_child("system-out").text().set(svg::CleanText(SummarySentence(r)).c_str());
  suite.append_child("system-err");
  const auto set = [&](pugi::xml_node n, const char* k, const std::string& v) { Attr(n, k, v); };
  set(suite, "tests", std::to_string(t.tests));
  set(suite, "failures", std::to_string(t.failures));
  set(suite, "errors", std::to_string(t.errors));
  set(suite, "skipped", std::to_string(t.skipped));
  set(suite, "time", Seconds(r.wall_s));
  set(suite, "timestamp", r.started_at.empty() ? "" : r.started_at.substr(0, 19));
  set(suite, "hostname", r.hostname.empty() ? "localhost" : r.hostname);
  set(suite, "id", "0");
  set(suite, "package", "crashlab");
  Attr(suites, "name", "crashlab");
  set(suites, "tests", std::to_string(t.tests));
  set(suites, "failures", std::to_string(t.failures));
  set(suites, "errors", std::to_string(t.errors));
  set(suites, "time", Seconds(r.wall_s));
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  std::string text = out.str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

// ---- writing ----

void EnsureWritableDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir) || ::access(dir.c_str(), W_OK) != 0) {
    throw std::runtime_error("report dir " + dir.string() + " is not writable" +
                             (ec ? ": " + ec.message() : ""));
  }
}

namespace {
void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}
}  // namespace

void WriteReports(const RunReport& r, const std::filesystem::path& dir) {
  EnsureWritableDir(dir);
  WriteFile(dir / "report.json", ReportJson(r));
  WriteFile(dir / "junit.xml", ReportJunit(r));
  WriteFile(dir / "report.html", ReportHtml(r));
}

void WriteHtmlReport(const RunReport& r, const std::filesystem::path& dir) {
  EnsureWritableDir(dir);
  WriteFile(dir / "report.html", ReportHtml(r));
}

// ---- the terminal table ----

void PrintVerdict(const RunReport& r, std::ostream& out, bool color) {
  const auto row = [&](const std::string& k, const std::string& v) {
    out << "  " << std::left << std::setw(18) << k << v << "\n";
  };
  std::ostringstream rec;
  rec << std::fixed << std::setprecision(1) << r.recovery_p50_ms << " / " << r.recovery_max_ms;
  out << "\n" << r.scenario << "  seed " << r.seed << "\n";
  const std::string v = r.verdict == Validity::kValid     ? "VALID"
                        : r.verdict == Validity::kInvalid ? "INVALID"
                                                          : "UNKNOWN";
  const char* c = r.verdict == Validity::kValid     ? "\033[1;32m"
                  : r.verdict == Validity::kInvalid ? "\033[1;31m"
                                                    : "\033[1;33m";
  row("verdict", color ? c + v + "\033[0m" : v);
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
  row("summary", SummarySentence(r));
  for (size_t i = 0; i < r.anomalies.size() && i < 10; ++i)
    out << "  ! " << svg::CleanText(r.anomalies[i].detail) << "\n";
  const uint64_t more =
      OmittedAnomalies(r) + (r.anomalies.size() > 10 ? r.anomalies.size() - 10 : 0);
  if (more > 0) out << "  ! ... (" << more << " more in anomalies.jsonl)\n";
  size_t shown = 0;
  for (const auto& c : r.cycle_records) {
    auto it = c.event.extra.find("finding.summary");
    if (c.validity != Validity::kInvalid || it == c.event.extra.end() || shown++ >= 3) continue;
    out << "  finding cycle " << c.cycle << ": " << svg::CleanText(it->second) << "\n";
  }
  if (r.verdict != Validity::kValid) out << "  replay: " << r.replay << "\n";
}

}  // namespace crashlab

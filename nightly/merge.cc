#include "nightly/merge.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "framework/svg.h"

namespace crashlab::nightly {
namespace {

using nlohmann::json;

json ReadJson(const std::filesystem::path& f) {
  std::ifstream in(f);
  if (!in) throw std::invalid_argument("cannot read " + f.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw std::invalid_argument(f.string() + ": not JSON (" + e.what() + ")");
  }
}

bool Failing(const std::string& v) { return v == "invalid" || v == "error"; }

// Figures that moved by more than 20% against the previous night.
json Moved(const json& now, const json& before) {
  json out = json::array();
  for (const char* k : {"recovery_p50_ms", "ops_per_s"}) {
    const double a = before.value(k, 0.0), b = now.value(k, 0.0);
    if (a > 0 && b > 0 && std::fabs(b - a) / a > 0.2)
      out.push_back({{"figure", k}, {"before", a}, {"now", b}});
  }
  return out;
}

// Compares each entry with the previous summary: new failure, fixed, flapping, moved.
void Diff(json& summary, const json& previous) {
  std::map<std::string, json> prev;
  for (const auto& e : previous["entries"]) prev[e["id"].get<std::string>()] = e;
  json news = json::array(), fixed = json::array(), flaps = json::array(), moved = json::array();
  for (auto& e : summary["entries"]) {
    const std::string id = e["id"], v = e["verdict"];
    auto it = prev.find(id);
    const std::string before = it == prev.end() ? "" : it->second["verdict"].get<std::string>();
    std::vector<std::string> history;
    if (it != prev.end() && it->second.contains("history")) history = it->second["history"];
    history.push_back(v);
    if (history.size() > 7) history.erase(history.begin());
    e["history"] = history;
    e["previous_verdict"] = before;
    if (Failing(v) && !Failing(before)) news.push_back(id);
    if (!Failing(v) && Failing(before)) fixed.push_back(id);
    int changes = 0;
    for (size_t i = 1; i < history.size(); ++i)
      changes += Failing(history[i]) != Failing(history[i - 1]);
    if (changes >= 2) flaps.push_back(id);
    if (it != prev.end()) {
      for (auto& m : Moved(e, it->second)) {
        m["id"] = id;
        moved.push_back(m);
      }
    }
  }
  summary["new_failures"] = news;
  summary["fixed"] = fixed;
  summary["flapping"] = flaps;
  summary["moved"] = moved;
}

std::string Xml(const std::string& s) { return svg::Escape(s); }

void WriteJunit(const json& s, const std::filesystem::path& file) {
  int failures = 0, errors = 0, skipped = 0;
  double time = 0;
  for (const auto& e : s["entries"]) {
    const std::string v = e["verdict"];
    failures += v == "invalid" || v == "unknown";
    errors += v == "error";
    skipped += v == "skipped";
    time += e.value("wall_s", 0.0);
  }
  std::ostringstream o;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite "
       "name=\"crashlab-nightly-"
    << Xml(s["date"]) << "\" tests=\"" << s["entries"].size() << "\" failures=\"" << failures
    << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"" << time
    << "\" timestamp=\"" << Xml(s["merged_at"]) << "\" hostname=\"" << Xml(host) << "\">\n";
  for (const auto& e : s["entries"]) {
    const std::string v = e["verdict"];
    o << "    <testcase classname=\"crashlab.nightly\" name=\"" << Xml(e["id"]) << "\" time=\""
      << e.value("wall_s", 0.0) << "\">";
    const std::string msg = e.value("reason", "") + " | replay: " + e.value("replay", "");
    if (v == "invalid" || v == "unknown")
      o << "<failure type=\"" << v << "\" message=\"" << Xml(msg) << "\"/>";
    else if (v == "error")
      o << "<error type=\"error\" message=\"" << Xml(msg) << "\"/>";
    else if (v == "skipped")
      o << "<skipped message=\"" << Xml(e.value("reason", "")) << "\"/>";
    o << "</testcase>\n";
  }
  o << "  </testsuite>\n</testsuites>\n";
  std::ofstream(file) << o.str();
}

void WriteHtml(const json& s, const std::filesystem::path& file) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>crashlab nightly " << Xml(s["date"])
    << "</title><style>body{font:14px "
       "sans-serif;margin:24px}table{border-collapse:collapse}td,th{border:1px "
       "solid #ccc;padding:3px "
       "6px}.invalid,.error{background:#fdd}.skipped{color:#888}.new{font-weight:bold}"
       "</style></head><body><h1>crashlab nightly "
    << Xml(s["date"]) << "</h1><p>" << s["entries"].size() << " scenarios from "
    << s["shards"].size() << " shards; new failures: " << s["new_failures"].size()
    << ", fixed: " << s["fixed"].size() << ", flapping: " << s["flapping"].size()
    << ", figures moved > 20%: " << s["moved"].size()
    << "</p><table><tr><th>scenario</th><th>verdict</th><th>before</th><th>cycles</th>"
       "<th>ops/s</th><th>recovery p50</th><th>findings</th><th>replay</th></tr>";
  std::set<std::string> news(s["new_failures"].begin(), s["new_failures"].end());
  for (const auto& e : s["entries"]) {
    const std::string id = e["id"], v = e["verdict"];
    o << "<tr class='" << Xml(v) << (news.count(id) ? " new" : "") << "'><td>" << Xml(id)
      << "</td><td>" << Xml(v) << "</td><td>" << Xml(e.value("previous_verdict", "")) << "</td><td>"
      << e.value("cycles", 0) << "</td><td>" << static_cast<int>(e.value("ops_per_s", 0.0))
      << "</td><td>" << e.value("recovery_p50_ms", 0.0) << " ms</td><td>"
      << Xml(e.value("reason", "")) << "</td><td><code>" << Xml(e.value("replay", ""))
      << "</code></td></tr>";
  }
  o << "</table></body></html>\n";
  std::ofstream(file) << o.str();
}

}  // namespace

json Merge(const MergeRequest& req) {
  json summary = {{"entries", json::array()}, {"shards", json::array()}};
  std::set<std::string> ids;
  for (const auto& dir : req.dirs) {
    const json shard = ReadJson(dir / "shard.json");
    if (!shard.contains("entries") || !shard.contains("date"))
      throw std::invalid_argument((dir / "shard.json").string() + ": not a crashlab nightly shard");
    if (summary.contains("date") && summary["date"] != shard["date"])
      throw std::invalid_argument(
          "shards of different nights: " + summary["date"].get<std::string>() + " and " +
          shard["date"].get<std::string>());
    summary["date"] = shard["date"];
    summary["shards"].push_back({{"dir", dir.string()},
                                 {"shard", shard["shard"]},
                                 {"of", shard["shards"]},
                                 {"wall_s", shard["wall_s"]},
                                 {"complete", shard["complete"]}});
    for (auto e : shard["entries"]) {
      if (!ids.insert(e["id"].get<std::string>()).second)
        throw std::invalid_argument("two shards ran " + e["id"].get<std::string>());
      e["report_dir"] = (dir / e.value("report_dir", "")).string();
      summary["entries"].push_back(e);
    }
  }
  std::sort(summary["entries"].begin(), summary["entries"].end(),
            [](const json& a, const json& b) { return a["id"] < b["id"]; });
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
  summary["merged_at"] = buf;
  Diff(summary, req.previous.empty() ? json{{"entries", json::array()}} : ReadJson(req.previous));
  std::filesystem::create_directories(req.out);
  std::ofstream(req.out / "summary.json") << summary.dump(1) << "\n";
  WriteHtml(summary, req.out / "summary.html");
  WriteJunit(summary, req.out / "junit.xml");
  return summary;
}

int MergeMain(int argc, char** argv) {
  CLI::App app{
      "crashlab report merge: one summary.json, summary.html and junit.xml over the shards of a "
      "nightly run, and against --previous what is newly failing, fixed, flapping or moved by "
      "more than 20%.",
      "crashlab report merge"};
  MergeRequest req;
  std::vector<std::string> dirs;
  std::string out, previous;
  app.add_option("dirs", dirs, "the shards' --out directories")->required();
  app.add_option("--previous", previous, "the previous night's summary.json");
  app.add_option("--out", out, "output directory")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "crashlab report merge: " << e.what() << " (try --help)\n";
    return 2;
  }
  for (const auto& d : dirs) req.dirs.emplace_back(d);
  req.previous = previous;
  req.out = out;
  try {
    const json s = Merge(req);
    size_t failing = 0;
    for (const auto& e : s["entries"]) failing += Failing(e["verdict"]);
    std::cout << "crashlab report merge: " << s["entries"].size() << " scenarios, " << failing
              << " failing, " << s["new_failures"].size() << " new, " << s["fixed"].size()
              << " fixed, " << s["flapping"].size() << " flapping\n";
    for (const auto& id : s["new_failures"])
      std::cout << "  new failure: " << id.get<std::string>() << "\n";
    for (const auto& id : s["fixed"]) std::cout << "  fixed: " << id.get<std::string>() << "\n";
    std::cout << "  summary           "
              << std::filesystem::absolute(req.out / "summary.html").string() << "\n";
    return failing ? 1 : 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "crashlab report merge: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace crashlab::nightly

// crashlab doctor: every prerequisite the registered stores, faults and storage layer
// declare, checked once each, and which scenarios each missing one blocks.
#include "tools/doctor.h"

#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/run_record.h"
#include "framework/scenario.h"

namespace crashlab::tools {
namespace {

struct Check {
  Prerequisite prerequisite;
  std::vector<std::string> needed_by;  // scenarios
};

// Every declared prerequisite, once, with the scenarios that need it.
std::vector<Check> CollectChecks() {
  const Registry& reg = Registry::Global();
  std::vector<Check> checks;
  std::map<std::string, size_t> index;
  const auto add = [&](const Prerequisite& p, const std::string& scenario) {
    auto [it, inserted] = index.emplace(p.name, checks.size());
    if (inserted) checks.push_back({p, {}});
    if (!scenario.empty()) checks[it->second].needed_by.push_back(scenario);
  };
  if (const StorageSpec* st = reg.storage()) {
    for (const auto& p : st->prerequisites) add(p, "");
  }
  for (const auto& s : reg.All()) {
    for (const auto& p : reg.PrerequisitesFor(s, reg.ResolveFaults(s, s.faults))) add(p, s.name);
  }
  return checks;
}

std::string Summary(const std::vector<std::string>& names) {
  if (names.empty()) return "scenarios with storage=crashfs";
  std::string out = std::to_string(names.size()) + " scenario(s): ";
  for (size_t i = 0; i < names.size() && i < 4; ++i) out += (i ? ", " : "") + names[i];
  return out + (names.size() > 4 ? ", ..." : "");
}

// What runs whose runner died left behind (their guardian did not get to it).
void ReportLeftovers(std::ostream& out) {
  size_t dead = 0;
  for (const auto& r : runrecord::List()) {
    if (r.live) continue;
    ++dead;
    out << "  LEFTOVER run of dead runner " << r.runner << " (" << r.dir.string() << "):";
    for (const auto& res : r.resources)
      out << " " << runrecord::ToString(res.kind) << " " << res.value;
    out << "\n";
  }
  out << (dead ? std::to_string(dead) +
                     " dead run(s) left resources behind; crashlab clean "
                     "removes them"
               : "leftovers: none (no dead run's record under " + runrecord::StateRoot().string() +
                     ")")
      << "\n";
}

}  // namespace

int Doctor(std::ostream& out) {
  size_t missing = 0;
  for (const auto& c : CollectChecks()) {
    const std::string why = c.prerequisite.missing();
    if (!why.empty()) ++missing;
    out << (why.empty() ? "  ok       " : "  MISSING  ") << std::left << std::setw(52)
        << c.prerequisite.name << (why.empty() ? "" : why + "; blocks " + Summary(c.needed_by))
        << "\n";
  }
  out << "\nscenarios:\n";
  size_t blocked = 0;
  for (const auto& s : Registry::Global().All()) {
    const std::string why = MissingPrerequisite(s.name);
    if (!why.empty()) ++blocked;
    out << (why.empty() ? "  ready    " : "  blocked  ") << std::left << std::setw(28) << s.name
        << why << "\n";
  }
  out << "\n"
      << (missing ? std::to_string(missing) + " prerequisite(s) missing, " +
                        std::to_string(blocked) + " scenario(s) blocked; ci/setup.sh installs them"
                  : "everything the registered scenarios need is present")
      << "\n";
  ReportLeftovers(out);
  return blocked ? 1 : 0;
}

int DoctorJson(std::ostream& out) {
  nlohmann::json prereqs = nlohmann::json::array(), scenarios = nlohmann::json::array();
  for (const auto& c : CollectChecks()) {
    const std::string why = c.prerequisite.missing();
    prereqs.push_back({{"name", c.prerequisite.name},
                       {"ok", why.empty()},
                       {"missing", why},
                       {"needed_by", c.needed_by}});
  }
  size_t blocked = 0;
  for (const auto& s : Registry::Global().All()) {
    const std::string why = MissingPrerequisite(s.name);
    if (!why.empty()) ++blocked;
    scenarios.push_back({{"name", s.name}, {"ready", why.empty()}, {"blocked_by", why}});
  }
  out << nlohmann::json{{"prerequisites", prereqs}, {"scenarios", scenarios}}.dump(2) << "\n";
  return blocked ? 1 : 0;
}

}  // namespace crashlab::tools

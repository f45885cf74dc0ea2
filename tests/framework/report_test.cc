// report.json's findings: every invalid cycle, with the fault's "finding.*" notes.
#include "framework/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace crashlab {
namespace {

RunReport TwoCycles() {
  RunReport r;
  r.scenario = "x-powercut";
  CycleRecord valid;
  valid.cycle = 1;
  valid.event.fault = "power-cut";
  valid.event.extra["finding.exposed_under"] = "posix";
  CycleRecord invalid;
  invalid.cycle = 2;
  invalid.validity = Validity::kInvalid;
  invalid.anomalies["lost"] = 3;
  invalid.event.fault = "power-cut";
  invalid.event.extra["finding.checked_under"] = "posix";
  invalid.event.extra["finding.exposed_under"] = "posix";
  invalid.event.extra["finding.summary"] = "exposed under posix only";
  invalid.event.extra["fs_model"] = "posix";
  r.cycle_records = {valid, invalid};
  r.verdict = Validity::kInvalid;
  return r;
}

TEST(ReportFindings, OnlyInvalidCyclesWithTheirFindingNotes) {
  const auto j = nlohmann::json::parse(ReportJson(TwoCycles()));
  ASSERT_EQ(j["findings"].size(), 1u);
  const auto& f = j["findings"][0];
  EXPECT_EQ(f["cycle"], 2);
  EXPECT_EQ(f["anomalies"]["lost"], 3);
  EXPECT_EQ(f["checked_under"], "posix");
  EXPECT_EQ(f["exposed_under"], "posix");
  EXPECT_FALSE(f.contains("fs_model")) << "only finding.* keys";
}

TEST(ReportFindings, SummaryLineInTheVerdict) {
  std::ostringstream out;
  PrintVerdict(TwoCycles(), out);
  EXPECT_NE(out.str().find("finding cycle 2: exposed under posix only"), std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("finding cycle 1"), std::string::npos);
}

}  // namespace
}  // namespace crashlab

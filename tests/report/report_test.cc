// The report writers on made-up runs: JSON and XML stay well-formed whatever the
// anomaly text holds, junit.xml validates against Jenkins' junit-10.xsd (xmllint) for a
// valid, an invalid, an interrupted and a skipped run, the summary names the loss
// window, and a report directory reads back.
#include "framework/report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "framework/run_command.h"
#include "framework/run_summary.h"
#include "framework/svg.h"

namespace crashlab {
namespace {

using nlohmann::json;

// Two cycles of a power-cut run; in cycle 2, three acknowledged inserts were lost, all
// acknowledged in the 180 ms before the cut.
RunReport MadeUpRun(Validity verdict) {
  RunReport r;
  r.scenario = "sqlite-powercut";
  r.description = "SQLite under power cuts";
  r.verdict = verdict;
  r.seed = 2;
  r.cycles = 2;
  r.cycles_requested = 5;
  r.workers = 2;
  r.ok = 1200, r.fail = 3, r.unknown = 17;
  r.knobs_set = {{"synchronous", "off"}};
  r.config = {{"synchronous", "off"}, {"sqlite.version", "3.40.1"}};
  r.replay = "crashlab run sqlite-powercut --seed 2 --set 'synchronous=off'";
  r.started_at = "2026-12-01T01:02:03Z";
  r.hostname = "ci-host";
  r.kernel = "Linux 6.1";
  r.wall_s = 1.5;
  for (uint32_t c = 1; c <= 2; ++c) {
    CycleRecord rec;
    rec.cycle = c;
    rec.event.fault = "power-cut";
    rec.start_ms = (c - 1) * 700.0;
    rec.fault_ms = rec.start_ms + 500;
    rec.ready_ms = rec.fault_ms + 40;
    rec.recovery_ms = 40;
    rec.cycle_ms = 600;
    rec.ok = 600;
    rec.validity = c == 2 ? verdict : Validity::kValid;
    r.cycle_records.push_back(rec);
  }
  r.timeline_bucket_ms = TimelineBucketMs(1400);
  for (double t = 0; t < 1400; t += r.timeline_bucket_ms) {
    RunReport::TimelinePoint p;
    p.t_ms = t;
    p.ok = 10;
    p.lat_p50_us = 300, p.lat_p99_us = 900, p.lat_max_us = 2000;
    r.timeline.push_back(p);
  }
  r.latency_cdf = {{100, 0}, {300, 0.5}, {900, 0.99}, {2000, 1}};
  r.anomaly_counts = {{"lost", 0}, {"phantom", 0}, {"invariant", 0}};
  if (verdict == Validity::kInvalid) {
    r.anomaly_counts["lost"] = 3;
    r.cycle_records[1].anomalies["lost"] = 3;
    for (uint64_t i = 0; i < 3; ++i) {
      r.anomalies.push_back(
          {"lost", "cycle 2: acknowledged insert #" + std::to_string(i) + " lost: row is absent",
           1000 + i, 2});
      r.losses.push_back({2, 1000 + i, -180.0 + 80.0 * static_cast<double>(i), false});
    }
  }
  return r;
}

// Every byte a store's log excerpt could hold: control characters, an escape sequence,
// markup, and invalid UTF-8.
const std::string kNasty = std::string("bad\x1b[31m <tag> & \"q\" \x01\x02\x7f") + "\xff\xfe\xc3" +
                           std::string(1, '\0') + " end \xe2\x82";

bool HaveXmllint() { return RunCommand({"xmllint", "--version"}, Millis(10000)).ok(); }

std::string Xmllint(const std::filesystem::path& xml) {
  const auto xsd = std::filesystem::path(CRASHLAB_TEST_DIR) / "junit-10.xsd";
  const CommandResult out =
      RunCommand({"xmllint", "--noout", "--schema", xsd.string(), xml.string()}, Millis(30000));
  return out.ok() ? "" : out.err + out.out;
}

class ReportTest : public ::testing::Test {
 protected:
  TempDir dir_{"report-test-"};
};

TEST_F(ReportTest, JunitValidatesForValidInvalidInterruptedAndSkippedRuns) {
  if (!HaveXmllint()) GTEST_SKIP() << "xmllint missing (apt-get install libxml2-utils)";
  RunReport valid = MadeUpRun(Validity::kValid);
  RunReport invalid = MadeUpRun(Validity::kInvalid);
  invalid.anomalies[0].detail += kNasty;
  invalid.store_log = kNasty;
  RunReport interrupted = MadeUpRun(Validity::kUnknown);
  interrupted.cycle_records[1].validity = Validity::kValid;
  interrupted.interrupted = "SIGINT";
  RunReport skipped;
  skipped.scenario = "postgres-kill";
  skipped.skipped = "postgres not found " + kNasty;
  const std::vector<std::pair<const char*, const RunReport*>> runs = {{"valid", &valid},
                                                                      {"invalid", &invalid},
                                                                      {"interrupted", &interrupted},
                                                                      {"skipped", &skipped}};
  for (const auto& [name, r] : runs) {
    const auto path = dir_.path() / (std::string(name) + ".xml");
    std::ofstream(path) << ReportJunit(*r);
    EXPECT_EQ(Xmllint(path), "") << name << ":\n" << ReportJunit(*r);
  }
  const std::string inv = ReportJunit(invalid);
  EXPECT_NE(inv.find("testsuite name=\"sqlite-powercut[synchronous=off]\""), std::string::npos)
      << inv;
  EXPECT_NE(inv.find("<testcase name=\"cycle 2\""), std::string::npos) << inv;
  EXPECT_NE(inv.find("<failure type=\"lost\" message=\"3 lost in cycle 2\""), std::string::npos)
      << inv;
  EXPECT_NE(inv.find("failures=\"1\""), std::string::npos) << inv;
  EXPECT_NE(inv.find("errors=\"0\""), std::string::npos) << inv;
  EXPECT_NE(inv.find("hostname=\"ci-host\""), std::string::npos) << inv;
  EXPECT_NE(inv.find("timestamp=\"2026-12-01T01:02:03\""), std::string::npos) << inv;
  EXPECT_NE(ReportJunit(interrupted).find("<error type=\"interrupted\""), std::string::npos);
  const std::string sk = ReportJunit(skipped);
  EXPECT_NE(sk.find("<skipped type=\"prerequisite\" message=\"postgres not found"),
            std::string::npos)
      << sk;
  EXPECT_NE(sk.find("skipped=\"1\""), std::string::npos) << sk;
}

TEST_F(ReportTest, NastyAnomalyTextGivesWellFormedJsonAndHtml) {
  RunReport r = MadeUpRun(Validity::kInvalid);
  r.anomalies[0].detail += kNasty;
  r.store_log = kNasty;
  r.description = kNasty;
  json j;
  ASSERT_NO_THROW(j = json::parse(ReportJson(r)));
  EXPECT_NE(j["anomaly_details"][0]["detail"].get<std::string>().find("bad"), std::string::npos);
  const std::string html = ReportHtml(r);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_EQ(html.find("<tag>"), std::string::npos);
  EXPECT_EQ(html.find('\xff'), std::string::npos);
  if (!HaveXmllint()) GTEST_SKIP() << "xmllint missing";
  // The page is well-formed XML too (its only HTML-ism is the doctype).
  const auto path = dir_.path() / "page.xhtml";
  std::ofstream(path) << html.substr(html.find("<html"));
  const CommandResult out = RunCommand({"xmllint", "--noout", path.string()}, Millis(30000));
  EXPECT_TRUE(out.ok()) << out.err;
}

TEST_F(ReportTest, SummaryNamesTheLossWindowAndConsistency) {
  const std::string s = SummarySentence(MadeUpRun(Validity::kInvalid));
  EXPECT_NE(s.find("3 acknowledged writes lost in cycle 2"), std::string::npos) << s;
  EXPECT_NE(s.find("all acknowledged in the 180 ms before the power cut"), std::string::npos) << s;
  EXPECT_NE(s.find("the database is consistent"), std::string::npos) << s;
  const std::string v = SummarySentence(MadeUpRun(Validity::kValid));
  EXPECT_NE(v.find("All 1200 acknowledged writes of 2 of 5 cycles survived"), std::string::npos)
      << v;
  RunReport skipped;
  skipped.skipped = "postgres not found";
  EXPECT_EQ(SummarySentence(skipped), "The run did not start: postgres not found.");
  RunReport interrupted = MadeUpRun(Validity::kUnknown);
  interrupted.interrupted = "SIGINT";
  interrupted.notes = {"180 of 200 ops failed: the clients mostly could not reach the store"};
  const std::string i = SummarySentence(interrupted);
  EXPECT_EQ(i.rfind("The run was interrupted (SIGINT) after 2 of 5 cycles.", 0), 0u) << i;
  EXPECT_NE(i.find("the clients mostly could not reach the store."), std::string::npos) << i;
}

TEST_F(ReportTest, CappedDetailsAreCountedAndReadBack) {
  RunReport r = MadeUpRun(Validity::kInvalid);
  r.anomaly_counts["lost"] = 250;
  EXPECT_EQ(OmittedAnomalies(r), 247u);
  WriteReports(r, dir_.path());
  const json j = json::parse(std::ifstream(dir_.path() / "report.json"));
  EXPECT_EQ(j["anomaly_details_omitted"], 247);
  EXPECT_EQ(j["loss_windows"][0]["lost"], 3);
  EXPECT_DOUBLE_EQ(j["loss_windows"][0]["first_ms"].get<double>(), -180);
  const RunReport back = ReadReport(dir_.path());
  EXPECT_EQ(back.verdict, Validity::kInvalid);
  EXPECT_EQ(back.cycle_records.size(), 2u);
  EXPECT_EQ(back.timeline.size(), r.timeline.size());
  EXPECT_EQ(back.anomalies.size(), 3u);
  EXPECT_EQ(back.anomalies[0].cycle, 2u);
  RunReport without_losses = r;  // losses come from anomalies.jsonl, not written here
  without_losses.losses.clear();
  EXPECT_EQ(ReportJson(back), ReportJson(without_losses)) << "a report reads back as written";
}

TEST_F(ReportTest, RecordAnomaliesWritesEveryOneAndMarksTheHistory) {
  History h;
  for (int i = 0; i < 300; ++i) {
    Op op;
    op.key = i;
    const uint64_t idx = h.Invoke(op, 1);
    h.Complete(idx, Outcome::kOk);
  }
  CycleRecord rec;
  rec.cycle = 1;
  rec.fault_ms = h.Now() / 1e6;
  std::vector<Anomaly> found;
  for (uint64_t i = 0; i < 250; ++i) found.push_back({"lost", "op lost " + kNasty, i, 0});
  RunReport r;
  const auto jsonl = dir_.path() / "anomalies.jsonl";
  RecordAnomalies(h, rec, found, r, jsonl);
  EXPECT_EQ(r.anomalies.size(), kReportDetailsPerKind);
  EXPECT_EQ(r.losses.size(), 250u);
  for (const auto& l : r.losses) EXPECT_LE(l.rel_ms, 0);
  std::ifstream in(jsonl);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    const json a = json::parse(line);
    EXPECT_EQ(a["kind"], "lost");
    EXPECT_EQ(a["op"], n);
    ++n;
  }
  EXPECT_EQ(n, 250u);
  h.FlushTo(dir_.path() / "history.jsonl");
  std::ifstream hist(dir_.path() / "history.jsonl");
  size_t marked = 0;
  while (std::getline(hist, line)) marked += json::parse(line).value("anomaly", "") == "lost";
  EXPECT_EQ(marked, 250u);
}

TEST(TimelineBuckets, OneTwoFiveStepsAndOpsInTheirOwnBucket) {
  EXPECT_EQ(TimelineBucketMs(50), 1);
  EXPECT_EQ(TimelineBucketMs(1000), 5);
  EXPECT_EQ(TimelineBucketMs(3'600'000), 10000);
  History h;
  const uint64_t a = h.Invoke(Op{}, 1);
  h.Complete(a, Outcome::kOk);
  RunReport r;
  SummarizeHistory(h, r);
  // The op is counted in the bucket [t, t + width) holding its completion, never later.
  const double done_ms = h[a].complete_ns / 1e6;
  const auto b = static_cast<size_t>(done_ms / r.timeline_bucket_ms);
  ASSERT_EQ(r.timeline.size(), b + 1);
  EXPECT_EQ(r.timeline[b].ok, 1u);
  EXPECT_LE(r.timeline[b].t_ms, done_ms);
  EXPECT_GT(r.timeline[b].t_ms + r.timeline_bucket_ms, done_ms);
  EXPECT_GT(r.latency_cdf.size(), 100u);
}

TEST(SvgHelpers, TicksUseTheUnitOfTheSpan) {
  const auto short_run = svg::TimeTicks(0, 50, 5);
  ASSERT_GE(short_run.size(), 3u);
  EXPECT_EQ(short_run[1].label, "10 ms");
  EXPECT_EQ(short_run.back().label, "50 ms");
  const auto long_run = svg::TimeTicks(0, 600'000, 5);
  EXPECT_EQ(long_run.back().label, "10 min");
  const auto mid = svg::TimeTicks(0, 30'000, 6);
  EXPECT_EQ(mid[1].label, "5 s");
  const auto log = svg::LogTicks(100, 100000, [](double v) { return svg::FormatCount(v); });
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log.back().label, "100k");
  EXPECT_EQ(svg::FormatDuration(0.85), "850 us");
  EXPECT_EQ(svg::FormatDuration(125000), "125 s");
  EXPECT_EQ(svg::FormatDuration(200000), "3 min 20 s");
  EXPECT_EQ(svg::Escape("a<b>&\"\x01\xff"), "a&lt;b&gt;&amp;&quot;\xef\xbf\xbd");
}

}  // namespace
}  // namespace crashlab

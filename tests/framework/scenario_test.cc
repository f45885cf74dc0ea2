// Unit tests of the registry (stores x faults, presets, capabilities, knobs), request
// validation and the mixed fault, against an in-memory store registered only here.
#include "framework/scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace crashlab {
namespace {

// An in-memory store: a map behind a mutex; `lossy` forgets every other acknowledged
// write at each recovery (a store that acknowledges before it persists).
struct MemoryData {
  std::mutex mu;
  std::map<int64_t, int64_t> rows;
  std::vector<int64_t> markers;
  bool lossy = false;
};

class MemoryClient : public Client {
 public:
  explicit MemoryClient(std::shared_ptr<MemoryData> d) : d_(std::move(d)) {}
  Outcome Apply(const Op& op) override {
    std::lock_guard lock(d_->mu);
    if (op.kind == OpKind::kMarker)
      d_->markers.push_back(op.key);
    else
      d_->rows[op.key] = op.value;
    return Outcome::kOk;
  }
  ObservedState ReadState() override {
    std::lock_guard lock(d_->mu);
    ObservedState s;
    for (const auto& [k, v] : d_->rows) s.rows.emplace_back(k, v);
    s.markers = d_->markers;
    int64_t total = 0;
    for (const auto& [k, v] : d_->rows) total += v;
    s.row_count = static_cast<int64_t>(d_->rows.size());
    s.row_total = total;
    return s;
  }

 private:
  std::shared_ptr<MemoryData> d_;
};

class MemoryTarget : public Target, public Checkpointer {
 public:
  explicit MemoryTarget(bool lossy) : d_(std::make_shared<MemoryData>()) { d_->lossy = lossy; }
  std::string Name() const override { return "memory"; }
  void Start() override {}
  void Stop() override {}
  void Recover() override {
    std::lock_guard lock(d_->mu);
    if (!d_->lossy) return;
    bool drop = false;
    for (auto it = d_->rows.begin(); it != d_->rows.end();) {
      it = (drop = !drop) ? d_->rows.erase(it) : std::next(it);
    }
  }
  std::filesystem::path DataDir() const override { return {}; }
  std::unique_ptr<Client> NewClient(int) override { return std::make_unique<MemoryClient>(d_); }
  void Checkpoint() override { ++checkpoints; }
  int checkpoints = 0;

 private:
  std::shared_ptr<MemoryData> d_;
};

// Records which hooks ran.
class NoteFault : public Fault {
 public:
  explicit NoteFault(std::string name) : name_(std::move(name)) {}
  std::string Name() const override { return name_; }
  FaultEvent Inject(Target&, Rng&) override { return {name_, "noted", {}}; }
  std::string name_;
};

CRASHLAB_STORE(memory_store_for_tests) {
  StoreSpec s;
  s.name = "memtest";
  s.description = "an in-memory map";
  s.knobs = {Knob::Int("n", 3, "a number", 1, 10), Knob::Bool("flag", false, "a flag"),
             Knob::Choice("mode", "a", {"a", "b"}, "a mode"), Knob::String("free", "", "text"),
             Knob::Bool("lossy", false, "forget every other row at recovery")};
  s.workloads = {"ledger"};
  s.capabilities = {capability::kProcesses, capability::kCheckpoint};
  s.defaults = {4, 3, std::nullopt};
  s.build = [](StoreContext& ctx) {
    StoreParts p;
    p.target = std::make_unique<MemoryTarget>(ctx.knobs.GetBool("lossy"));
    p.workload = MakeLedgerWorkload();
    return p;
  };
  Preset preset;
  preset.name = "memtest-preset";
  preset.description = "a preset";
  preset.faults = {"note-a"};
  preset.defaults.cycles = 7;
  preset.defaults.schedule = "ops:5";
  preset.knob_defaults = {{"mode", "b"}};
  s.presets = {preset};
  return s;
}

FaultSpec NoteSpec(std::string name, std::set<std::string> needs) {
  FaultSpec f;
  f.name = name;
  f.description = "notes " + name;
  f.needs = std::move(needs);
  f.knobs = {Knob::Int("note_" + std::string(1, name.back()), 1, "a fault knob", 0, 9),
             Knob::Bool("only_with_wrapper", false, "x").Needs(capability::kWrapper)};
  f.build = [name](FaultContext&) { return std::make_unique<NoteFault>(name); };
  return f;
}
CRASHLAB_FAULT(note_a) { return NoteSpec("note-a", {capability::kProcesses}); }
CRASHLAB_FAULT(note_b) { return NoteSpec("note-b", {capability::kCheckpoint}); }
CRASHLAB_FAULT(note_c) { return NoteSpec("note-c", {capability::kContainer}); }

ScenarioRequest Req(std::string scenario, std::map<std::string, std::string> set = {}) {
  ScenarioRequest r;
  r.scenario = std::move(scenario);
  r.set = std::move(set);
  return r;
}

bool Listed(const std::string& name) {
  const auto all = Registry::Global().All();
  return std::any_of(all.begin(), all.end(), [&](const Scenario& s) { return s.name == name; });
}

TEST(Registry, OffersEveryCompatiblePairAndThePresets) {
  EXPECT_TRUE(Listed("memtest-note-a"));
  EXPECT_TRUE(Listed("memtest-note-b"));
  EXPECT_FALSE(Listed("memtest-note-c")) << "the store has no container variant";
  EXPECT_TRUE(Listed("memtest-preset"));
  EXPECT_FALSE(Registry::Global().Find("memtest-nope"));
  EXPECT_FALSE(Registry::Global().Find("nope"));
}

TEST(Registry, RejectsDuplicates) {
  EXPECT_THROW(Registry::Global().AddFault(NoteSpec("note-a", {})), std::logic_error);
  StoreSpec s;
  s.name = "memtest";
  EXPECT_THROW(Registry::Global().AddStore(s), std::logic_error);
}

TEST(Registry, PresetDefaultsWinOverStoreDefaults) {
  RunOptions o;
  const Knobs k = ValidateRequest(Req("memtest-preset"), &o);
  EXPECT_EQ(o.cycles, 7u);
  EXPECT_EQ(o.workers, 3);
  EXPECT_EQ(k.Get("schedule"), "ops:5");
  EXPECT_EQ(k.Get("mode"), "b");
  EXPECT_EQ(k.Get("fault"), "note-a");
}

TEST(Registry, KnobsNeedingACapabilityTheStoreLacksAreNotOffered) {
  const Knobs k = ValidateRequest(Req("memtest-note-a"));
  EXPECT_TRUE(k.Has("note_a"));
  EXPECT_FALSE(k.Has("only_with_wrapper"));
  EXPECT_FALSE(k.Has("note_b")) << "knobs of faults not in the list";
  const Knobs both = ValidateRequest(Req("memtest-note-a", {{"fault", "note-a,note-b"}}));
  EXPECT_TRUE(both.Has("note_b"));
}

TEST(Validate, DefaultsFillIn) {
  RunOptions o;
  const Knobs k = ValidateRequest(Req("memtest-note-a"), &o);
  EXPECT_EQ(k.GetInt("n"), 3);
  EXPECT_FALSE(k.GetBool("flag"));
  EXPECT_EQ(k.Get("mode"), "a");
  EXPECT_EQ(k.Get("schedule"), "ops:20-200");
  EXPECT_EQ(o.cycles, 4u);
  EXPECT_EQ(o.workers, 3);
}

TEST(Validate, GoodValuesAccepted) {
  const Knobs k = ValidateRequest(Req(
      "memtest-note-a",
      {{"n", "10"}, {"flag", "on"}, {"mode", "b"}, {"free", ""}, {"schedule", "time:100-300"}}));
  EXPECT_EQ(k.GetInt("n"), 10);
  EXPECT_TRUE(k.GetBool("flag"));
  EXPECT_EQ(k.Get("schedule"), "time:100-300");
}

TEST(Validate, BadInputIsAUsageErrorNamingTheProblemAndTheKey) {
  const auto expect_usage = [](ScenarioRequest r, const std::string& needle,
                               const std::string& key) {
    try {
      ValidateRequest(r);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(e.key, key) << e.what();
    }
  };
  expect_usage(Req("no-such-scenario"), "unknown scenario 'no-such-scenario'", "scenario");
  expect_usage(Req("memtest-note-a", {{"bogus", "1"}}), "unknown knob 'bogus'", "bogus");
  expect_usage(Req("memtest-note-a", {{"n", "11"}}), "bad value '11' for n", "n");
  expect_usage(Req("memtest-note-a", {{"n", "x"}}), "bad value 'x' for n", "n");
  expect_usage(Req("memtest-note-a", {{"flag", "maybe"}}), "bad value 'maybe' for flag", "flag");
  expect_usage(Req("memtest-note-a", {{"mode", "c"}}), "expected one of a, b", "mode");
  expect_usage(Req("memtest-note-a", {{"schedule", "ops:0"}}), "bad schedule", "schedule");
  expect_usage(Req("memtest-note-a", {{"fault", "note-c"}}), "fault 'note-c' is not available",
               "fault");
  expect_usage(Req("memtest-note-a", {{"fault", "note-a,note-a"}}), "distinct", "fault");
  expect_usage(Req("memtest-note-a", {{"fault", ""}}), "bad value", "fault");
  ScenarioRequest zero = Req("memtest-note-a");
  zero.cycles = 0;
  expect_usage(zero, "--cycles 0 needs --duration", "cycles");
  ScenarioRequest workers = Req("memtest-note-a");
  workers.workers = 0;
  expect_usage(workers, "--workers", "workers");
}

TEST(MixedFault, EveryFaultFiresOncePerRoundAndTheSeedReplays) {
  const auto choices = [](uint64_t seed) {
    std::vector<std::pair<std::string, std::unique_ptr<Fault>>> f;
    for (const char* n : {"a", "b", "c"}) f.emplace_back(n, std::make_unique<NoteFault>(n));
    auto mixed = MakeMixedFault(std::move(f), seed);
    MemoryTarget t(false);
    Rng rng(1);
    std::vector<std::string> out;
    for (uint32_t c = 1; c <= 30; ++c) {
      mixed->BeginCycle(t, c, [] {});
      out.push_back(mixed->Inject(t, rng).extra.at("fault_spec"));
    }
    return out;
  };
  const auto a = choices(5);
  for (size_t round = 0; round < 10; ++round) {
    std::vector<std::string> r(a.begin() + round * 3, a.begin() + round * 3 + 3);
    std::sort(r.begin(), r.end());
    EXPECT_EQ(r, (std::vector<std::string>{"a", "b", "c"})) << "round " << round;
  }
  EXPECT_EQ(a, choices(5));
  EXPECT_NE(a, choices(6));
}

// A wrapper that overrides nothing must forward every hook.
TEST(FaultWrapper, ForwardsEveryHook) {
  struct Counting : Fault {
    std::map<std::string, int>* n;
    explicit Counting(std::map<std::string, int>* c) : n(c) {}
    std::string Name() const override { return "counting"; }
    void Setup(Target&) override { ++(*n)["setup"]; }
    void AtTrigger(Target&) override { ++(*n)["at_trigger"]; }
    void BeginCycle(Target&, uint32_t, std::function<void()>) override { ++(*n)["begin_cycle"]; }
    FaultEvent Inject(Target&, Rng&) override {
      ++(*n)["inject"];
      return {};
    }
    void Heal(Target&) override { ++(*n)["heal"]; }
    bool NeedsRecovery() const override { return false; }
    bool CutsPower() const override { return true; }
    void Teardown(Target&) override { ++(*n)["teardown"]; }
  };
  std::map<std::string, int> n;
  FaultWrapper w(std::make_unique<Counting>(&n));
  MemoryTarget t(false);
  Rng rng(1);
  w.Setup(t);
  w.BeginCycle(t, 1, [] {});
  w.AtTrigger(t);
  w.Inject(t, rng);
  w.Heal(t);
  w.Teardown(t);
  EXPECT_EQ(n, (std::map<std::string, int>{{"at_trigger", 1},
                                           {"begin_cycle", 1},
                                           {"heal", 1},
                                           {"inject", 1},
                                           {"setup", 1},
                                           {"teardown", 1}}));
  EXPECT_FALSE(w.NeedsRecovery());
  EXPECT_TRUE(w.CutsPower());
  EXPECT_EQ(w.Name(), "counting");
}

// The whole path (registry -> build -> runner -> checkers) on the in-memory store: a
// store that keeps everything is valid; one that forgets rows is caught.
TEST(RunScenario, InMemoryStoreValidAndLossyStoreCaught) {
  ScenarioRequest ok = Req("memtest-note-a,", {});
  ok.scenario = "memtest-note-a";
  ok.set = {{"fault", "note-a,note-b"}};
  ok.cycles = 6;
  ok.workers = 2;
  const RunReport good = RunScenario(ok);
  EXPECT_EQ(good.verdict, Validity::kValid);
  EXPECT_EQ(good.cycles, 6u);
  std::set<std::string> fired;
  for (const auto& c : good.cycle_records) fired.insert(c.event.extra.at("fault_spec"));
  EXPECT_EQ(fired, (std::set<std::string>{"note-a", "note-b"}));

  ScenarioRequest bad = ok;
  bad.set["lossy"] = "true";
  const RunReport lost = RunScenario(bad);
  EXPECT_EQ(lost.verdict, Validity::kInvalid);
  EXPECT_GT(lost.anomaly_counts.count("lost") ? lost.anomaly_counts.at("lost") : 0u, 0u);
}

}  // namespace
}  // namespace crashlab

namespace crashlab {
namespace {

// A run that proved nothing is not valid; the summary says why.
TEST(JudgeEvidence, NoCycleOrNoAcknowledgedOpIsUnknown) {
  RunReport none;
  none.verdict = Validity::kValid;
  JudgeEvidence(none);
  EXPECT_EQ(none.verdict, Validity::kUnknown);
  ASSERT_EQ(none.notes.size(), 1u);
  EXPECT_NE(none.notes[0].find("no crash cycle"), std::string::npos);

  RunReport no_ack;
  no_ack.verdict = Validity::kValid;
  no_ack.cycles = 3;
  no_ack.unknown = 40;
  JudgeEvidence(no_ack);
  EXPECT_EQ(no_ack.verdict, Validity::kUnknown);
  EXPECT_NE(no_ack.notes.at(0).find("no acknowledged op"), std::string::npos);

  RunReport fine;
  fine.verdict = Validity::kValid;
  fine.cycles = 3;
  fine.ok = 100;
  fine.fail = 10;
  JudgeEvidence(fine);
  EXPECT_EQ(fine.verdict, Validity::kValid);
  EXPECT_TRUE(fine.notes.empty());

  RunReport invalid;  // a loss found stays a loss
  invalid.verdict = Validity::kInvalid;
  JudgeEvidence(invalid);
  EXPECT_EQ(invalid.verdict, Validity::kInvalid);
}

TEST(JudgeEvidence, MostlyFailingClientsAreNoted) {
  RunReport r;
  r.verdict = Validity::kValid;
  r.cycles = 2;
  r.ok = 30;
  r.fail = 200;
  r.unknown = 5;
  JudgeEvidence(r);
  EXPECT_EQ(r.verdict, Validity::kValid);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("most ops failed (200 of 235)"), std::string::npos) << r.notes[0];
}

TEST(ParseSeed, DecimalHexAndTheirLimits) {
  EXPECT_EQ(ParseSeed("0"), 0u);
  EXPECT_EQ(ParseSeed("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(ParseSeed("0xFFFFFFFFFFFFFFFF"), UINT64_MAX);
  EXPECT_EQ(ParseSeed("0x2a"), 42u);
  for (const char* bad : {"-1", "18446744073709551616", "0x10000000000000000", "abc", "", "0x",
                          "12abc", " 1", "+1", "1.5"}) {
    EXPECT_THROW(ParseSeed(bad), UsageError) << bad;
  }
}

}  // namespace
}  // namespace crashlab

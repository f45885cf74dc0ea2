#include "nightly/nightly_cli.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>

#include "framework/process.h"
#include "nightly/run.h"

namespace crashlab::nightly {

int Main(int argc, char** argv) {
  CLI::App app{
      "crashlab nightly: every scenario the registry offers here (each storage, each container "
      "mount) and every spec file, seeded from the date and the scenario's name, split into N "
      "balanced shards; runs shard K within a time budget and writes OUT/shard.json plus one "
      "report directory per scenario.",
      "crashlab nightly"};
  ShardRequest req;
  std::string shard = "1/1", out;
  app.add_option("--budget", req.budget_s, "seconds for this shard (required)")->required();
  app.add_option("--shard", shard, "K/N: run shard K of N (default 1/1)");
  app.add_option("--date", req.plan.date, "YYYY-MM-DD the seeds derive from (default today, UTC)");
  app.add_option("--only", req.plan.only, "glob(s) over scenario ids to keep (repeatable)");
  app.add_option("--exclude", req.plan.exclude,
                 "glob(s) over scenario ids to leave out (repeatable)");
  app.add_option("--specs", req.plan.specs_dir, "spec files to include (default: none)");
  app.add_option("--out", out, "output directory (required)")->required();
  bool list = false;
  app.add_flag("--list", list,
               "print this shard's scenarios with their seeds and budgets; run nothing");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "crashlab nightly: " << e.what() << " (try --help)\n";
    return 2;
  }
  try {
    std::tie(req.shard, req.shards) = ParseShard(shard);
    if (req.plan.date.empty()) req.plan.date = Today();
    CheckDate(req.plan.date);
    if (!std::isfinite(req.budget_s) || req.budget_s <= 0)
      throw std::invalid_argument("--budget must be a positive number of seconds");
    req.out = out;
    for (int i = 0; i < argc; ++i) req.command_line += std::string(i ? " " : "crashlab ") + argv[i];
  } catch (const std::invalid_argument& e) {
    std::cerr << "crashlab nightly: " << e.what() << "\n";
    return 2;
  }
  if (list) {
    const auto all = Enumerate(req.plan);
    const auto mine = Shard(all, req.shards)[static_cast<size_t>(req.shard - 1)];
    const auto budgets = Budgets(all, mine, req.budget_s);
    for (size_t j = 0; j < mine.size(); ++j) {
      std::cout << all[mine[j]].id << "  seed " << all[mine[j]].seed << "  "
                << static_cast<int>(budgets[j]) << " s\n";
    }
    return 0;
  }
  try {
    const auto done =
        RunShard(req, [](const std::string& line) { std::cerr << "  " << line << std::endl; });
    int bad = 0;
    for (const auto& o : done) bad += o.verdict == "invalid" || o.verdict == "error";
    std::cout << "crashlab nightly: shard " << req.shard << "/" << req.shards << ": " << done.size()
              << " scenarios, " << bad << " failing\n  summary           "
              << std::filesystem::absolute(req.out / "shard.json").string() << "\n";
    return bad ? 1 : 0;
  } catch (const Interrupted&) {
    std::cerr << "\ncrashlab nightly: interrupted; shard.json holds what was done\n";
    return 128 + supervisor::InterruptSignal();
  } catch (const std::exception& e) {
    std::cerr << "crashlab nightly: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace crashlab::nightly

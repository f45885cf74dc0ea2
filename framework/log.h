// The run's one logger: stderr at the level the user chose (default warn; crashlab -v
// info, -vv debug, --log-level) and, while a run writes a report, run.log in its report
// dir (info and up, timestamps). spdlog underneath; callers pass finished text.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace crashlab::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// "trace", "debug", "info", "warn", "error", "off"; throws UsageError (key "log-level")
// on anything else.
Level ParseLevel(const std::string& name);
// What reaches stderr. Thread-safe.
void SetStderrLevel(Level level);
// Writes `message` to stderr (if `level` is at least the stderr level) and to run.log
// (if one is open and `level` >= info). Thread-safe; never throws.
void Write(Level level, std::string_view message);
inline void Debug(std::string_view m) { Write(Level::kDebug, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

// Owns run.log: while it lives, the logger also writes to `path` (truncated first).
// Throws std::runtime_error if the file cannot be opened.
class RunLog {
 public:
  explicit RunLog(const std::filesystem::path& path);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

 private:
  std::shared_ptr<void> sink_;
};

}  // namespace crashlab::log

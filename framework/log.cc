// The logger: one spdlog logger with a stderr sink and, during a run, a run.log sink.
#include "framework/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "framework/knob.h"

namespace crashlab::log {
namespace {

spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kOff:
      break;
  }
  return spdlog::level::off;
}

struct Logger {
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> err =
      std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::shared_ptr<spdlog::logger> logger;
  Logger() {
    err->set_pattern("crashlab: %l: %v");
    err->set_level(spdlog::level::warn);
    logger = std::make_shared<spdlog::logger>("crashlab", err);
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::info);
  }
};

Logger& Get() {
  static Logger* l = new Logger();  // never destroyed: usable from any static destructor
  return *l;
}

}  // namespace

Level ParseLevel(const std::string& name) {
  for (const auto& [n, l] : {std::pair{"trace", Level::kTrace}, std::pair{"debug", Level::kDebug},
                             std::pair{"info", Level::kInfo}, std::pair{"warn", Level::kWarn},
                             std::pair{"error", Level::kError}, std::pair{"off", Level::kOff}}) {
    if (name == n) return l;
  }
  throw UsageError("bad --log-level '" + name + "' (trace, debug, info, warn, error or off)",
                   "log-level");
}

void SetStderrLevel(Level level) { Get().err->set_level(ToSpd(level)); }

void Write(Level level, std::string_view message) {
  try {
    Get().logger->log(ToSpd(level), "{}", message);
  } catch (...) {
    // A log line must never turn a run into an error.
  }
}

RunLog::RunLog(const std::filesystem::path& path) {
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> sink;
  try {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), true);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("cannot write " + path.string() + ": " + e.what());
  }
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  sink->set_level(spdlog::level::info);
  Get().logger->sinks().push_back(sink);
  sink_ = sink;
}

RunLog::~RunLog() {
  auto& sinks = Get().logger->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace crashlab::log

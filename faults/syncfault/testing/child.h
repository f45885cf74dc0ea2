// Test helper: a child process with an argv vector, an explicit env and optional pipes.
#pragma once

// Stand-in until framework/ process supervision exists; kept to what these tests need.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/unique_fd.h"

namespace crashlab::syncfault::testing {

struct ChildOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH if it has no '/'
  std::map<std::string, std::string> env;  // the child's whole environment
  bool pipe_stdin = false;                 // Send() writes here
  bool pipe_stdout = false;                // ReadLine() reads here
  std::string output_file;                 // else stdout+stderr go here (appended), or /dev/null
  std::optional<uid_t> uid;                // drop to this user (gid, no supplementary groups)
  std::optional<gid_t> gid;
  std::string cwd;  // empty: inherit
};

// The current process's environment as a map, for ChildOptions::env.
std::map<std::string, std::string> CurrentEnv();

// Owns a child in its own process group; the destructor SIGKILLs the group and reaps.
class Child {
 public:
  explicit Child(const ChildOptions& options);  // throws std::system_error
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  // Writes line + '\n' to the child's stdin.
  void Send(const std::string& line);
  // Next stdout line, or nullopt on EOF/timeout.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Send + ReadLine, "<timeout>" if no reply came.
  std::string Call(const std::string& line,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for exit; the raw wait status, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool Running();
  void Signal(int sig);
  // SIGKILLs the process group and reaps the child.
  void KillAndReap();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  UniqueFd stdin_fd_;
  UniqueFd stdout_fd_;
  std::string buffer_;
};

}  // namespace crashlab::syncfault::testing

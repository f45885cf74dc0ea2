// Test helper: fork/exec with an argv vector, pipes, privilege drop and reaping.
#include "faults/syncfault/testing/child.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

extern char** environ;

namespace crashlab::syncfault::testing {
namespace {

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::map<std::string, std::string> CurrentEnv() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s = *e;
    size_t eq = s.find('=');
    if (eq != std::string::npos) env[s.substr(0, eq)] = s.substr(eq + 1);
  }
  return env;
}

Child::Child(const ChildOptions& options) {
  // Everything the child needs is built before fork: only async-signal-safe calls after.
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string out = options.output_file.empty() ? "/dev/null" : options.output_file;

  PipeFds in_pipe, out_pipe;
  if (options.pipe_stdin && OpenPipe(&in_pipe) != 0) ThrowErrno("pipe");
  if (options.pipe_stdout && OpenPipe(&out_pipe) != 0) ThrowErrno("pipe");
  UniqueFd out_fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!out_fd) ThrowErrno("open " + out);
  if (options.uid && out != "/dev/null" &&
      ::fchown(out_fd.get(), *options.uid, options.gid.value_or(-1)) != 0) {
    ThrowErrno("chown " + out);
  }

  pid_ = ::fork();
  if (pid_ < 0) ThrowErrno("fork");
  if (pid_ == 0) {
    // The child only dup2()s raw descriptors; exec (CLOEXEC) or _exit closes the rest.
    ::setpgid(0, 0);
    int in = options.pipe_stdin ? in_pipe.read_end.get() : ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(options.pipe_stdout ? out_pipe.write_end.get() : out_fd.get(), 1);
    ::dup2(out_fd.get(), 2);
    if (options.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*options.gid) != 0)) _exit(126);
    if (options.uid && ::setuid(*options.uid) != 0) _exit(126);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) _exit(126);
    ::execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  // Also set the group from the parent so a signal sent right away reaches it.
  ::setpgid(pid_, pid_);
  // The child's ends (and out_fd) close when this constructor returns.
  stdin_fd_ = std::move(in_pipe.write_end);
  stdout_fd_ = std::move(out_pipe.read_end);
}

Child::~Child() { KillAndReap(); }

void Child::Send(const std::string& line) {
  std::string s = line + "\n";
  // A dead child must fail the test, not kill it with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(stdin_fd_.get(), s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::optional<std::string> Child::ReadLine(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::read(stdout_fd_.get(), buf, sizeof(buf));
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

std::string Child::Call(const std::string& line, std::chrono::milliseconds timeout) {
  Send(line);
  return ReadLine(timeout).value_or("<timeout>");
}

std::optional<int> Child::Wait(std::chrono::milliseconds timeout) {
  if (reaped_) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool Child::Running() {
  if (reaped_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

void Child::Signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

void Child::KillAndReap() {
  if (pid_ <= 0) return;
  // The group too: forked helpers (postgres backends) must not outlive the test.
  ::kill(-pid_, SIGKILL);
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
}

}  // namespace crashlab::syncfault::testing

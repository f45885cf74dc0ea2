// RunCommand: Process::Spawn with a pipe each for stdout and stderr, read until the child
// exits or the deadline passes.
#include "framework/run_command.h"

#include <poll.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "framework/unique_fd.h"

namespace crashlab {
namespace {

std::string JoinArgs(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Appends what `fd` holds now to `into`. Returns false once the pipe is at EOF or broken.
bool Drain(int fd, std::string& into) {
  char buf[8192];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, Millis timeout,
                         const std::map<std::string, std::string>& env) {
  CommandResult r;
  r.command = JoinArgs(argv);
  PipeFds out, err;
  if (OpenPipe(&out) != 0 || OpenPipe(&err) != 0) {
    r.err = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  ProcessOptions po;
  po.argv = argv;
  po.env = env;
  po.fds = {{1, out.write_end.get()}, {2, err.write_end.get()}};
  Process p;
  try {
    p = Process::Spawn(po);
  } catch (const std::exception& e) {
    r.err = e.what();
    return r;
  }
  r.started = true;
  // Only the child holds the write ends now: EOF means every writer is gone.
  out.write_end.reset();
  err.write_end.reset();

  const auto deadline = Clock::now() + timeout;
  const auto left = [&] {
    return std::max<long>(0, std::chrono::duration_cast<Millis>(deadline - Clock::now()).count());
  };
  const int fds[2] = {out.read_end.get(), err.read_end.get()};
  std::string* into[2] = {&r.out, &r.err};
  bool open[2] = {true, true};
  // Reads until both pipes are at EOF or the child has exited (a daemonized grandchild
  // may keep a pipe open: the child's exit, not EOF, ends the call).
  while ((open[0] || open[1]) && left() > 0) {
    pollfd pf[2] = {{open[0] ? fds[0] : -1, POLLIN, 0}, {open[1] ? fds[1] : -1, POLLIN, 0}};
    if (::poll(pf, 2, static_cast<int>(std::min<long>(left(), 20))) > 0) {
      for (int i = 0; i < 2; ++i) {
        if (pf[i].revents) open[i] = Drain(fds[i], *into[i]);
      }
      continue;  // read everything that is there before looking at the child
    }
    if (!p.Running()) break;
  }
  // What the child wrote just before it exited is still in the pipes.
  for (int i = 0; i < 2; ++i) {
    pollfd pf{fds[i], POLLIN, 0};
    while (open[i] && left() > 0 && ::poll(&pf, 1, 0) > 0) open[i] = Drain(fds[i], *into[i]);
  }
  if (p.WaitFor(Millis(left()))) {
    const int st = p.raw_status();
    if (WIFEXITED(st)) {
      r.exit_code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      r.term_signal = WTERMSIG(st);
      r.exit_code = 128 + r.term_signal;
    }
  } else {
    r.timed_out = true;
  }
  try {
    p.KillAndReap();  // the group: nothing the command started outlives the call
  } catch (const std::exception& e) {
    r.err += std::string("\n(") + e.what() + ")";
  }
  return r;
}

std::string CommandOutput(const std::vector<std::string>& argv, Millis timeout) {
  const CommandResult r = RunCommand(argv, timeout);
  if (r.ok()) return r.out;
  const std::string first = r.err.substr(0, r.err.find('\n'));
  if (!r.started) throw std::runtime_error(r.command + ": cannot start: " + first);
  if (r.timed_out)
    throw std::runtime_error(r.command + " did not finish within " +
                             std::to_string(timeout.count()) + " ms");
  throw std::runtime_error(r.command + " exited with code " + std::to_string(r.exit_code) +
                           (first.empty() ? std::string() : ": " + first));
}

}  // namespace crashlab

// UniqueFd: the one owner of a file descriptor in crashlab (header-only, no dependencies,
// so that faults/crashfs's library and plain test helpers can use it too).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace crashlab {

// Owns one file descriptor and closes it when destroyed. Movable, not copyable; a
// negative value means "none". Closing in the destructor or in reset() leaves errno as it
// was, so that cleanup on an error path does not overwrite the error being reported.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

  // Gives up ownership without closing; returns the descriptor (-1 if none).
  int release() { return std::exchange(fd_, -1); }

  // Closes the held descriptor (if any) and owns `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0 && fd_ != fd) {
      const int saved = errno;
      ::close(fd_);
      errno = saved;
    }
    fd_ = fd;
  }

  // Closes now and returns close()'s result, for code that checks it (close can report a
  // deferred write error). Holds nothing afterwards, whatever the result (Linux frees the
  // descriptor even when close fails). With nothing held it is close(-1): -1, errno EBADF.
  int Close() { return ::close(release()); }

 private:
  int fd_ = -1;
};

// Both ends of a pipe.
struct PipeFds {
  UniqueFd read_end;
  UniqueFd write_end;
};

// pipe2(2) with `flags` into *fds; returns pipe2's result (0, or -1 with errno set).
inline int OpenPipe(PipeFds* fds, int flags = O_CLOEXEC) {
  int p[2];
  if (::pipe2(p, flags) != 0) return -1;
  fds->read_end.reset(p[0]);
  fds->write_end.reset(p[1]);
  return 0;
}

}  // namespace crashlab

// toykv: a tiny key-value "database" standing in for your own program. It reads
// "PUT <key> <value>" lines on stdin, appends them to a log file, fdatasyncs, answers
// "OK" (at start it syncs the log's directory, so the file itself survives a power cut,
// and cuts off a torn last record).
// With --buffered it answers before writing and flushes every 16 puts: the kind of
// durability bug crashlab exists to catch.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  std::string path;
  bool buffered = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--buffered")
      buffered = true;
    else
      path = a;
  }
  if (path.empty()) {
    std::cerr << "usage: toykv [--buffered] LOGFILE\n";
    return 2;
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  // Recovery: a power cut can leave the last, never acknowledged record torn (no newline).
  // Cut it off, or the next record would be appended to its bytes and read back as one.
  off_t end = ::lseek(fd, 0, SEEK_END);
  char c = 0;
  while (end > 0 && ::pread(fd, &c, 1, end - 1) == 1 && c != '\n') --end;
  if (::ftruncate(fd, end) != 0 || ::fdatasync(fd) != 0) {
    std::perror("recover");
    return 1;
  }
  // A new file is durable only once its directory entry is: sync the directory too.
  const std::string dir =
      path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    std::perror("fsync directory");
    return 1;
  }
  ::close(dfd);
  std::cout << "READY" << std::endl;
  std::string pending, line;
  int buffered_puts = 0;
  while (std::getline(std::cin, line)) {
    if (line.rfind("PUT ", 0) != 0) {
      std::cout << "ERR" << std::endl;
      continue;
    }
    const std::string record = line.substr(4) + "\n";
    if (buffered) {
      std::cout << "OK" << std::endl;  // acknowledged while the data is only in memory
      pending += record;
      if (++buffered_puts % 16 != 0) continue;
    } else {
      pending = record;
    }
    if (::write(fd, pending.data(), pending.size()) != static_cast<ssize_t>(pending.size()) ||
        ::fdatasync(fd) != 0) {
      std::cout << "ERR" << std::endl;
      return 1;
    }
    pending.clear();
    if (!buffered) std::cout << "OK" << std::endl;
  }
  return 0;
}

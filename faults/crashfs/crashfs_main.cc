// crashfs command line: mount a crashfs with a control socket, or send it one command.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "faults/crashfs/control.h"
#include "faults/crashfs/crashfs.h"

namespace {

using crashlab::crashfs::CrashFs;

int RunMount(const crashlab::crashfs::Options& opts, const std::string& control) {
  // Signals are taken by one thread with sigwait; block them before FUSE threads exist.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::unique_ptr<CrashFs> fs;
  try {
    fs = CrashFs::Mount(opts);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::atomic<bool> stop{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    stop = true;
  });
  std::cout << "crashfs: " << opts.backing << " mounted on " << opts.mountpoint
            << (control.empty() ? "" : ", control socket " + control) << std::endl;
  int rc = 0;
  try {
    if (control.empty()) {
      while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else {
      crashlab::crashfs::ServeControlSocket(*fs, control, stop);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    rc = 1;
  }
  fs.reset();
  // Wake the signal thread if we stopped for another reason ("quit").
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "crashfs: FUSE passthrough filesystem that simulates power cuts.\n"
      "Data written through the mount is durable only after fsync/fdatasync of the file;\n"
      "created, renamed and removed entries only after fsync of their directory (--fs-model\n"
      "posix), or after any fsync that commits ext4's journal (--fs-model ext4).\n"
      "A power cut (control command) throws away everything else and remounts."};
  app.require_subcommand(1);

  crashlab::crashfs::Options opts;
  std::string control;
  bool no_writeback = false, no_backing_fsync = false, no_allow_other = false;
  CLI::App* mount = app.add_subcommand("mount", "mount BACKING on MOUNTPOINT (foreground)");
  mount->add_option("backing", opts.backing, "backing directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  mount->add_option("mountpoint", opts.mountpoint, "mountpoint")
      ->required()
      ->check(CLI::ExistingDirectory);
  mount->add_option("-c,--control", control, "control socket path (unix stream)");
  mount->add_option("--seed", opts.seed, "seed for torn writes");
  mount->add_flag(
      "--no-writeback", no_writeback,
      "disable kernel writeback caching (slower; write triggers then count write() calls)");
  mount->add_flag("--no-backing-fsync", no_backing_fsync,
                  "do not pass syncs to the backing disk (durability is the model's only)");
  mount->add_flag("--no-allow-other", no_allow_other, "only the mounting user may use the mount");
  mount->add_flag("-d,--debug", opts.debug, "libfuse request log on stderr");
  mount->add_option("--fs-model", opts.fs_model, "persistence model: posix (default) or ext4")
      ->check(CLI::IsMember({"posix", "ext4"}));
  bool no_auto_da_alloc = false;
  mount->add_flag("--no-auto-da-alloc", no_auto_da_alloc,
                  "ext4 model: a rename replacing a file does not flush the source's data");

  std::string socket_path;
  std::vector<std::string> words;
  CLI::App* ctl = app.add_subcommand("ctl", "send one control command and print the answer");
  ctl->add_option("socket", socket_path, "control socket")->required();
  ctl->add_option("command", words, "command and arguments (ctl SOCKET help)")->required();
  ctl->footer(crashlab::crashfs::CommandHelp());

  CLI11_PARSE(app, argc, argv);
  if (mount->parsed()) {
    opts.writeback_cache = !no_writeback;
    opts.backing_fsync = !no_backing_fsync;
    opts.allow_other = !no_allow_other;
    opts.auto_da_alloc = !no_auto_da_alloc;
    return RunMount(opts, control);
  }
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
  try {
    std::string answer = crashlab::crashfs::SendCommand(socket_path, line);
    std::cout << answer << "\n";
    return answer.rfind("error", 0) == 0 || answer == "no" ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}

// Shell completion scripts for bash and zsh, generated from the CLI definition (every
// subcommand and option of the CLI::App) and the registered scenario names.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace crashlab::tools {
std::string BashCompletion(const CLI::App& app);
std::string ZshCompletion(const CLI::App& app);
}  // namespace crashlab::tools

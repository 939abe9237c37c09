// ferry: a declarative plan engine. This file only dispatches to the subcommands.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "dsl/spelling.h"
#include "engine/alloc/allocator.h"
#include "engine/cli/command.h"

namespace ferry::cli {
namespace {

// `-h` and `--help` anywhere before `--`: the command's help, whatever else is on the line.
bool wants_help(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

int run(int argc, char** argv) {
  std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty()) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  if (all[0] == "--help" || all[0] == "-h") {
    print_usage(std::cout);
    return kExitOk;
  }
  if (all[0] == "--version") {
    std::cout << "ferry " << FERRY_VERSION << " (" << allocator_name() << ")\n";
    return kExitOk;
  }
  const Command* command = find_command(all[0]);
  if (!command) {
    std::cerr << "ferry: error: unknown command '" << all[0] << "'" << dsl::did_you_mean(all[0], command_names())
              << "\nRun 'ferry --help' for the list.\n";
    return kExitUsage;
  }
  std::vector<std::string> rest(all.begin() + 1, all.end());
  if (wants_help(rest)) {
    print_help(*command, std::cout);
    return kExitOk;
  }
  std::string error;
  auto args = parse_args(rest, command->options, &error);
  if (args && (args->positionals.size() < command->min_positionals ||
               args->positionals.size() > command->max_positionals)) {
    error = (args->positionals.size() < command->min_positionals ? "missing arguments" : "too many arguments") +
            std::string(" (see the usage line)");
    args.reset();
  }
  if (!args) {
    std::cerr << "ferry " << command->name << ": error: " << error << "\nusage: " << command->usage << "\n";
    return kExitUsage;
  }
  const auto& formats = command->output_formats;
  if (std::find(formats.begin(), formats.end(), args->get("--output", formats.front())) == formats.end()) {
    std::string list;
    for (size_t i = 0; i < formats.size(); ++i) list += (i ? (i + 1 == formats.size() ? " or '" : ", '") : "'") + formats[i] + "'";
    std::cerr << "ferry " << command->name << ": error: --output must be " << list << "\n";
    return kExitUsage;
  }
  return command->run(*args);
}

}  // namespace
}  // namespace ferry::cli

// Every error is meant to be reported where it happens, with what and where; an exception that
// gets here is a bug, but still ends ferry with a message rather than an abort.
int main(int argc, char** argv) {
  try {
    return ferry::cli::run(argc, argv);
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "ferry: error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "ferry: internal error (please report it): " << e.what() << "\n";
  } catch (...) {
    std::cerr << "ferry: internal error (please report it): an unknown exception\n";
  }
  return ferry::cli::kExitUsage;
}

// ferry: a declarative plan engine. This file only dispatches to the subcommands.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "dsl/spelling.h"
#include "engine/alloc/allocator.h"
#include "engine/cli/command.h"

namespace ferry::cli {
namespace {

std::vector<Command> commands() {
  return {check_command(),  graph_command(),    fmt_command(),    convert_command(), diff_command(),
          plan_command(),   apply_command(),    resume_command(), rollback_command(), status_command(),
          s3_command()};
}

void print_usage(std::ostream& out) {
  out << "usage: ferry COMMAND [options]\n\n"
         "ferry compiles plan files (.ferry or .toml) into a graph of typed steps, and runs them.\n\ncommands:\n";
  for (const Command& c : commands()) out << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
  out << "\n`ferry COMMAND --help` describes a command. `ferry --version` prints the version.\n"
         "Exit status: 0 ok, 1 the plan has errors (apply, resume, rollback: the run failed), 2 usage or\n"
         "environment error, 130 interrupted (Ctrl-C).\n";
}

void print_help(const Command& c) {
  std::cout << "usage: " << c.usage << "\n\n" << c.description << "\n\noptions:\n";
  for (const OptionSpec& o : c.options) {
    std::string left = o.name + (o.takes_value ? " " + o.value_name : "");
    std::cout << "  " << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << o.help << "\n";
  }
  std::cout << "  --help                  show this help\n";
}

int run(int argc, char** argv) {
  std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty()) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  if (all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
    print_usage(std::cout);
    return kExitOk;
  }
  if (all[0] == "--version") {
    std::cout << "ferry " << FERRY_VERSION << " (" << allocator_name() << ")\n";
    return kExitOk;
  }
  auto list = commands();
  auto command = std::find_if(list.begin(), list.end(), [&](const Command& c) { return c.name == all[0]; });
  if (command == list.end()) {
    std::vector<std::string> names;
    for (const Command& c : list) names.push_back(c.name);
    std::cerr << "ferry: error: unknown command '" << all[0] << "'" << dsl::did_you_mean(all[0], names)
              << "\nRun 'ferry --help' for the list.\n";
    return kExitUsage;
  }
  std::vector<std::string> rest(all.begin() + 1, all.end());
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
    print_help(*command);
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
  if (std::find(formats.begin(), formats.end(), args->get("--output", "text")) == formats.end()) {
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

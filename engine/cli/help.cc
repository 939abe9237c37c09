// `ferry --help`, `ferry COMMAND --help` and `ferry help [COMMAND]`, from the command table.
#include <iostream>

#include "dsl/spelling.h"
#include "engine/cli/command.h"
#include "engine/cli/text.h"

namespace ferry::cli {

const char* const kAbout = "ferry compiles plan files (.ferry or .toml) into a graph of typed steps, and runs them.";

namespace {

void print_exit_statuses(const std::vector<ExitStatus>& statuses, std::ostream& out) {
  out << "\nexit status:\n";
  for (const ExitStatus& s : statuses) {
    std::string code = "  " + std::to_string(s.code);
    code += std::string(8 - code.size(), ' ');
    out << wrapped(s.meaning, std::string(8, ' '), 100, &code);
  }
}

int run_help(const Args& args) {
  if (args.positionals.empty()) {
    print_usage(std::cout);
    return kExitOk;
  }
  const std::string& name = args.positionals[0];
  const Command* command = find_command(name);
  if (!command) {
    std::cerr << "ferry help: error: unknown command '" << name << "'" << dsl::did_you_mean(name, command_names())
              << "\nRun 'ferry --help' for the list.\n";
    return kExitUsage;
  }
  print_help(*command, std::cout);
  return kExitOk;
}

}  // namespace

void print_usage(std::ostream& out) {
  out << "usage: ferry COMMAND [options]\n\n" << kAbout << "\n\ncommands:\n";
  for (const Command& c : commands()) {
    out << "  " << c.name << std::string(c.name.size() < 12 ? 12 - c.name.size() : 1, ' ') << c.summary << "\n";
  }
  out << "\n`ferry help COMMAND` (or `ferry COMMAND --help`) describes a command. `ferry --version` prints\n"
         "the version.\n";
  print_exit_statuses(exit_statuses(), out);
}

void print_help(const Command& c, std::ostream& out) {
  out << "usage: " << c.usage << "\n\n" << c.description << "\n\noptions:\n";
  for (const OptionSpec& o : c.options) {
    std::string left = o.name + (o.takes_value ? " " + o.value_name : "");
    out << "  " << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << o.help << "\n";
  }
  out << "  -h, --help              show this help\n";
  print_exit_statuses(exit_statuses(c), out);
}

Command help_command() {
  Command c{"help",
            "describe a command (the same as `ferry COMMAND --help`)",
            "ferry help [COMMAND]",
            "Without COMMAND, lists the commands (as `ferry --help`); with one, describes it: its usage,\n"
            "options and exit statuses (as `ferry COMMAND --help`).",
            {},
            run_help};
  c.min_positionals = 0;
  c.exit_0 = "the help was printed";
  c.operands = Operands::kWords;  // the command names, filled in by commands()
  return c;
}

}  // namespace ferry::cli

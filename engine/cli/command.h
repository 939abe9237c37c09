// The subcommands of `ferry`, each a row of the table in main.cc.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "engine/cli/args.h"

namespace ferry::cli {

// Exit statuses, the same for every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitPlanErrors = 1;  // the plan has errors (for `diff`: the plans differ)
inline constexpr int kExitUsage = 2;       // bad command line, or an environment problem
inline constexpr int kExitInterrupted = 130;  // Ctrl-C (128 + SIGINT, as a shell reports it)

// What the positional arguments of a command are, for shell completion.
enum class Operands {
  kFiles,    // plan files, or any path
  kRunDirs,  // run directories (.ferry/runs/...)
  kWords,    // the first is one of Command::operand_words (a step type, a command, a shell)
};

struct Command {
  std::string name;
  std::string summary;
  std::string usage;                 // "ferry check PLAN [options]"
  std::string description;           // a paragraph for --help
  std::vector<OptionSpec> options;   // --help is added for every command
  int (*run)(const Args& args);
  // How many positional arguments the command takes, and what `--output` may be (the first is
  // the default).
  size_t min_positionals = 1;
  size_t max_positionals = 1;
  std::vector<std::string> output_formats = {"text", "json"};
  // What exit status 1 means for this command, "" if it never exits 1; 0, 2 and 130 mean the
  // same for every command (exit_statuses() lists them all, for --help and the man pages).
  std::string exit_1 = "";
  std::string exit_0 = "success";
  Operands operands = Operands::kFiles;
  std::vector<std::string> operand_words = {};
};

// Every command, in the order `ferry --help` lists them; `ferry help`, the completion scripts
// and the man pages (tests/tools/gen_man.cc) read this one table.
const std::vector<Command>& commands();
const Command* find_command(const std::string& name);
std::vector<std::string> command_names();

struct ExitStatus {
  int code;
  std::string meaning;
};
// Every status `command` may exit with, and what each means for it.
std::vector<ExitStatus> exit_statuses(const Command& command);
// The same for `ferry` as a whole (1 is each command's own kind of failure).
std::vector<ExitStatus> exit_statuses();

// What `ferry` is, in a sentence: the top of `ferry --help` and of ferry(1).
extern const char* const kAbout;
// `ferry --help` (the commands and the exit statuses), and `ferry COMMAND --help`.
void print_usage(std::ostream& out);
void print_help(const Command& command, std::ostream& out);

Command check_command();
Command graph_command();
Command fmt_command();
Command convert_command();
Command plan_command();
Command apply_command();
Command resume_command();
Command rollback_command();
Command status_command();
Command report_command();
Command diff_command();
Command s3_command();
Command explain_command();
Command help_command();
Command completion_command();

}  // namespace ferry::cli

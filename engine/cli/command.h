// The subcommands of `ferry`, each a row of the table in main.cc.
#pragma once

#include <string>
#include <vector>

#include "engine/cli/args.h"

namespace ferry::cli {

// Exit statuses, the same for every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitPlanErrors = 1;  // the plan has errors (for `diff`: the plans differ)
inline constexpr int kExitUsage = 2;       // bad command line, or an environment problem

struct Command {
  std::string name;
  std::string summary;
  std::string usage;                 // "ferry check PLAN [options]"
  std::string description;           // a paragraph for --help
  std::vector<OptionSpec> options;   // --help is added for every command
  int (*run)(const Args& args);
  // How many positional arguments the command takes, and what `--output` may be.
  size_t min_positionals = 1;
  size_t max_positionals = 1;
  std::vector<std::string> output_formats = {"text", "json"};
};

Command check_command();
Command graph_command();
Command fmt_command();
Command convert_command();
Command plan_command();
Command apply_command();
Command resume_command();
Command rollback_command();
Command status_command();
Command diff_command();
Command s3_command();

}  // namespace ferry::cli

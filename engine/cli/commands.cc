// The table of `ferry`'s commands, and the exit statuses they share.
#include <algorithm>

#include "engine/cli/command.h"

namespace ferry::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> list = [] {
    std::vector<Command> out = {check_command(),    graph_command(),  fmt_command(),      convert_command(),
                                diff_command(),     plan_command(),   apply_command(),    resume_command(),
                                rollback_command(), status_command(), report_command(),   s3_command(),
                                explain_command(),  help_command(),   completion_command()};
    // `help` takes a command name: known only once the table is.
    for (Command& c : out) {
      if (c.name == "help") {
        for (const Command& named : out) c.operand_words.push_back(named.name);
      }
    }
    return out;
  }();
  return list;
}

const Command* find_command(const std::string& name) {
  const auto& list = commands();
  auto it = std::find_if(list.begin(), list.end(), [&](const Command& c) { return c.name == name; });
  return it == list.end() ? nullptr : &*it;
}

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const Command& c : commands()) names.push_back(c.name);
  return names;
}

namespace {

const char* const kUsageMeaning = "a usage or environment problem (bad arguments, a file that cannot be read)";
const char* const kInterruptedMeaning = "interrupted (Ctrl-C)";

}  // namespace

std::vector<ExitStatus> exit_statuses(const Command& command) {
  std::vector<ExitStatus> out = {{kExitOk, command.exit_0}};
  if (!command.exit_1.empty()) out.push_back({kExitPlanErrors, command.exit_1});
  out.push_back({kExitUsage, kUsageMeaning});
  out.push_back({kExitInterrupted, kInterruptedMeaning});
  return out;
}

std::vector<ExitStatus> exit_statuses() {
  return {{kExitOk, "success"},
          {kExitPlanErrors, "the command's own failure: the plan has errors (check, graph, fmt, convert, plan), the run "
                            "failed (apply, resume, rollback), the plans differ (diff), the request failed (s3)"},
          {kExitUsage, kUsageMeaning},
          {kExitInterrupted, kInterruptedMeaning}};
}

}  // namespace ferry::cli

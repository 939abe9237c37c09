// The part of apply, resume and rollback that runs the executor over a run directory: the
// journal, Ctrl-C, the view, and what to tell the user at the end.
#pragma once

#include <string>
#include <vector>

#include "engine/cli/args.h"
#include "engine/cli/run_setup.h"

namespace ferry::cli {

enum class RunMode { kApply, kResume, kRollback };

// The options apply, resume and rollback share: the plan's inputs, `--output` (text, or the
// event stream), and the executor's.
std::vector<OptionSpec> run_command_options();

int execute_run(const Args& args, const std::string& dir, const RunInput& input, const engine::RunOptions& options,
                engine::RunState prior, RunMode mode);

}  // namespace ferry::cli

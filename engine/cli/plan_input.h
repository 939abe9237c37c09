// What every command that compiles a plan shares: --var/--vars-file, and how errors are shown.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsl/compiler.h"
#include "dsl/diagnostics.h"
#include "engine/cli/args.h"

namespace ferry::cli {

// --var K=V (repeatable), --vars-file FILE (repeatable), --output text|json.
std::vector<OptionSpec> plan_input_options();

// A compiled plan and the files it came from (the IR's spans point into `sources`).
struct CompiledPlan {
  dsl::SourceSet sources;
  dsl::Ir ir;
};

// Compiles the plan at args.positionals[0] with the variables the args give. On errors prints
// them (text, or JSON with --output json) and sets *exit_status: 1 for errors in the plan, 2
// for a plan file that cannot be read or a bad --var.
std::unique_ptr<CompiledPlan> compile_from_args(const Args& args, int* exit_status);

// The same for the plan at `path` (a command that compiles several plans, like diff).
// `shown_as`, when set, names the plan in messages instead of `path` (a temporary copy of a
// file read from git is shown as `REV:path`). `vars_for_this_plan`: false when a --var may be
// meant for another plan, so one this plan does not use is not an error. `discover` answers the
// plan's discover() calls (dsl::CompileOptions::discover); without it they are errors.
std::unique_ptr<CompiledPlan> compile_plan_at(
    const std::string& path, const Args& args, int* exit_status, const std::string& shown_as = "",
    bool vars_for_this_plan = true,
    std::function<dsl::DiscoverAnswer(const dsl::DiscoverQuery&)> discover = nullptr);

// The variables --var and --vars-file give (later wins), without compiling anything: what a
// saved plan or a run directory takes its secret params from. std::nullopt (after printing
// why) on a bad --var or vars file.
std::optional<std::map<std::string, std::string>> vars_from_args(const Args& args, int* exit_status);

// Prints diagnostics to stderr (text) or stdout (--output json).
void report(const dsl::Diagnostics& diags, const Args& args);
dsl::json diagnostics_json(const dsl::Diagnostics& diags);

}  // namespace ferry::cli

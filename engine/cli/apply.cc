// `ferry apply`: runs a plan (a source compiled now, or a plan saved by `ferry plan -out`),
// journaling every step in a new run directory.
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/run_command.h"
#include "engine/cli/run_setup.h"
#include "engine/base/durable_file.h"
#include "engine/run/run_dir.h"
#include "engine/run/run_lock.h"

namespace ferry::cli {
namespace {

int run_apply(const Args& args) {
  int status = kExitOk;
  auto input = load_run_input(args, args.positionals[0], &status);
  if (!input) return status;
  auto options = run_options_from(args, &status);
  if (!options) return status;
  if (!preflight_ok(args, *input, engine::RunState{}, false, &status)) return status;
  std::string error;
  auto dir = engine::create_run_dir(args.get("--run-dir"), input->ir.plan, &error);
  if (!dir) {
    std::cerr << "ferry: error: " << error << "\n";
    return kExitUsage;
  }
  auto lock = engine::RunLock::acquire(*dir, &error);
  if (!lock || !engine::write_file_durably(engine::plan_file(*dir), input->saved, &error)) {
    std::cerr << "ferry: error: " << error << "\n";
    return kExitUsage;
  }
  return execute_run(args, *dir, *input, *options, engine::RunState{}, RunMode::kApply);
}

}  // namespace

Command apply_command() {
  auto options = run_command_options();
  options.push_back({"--run-dir", true, "where to keep the journal and files (default .ferry/runs/TIME-PLAN)", "DIR"});
  Command c{"apply",
          "run a plan, journaling every step",
          "ferry apply PLAN|SAVED_PLAN [--var NAME=VALUE]... [--vars-file FILE]... [--run-dir DIR] [--yes]",
          "Runs the plan's steps phase by phase, as many at once as --parallelism allows, with the\n"
          "plan's retries, timeouts and rollback. Every state change is journaled (fsync'd) in the run\n"
          "directory, so an interrupted run can be continued with `ferry resume DIR` or undone with\n"
          "`ferry rollback DIR`.",
          options,
          run_apply};
  c.exit_0 = "every step succeeded";
  c.exit_1 = "the plan has errors, or the run failed (rolled back or not) or partially failed (a scope failed)";
  return c;
}

}  // namespace ferry::cli

// `ferry resume DIR` and `ferry rollback DIR`: continue or undo a run from its journal.
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/run_command.h"
#include "engine/cli/run_setup.h"

namespace ferry::cli {
namespace {

int run_resume(const Args& args) {
  int status = kExitOk;
  std::string plan = args.positionals.size() > 1 ? args.positionals[1] : "";
  auto run = open_run(args, args.positionals[0], plan, OpenFor::kRunning, &status);
  if (!run) return status;
  auto options = run_options_from(args, &status);
  if (!options) return status;
  if (args.has("--rerun")) {
    for (const auto& id : args.options.at("--rerun")) options->rerun.insert(id);
  }
  if (args.has("--assume-done")) {
    for (const auto& id : args.options.at("--assume-done")) options->assume_done.insert(id);
  }
  for (const auto* ids : {&options->rerun, &options->assume_done}) {
    for (const auto& id : *ids) {
      if (!run->input.ir.find(id)) {
        std::cerr << "ferry: error: " << (ids == &options->rerun ? "--rerun " : "--assume-done ") << id
                  << ": the plan has no such step\n";
        return kExitUsage;
      }
    }
  }
  if (run->state.result == "succeeded") {
    std::cout << "nothing to resume: the run in " << run->dir << " succeeded\n";
    return kExitOk;
  }
  if (run->state.result == "rolled_back") {
    std::cerr << "ferry: error: the run in " << run->dir << " was rolled back; start a new one with ferry apply\n";
    return kExitUsage;
  }
  if (!preflight_ok(args, run->input, run->state, false, &status)) return status;
  return execute_run(args, run->dir, run->input, *options, std::move(run->state), RunMode::kResume);
}

int run_rollback(const Args& args) {
  int status = kExitOk;
  auto run = open_run(args, args.positionals[0], "", OpenFor::kRunning, &status);
  if (!run) return status;
  if (run->state.result.empty() && !run->state.steps.empty()) {
    std::cerr << "ferry: note: the run did not end (interrupted or crashed); undoing what it completed\n";
  }
  auto options = run_options_from(args, &status);
  if (!options) return status;
  if (!preflight_ok(args, run->input, run->state, true, &status)) return status;
  return execute_run(args, run->dir, run->input, *options, std::move(run->state), RunMode::kRollback);
}

}  // namespace

Command resume_command() {
  auto options = run_command_options();
  options.push_back({"--rerun", true, "run this unfinished step again (it is safe to); repeatable", "STEP"});
  options.push_back({"--assume-done", true, "treat this unfinished step as having taken effect; repeatable", "STEP"});
  Command c{"resume",
            "continue a stopped or crashed run",
            "ferry resume DIR [PLAN] [--rerun STEP]... [--assume-done STEP]... [--var NAME=VALUE]...",
            "Continues the run in DIR from its journal: finished steps are not run again; a step that\n"
            "started but did not finish runs again if it is idempotent, otherwise you decide with --rerun or\n"
            "--assume-done. With PLAN, refuses if PLAN no longer compiles to the run's plan.",
            options,
            run_resume};
  c.max_positionals = 2;
  c.exit_0 = "every step succeeded";
  c.exit_1 = "PLAN has errors, or the run failed (rolled back or not)";
  c.operands = Operands::kRunDirs;
  return c;
}

Command rollback_command() {
  auto options = run_command_options();
  Command c{"rollback",
          "undo a run: compensate its completed steps in reverse order",
          "ferry rollback DIR [--var NAME=VALUE]... [--yes]",
          "Undoes the run in DIR, finished or not: the rollback of each completed step (automatic,\n"
          "or the plan's rollback block) runs in reverse completion order, from the undo data the\n"
          "journal kept. A failing compensation stops the rollback (what was done before it stays);\n"
          "run it again, once the cause is fixed, to go on from there.",
          options,
          run_rollback};
  c.exit_0 = "the run is rolled back";
  c.exit_1 = "a compensation failed: the rollback stopped there";
  c.operands = Operands::kRunDirs;
  return c;
}

}  // namespace ferry::cli

// `ferry resume DIR` and `ferry rollback DIR`: continue or undo a run from its journal.
#include <algorithm>
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/run_command.h"
#include "engine/cli/run_setup.h"
#include "engine/run/scopes.h"

namespace ferry::cli {
namespace {

// A --retry-scope or --scope NAME must name a scope of the plan; false (after saying so) if not.
bool is_plan_scope(const dsl::Ir& ir, const std::string& option, const std::string& name) {
  std::vector<std::string> scopes = engine::scope_names(ir);
  if (std::find(scopes.begin(), scopes.end(), name) != scopes.end()) return true;
  std::cerr << "ferry: error: " << option << " " << name << ": the plan has no such scope";
  if (scopes.empty()) {
    std::cerr << " (it has none: a scope is an 'isolated' template instance)\n";
  } else {
    std::string list;
    for (const std::string& s : scopes) list += (list.empty() ? "" : ", ") + s;
    std::cerr << "; its scopes: " << list << "\n";
  }
  return false;
}

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
  if (args.has("--retry-scope")) {
    for (const auto& name : args.options.at("--retry-scope")) {
      if (!is_plan_scope(run->input.ir, "--retry-scope", name)) return kExitUsage;
      options->retry_scopes.insert(name);
    }
  }
  if (run->state.result == "partially_failed" && options->retry_scopes.empty()) {
    std::string scopes;
    for (const auto& [name, r] : run->state.scopes) scopes += (scopes.empty() ? "" : ", ") + name;
    std::cout << "nothing to resume: the run in " << run->dir << " finished but for its failed scopes (" << scopes
              << "); run one again with --retry-scope NAME\n";
    return 1;  // the run's own status, as it ended: partially failed
  }
  if (run->state.result == "succeeded" && options->retry_scopes.empty()) {
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
  if (args.has("--scope")) {  // an empty name is no scope: never the whole run by mistake
    std::string scope = args.get("--scope");
    if (!is_plan_scope(run->input.ir, "--scope", scope)) return kExitUsage;
    auto it = run->state.scopes.find(scope);
    if (it != run->state.scopes.end() && it->second.state == engine::ScopeState::kRolledBack) {
      std::cout << "nothing to undo: scope " << scope << " was rolled back\n";
      return kExitOk;
    }
  }
  if (!preflight_ok(args, run->input, run->state, true, &status)) return status;
  return execute_run(args, run->dir, run->input, *options, std::move(run->state), RunMode::kRollback);
}

}  // namespace

Command resume_command() {
  auto options = run_command_options();
  options.push_back({"--rerun", true, "run this unfinished step again (it is safe to); repeatable", "STEP"});
  options.push_back({"--assume-done", true, "treat this unfinished step as having taken effect; repeatable", "STEP"});
  options.push_back({"--retry-scope", true, "run this failed (and rolled back) scope again; repeatable", "NAME"});
  Command c{"resume",
            "continue a stopped or crashed run",
            "ferry resume DIR [PLAN] [--rerun STEP]... [--assume-done STEP]... [--retry-scope NAME]... "
            "[--var NAME=VALUE]...",
            "Continues the run in DIR from its journal: finished steps are not run again; a step that\n"
            "started but did not finish runs again if it is idempotent, otherwise you decide with --rerun or\n"
            "--assume-done. Failed scopes stay failed (their compensation is finished first if a crash\n"
            "cut it short) unless --retry-scope names them. With PLAN, refuses if PLAN no longer compiles\n"
            "to the run's plan.",
            options,
            run_resume};
  c.max_positionals = 2;
  c.exit_0 = "every step succeeded";
  c.exit_1 = "PLAN has errors, or the run failed (rolled back or not) or partially failed (a scope failed)";
  c.operands = Operands::kRunDirs;
  return c;
}

Command rollback_command() {
  auto options = run_command_options();
  options.push_back({"--scope", true, "undo only this failure scope (an isolated instance); the rest of the run stays", "NAME"});
  Command c{"rollback",
          "undo a run: compensate its completed steps in reverse order",
          "ferry rollback DIR [--scope NAME] [--var NAME=VALUE]... [--yes]",
          "Undoes the run in DIR, finished or not: the rollback of each completed step (automatic,\n"
          "or the plan's rollback block) runs in reverse completion order, from the undo data the\n"
          "journal kept. A failing compensation stops the rollback (what was done before it stays);\n"
          "run it again, once the cause is fixed, to go on from there. With --scope, undoes only\n"
          "that scope's steps (failing it first if it had not failed: what depends on it is skipped).",
          options,
          run_rollback};
  c.exit_0 = "the run is rolled back";
  c.exit_1 = "a compensation failed: the rollback stopped there";
  c.operands = Operands::kRunDirs;
  return c;
}

}  // namespace ferry::cli

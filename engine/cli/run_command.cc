#include "engine/cli/run_command.h"

#include <filesystem>
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/run_view.h"
#include "engine/run/journal.h"
#include "engine/run/run_dir.h"
#include "engine/steps/services.h"

namespace ferry::cli {

std::vector<OptionSpec> run_command_options() {
  auto options = plan_input_options();
  for (auto& o : options) {
    if (o.name == "--output") o.help = "text (default), or json: the run's events as JSON lines on stdout (docs/cli.md)";
  }
  for (auto& o : executor_options()) options.push_back(o);
  return options;
}

int execute_run(const Args& args, const std::string& dir, const RunInput& input, const engine::RunOptions& options,
                engine::RunState prior, RunMode mode) {
  engine::Redactor redactor;
  for (const auto& [name, value] : input.secrets) redactor.add(value);
  engine::json header = engine::journal_header(input.ir, input.hash, input.source, FERRY_VERSION);
  std::string error;
  auto journal = engine::JournalWriter::open(engine::journal_file(dir), header, &redactor, &error);
  if (!journal) {
    std::cerr << "ferry: error: " << error << "\n";
    return 2;
  }
  engine::RunOptions opt = options;
  opt.run_dir = dir;
  opt.secrets = input.secrets;
  engine::Services services = services_from(args);
  RunView view(args, input.ir, dir, redactor);
  int lease_status = kExitOk;
  auto lease_settings = lease_settings_from(args, &lease_status);  // checked by run_options_from already
  if (!lease_settings) return lease_status;
  // The absolute run directory: `ferry resume` from another working directory is still this run
  // (kube::LeaseHolder::same_run).
  std::string absolute_dir = std::filesystem::absolute(dir).lexically_normal().string();
  if (absolute_dir.size() > 1 && absolute_dir.back() == '/') absolute_dir.pop_back();
  engine::LeaseKeeper leases(input.ir, services, engine::kube::LeaseHolder::here(absolute_dir, FERRY_VERSION),
                             *lease_settings, [&view](const std::string& line) { view.say(line); });
  opt.holds = &leases;
  auto runner = engine::real_runner();
  engine::Executor executor(input.ir, opt, services, engine::real_clock(), redactor, *runner, journal.get(),
                            view.sink(), std::move(prior));
  engine::CancelToken cancel;
  engine::RunResult result;
  {
    SignalGuard guard(cancel);
    if (mode == RunMode::kRollback) {
      // rollback's own option (checked to name a scope): one failure scope alone.
      result = args.has("--scope") ? executor.rollback_scope(cancel, args.get("--scope"))
                                   : executor.rollback(cancel, "ferry rollback");
    } else {
      result = executor.run(cancel);
    }
  }
  if (!executor.fatal_error().empty()) {
    std::cerr << "ferry: error: " << redactor.redact(executor.fatal_error()) << "\n";
    if (executor.state().steps.empty() || mode == RunMode::kResume) {
      view.ended(kExitUsage);
      return kExitUsage;
    }
  }
  switch (result) {
    case engine::RunResult::kSucceeded:
      view.say("done: every step succeeded (journal: " + engine::journal_file(dir) + ")");
      break;
    case engine::RunResult::kCancelled:
      view.say("stopped. Continue with: ferry resume " + dir + "   or undo with: ferry rollback " + dir);
      break;
    case engine::RunResult::kFailed:
      view.say("failed. Fix the cause, then: ferry resume " + dir + "   or undo with: ferry rollback " + dir);
      break;
    case engine::RunResult::kRolledBack:
      view.say(mode == RunMode::kRollback ? "rolled back" : "failed, and rolled back");
      break;
    case engine::RunResult::kPartiallyFailed: {
      std::string scopes;
      bool undone = true;
      for (const auto& [scope, r] : executor.state().scopes) {
        scopes += (scopes.empty() ? "" : ", ") + scope;
        undone = undone && r.state == engine::ScopeState::kRolledBack;
      }
      view.say("partially failed: the rest of the run finished, but not the failed scopes (" + scopes + "), " +
               (undone ? "each rolled back alone; run one again with: ferry resume " + dir + " --retry-scope NAME"
                       : "not all rolled back: see `ferry status " + dir + "`"));
      break;
    }
    case engine::RunResult::kRollbackFailed:
      view.say("rollback incomplete: see `ferry status " + dir + "`; fix the cause and run `ferry rollback " + dir +
               "` again");
      break;
  }
  int status = exit_status_for(result, mode == RunMode::kRollback);
  view.ended(status);
  return status;
}

}  // namespace ferry::cli

// What `plan`, `apply`, `resume` and `rollback` share: their options, loading the plan to run
// (a source compiled now, or a saved plan), the secrets it needs, the run directory, Ctrl-C.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/cli/args.h"
#include "engine/cli/plan_input.h"
#include "engine/run/run_lock.h"
#include "engine/base/cancel.h"
#include "engine/run/executor.h"
#include "engine/steps/lease_keeper.h"
#include "engine/steps/services.h"

namespace ferry::cli {

// --parallelism, --pool, --on-failure, --yes, --kubectl, --lease-duration, --wait-for-lease,
// --log-file, -v.
std::vector<OptionSpec> executor_options();

struct RunInput {
  dsl::Ir ir;
  std::string source;  // the path it came from
  std::string hash;    // dsl::ir_hash(ir)
  std::string saved;   // the plan as a saved-plan file (engine/run/saved_plan.h)
  std::map<std::string, std::string> secrets;
};

// A .ferry/.toml plan compiled with the args' variables, or a saved plan (verified). Secret
// params take their value from the compile, else --var/--vars-file, else the environment
// variable of the same name. A secret a step needs but nobody gave is an error here, before
// anything runs. Prints errors; nullopt with *exit_status set.
std::optional<RunInput> load_run_input(const Args& args, const std::string& path, int* exit_status);
// Secrets for an IR read back from a run directory.
bool fill_secrets(const Args& args, RunInput* input, int* exit_status);

// Options for the executor from the args; nullopt (after printing why) on a bad value.
std::optional<engine::RunOptions> run_options_from(const Args& args, int* exit_status);
engine::Services services_from(const Args& args);
// The kubectl to run: --kubectl, else $FERRY_KUBECTL, else kubectl on PATH.
std::string kubectl_from(const Args& args);
// --lease-duration and --wait-for-lease; nullopt (after printing why) on a bad value.
std::optional<engine::LeaseSettings> lease_settings_from(const Args& args, int* exit_status);

// Refuses a run whose steps lack what can be checked before the first one (a terminal or --yes
// for a gate, kubeconfigs, AWS credentials; engine/steps/preflight.h): prints every problem and
// sets *exit_status to 2. `rollback`: the steps of the rollback blocks.
bool preflight_ok(const Args& args, const RunInput& input, const engine::RunState& prior, bool rollback,
                  int* exit_status);

// While alive, SIGINT and SIGTERM cancel `token` (a second SIGINT exits at once: the journal is
// already on disk); restores the default handlers when destroyed.
class SignalGuard {
 public:
  explicit SignalGuard(const engine::CancelToken& token);
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
};

// The exit status for a run's result: 0 succeeded (or fully rolled back by `ferry rollback`),
// 1 failed, 130 cancelled.
int exit_status_for(engine::RunResult result, bool rollback_command);

}  // namespace ferry::cli

namespace ferry::cli {

// A run directory read back: its plan (verified against the journal's hash) and its state.
struct OpenedRun {
  std::string dir;
  RunInput input;
  engine::RunState state;
  std::vector<engine::json> events;  // the journal's, as read: when things happened (status's times)
  std::unique_ptr<engine::RunLock> lock;  // held from before the journal is read (kRunning)
};

// kReading: to show it (`status`). kRunning: to append to it (`resume`, `rollback`): the run's
// lock is taken before anything is read, and the secrets its steps need are filled in.
enum class OpenFor { kReading, kRunning };

// Reads the run directory (engine/run/run_dir.h). With `plan_path` (a source or saved plan),
// also compiles it and refuses if its IR differs from the run's. Prints errors; nullopt with
// *exit_status set.
std::optional<OpenedRun> open_run(const Args& args, const std::string& dir, const std::string& plan_path,
                                  OpenFor purpose, int* exit_status);

}  // namespace ferry::cli

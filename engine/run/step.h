// The step-type interface: how the engine runs a step of a given type, shows it in a dry run,
// undoes it, and decides whether a half-done attempt may be run again.
//
// One step type is one file pair in engine/steps/ (its render, run and inverse together) and
// one line in engine/steps/registry.cc (find_step_impl, engine/steps/registry.h). The type's
// fields, outputs and traits (idempotent, has_inverse) come from the schema registry in
// dsl/step_types.cc.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsl/ir.h"
#include "engine/base/action.h"
#include "engine/base/cancel.h"
#include "engine/base/clock.h"
#include "engine/base/redactor.h"
#include "engine/base/status.h"

namespace ferry::engine {

using json = nlohmann::json;

// What steps may use besides their arguments (engine/steps/services.h): the step types know
// it; the executor only hands it on.
struct Services;

// Everything one attempt of a step gets.
struct StepContext {
  const dsl::IrStep* step = nullptr;
  // The step's own fields with every reference resolved: earlier steps' outputs, secrets (the
  // real values; they are registered with `redactor`). In a dry run, what is not known yet
  // is a placeholder string like "<snap[etcd-0].path>".
  json args;
  const dsl::IrCluster* cluster = nullptr;  // nullptr when the step names none
  std::string run_dir;                      // the run's directory (0700); files a step writes go here
  int attempt = 1;
  Clock* clock = nullptr;
  // Fires on Ctrl-C / SIGTERM (class cancelled) and when the step's timeout passes (timeout).
  CancelToken cancel;
  Millis deadline{0};  // when this attempt times out, on `clock` (0: no timeout)
  const Redactor* redactor = nullptr;
  const Services* services = nullptr;
  // One line to the log (a state change or a detail); it is redacted there. Like `taint` and
  // `progress`, it may be called from threads the step starts (an upload's parts).
  std::function<void(const std::string&)> log;
  // Where a long step is now ("312 of 1024 MiB, 85 MiB/s"), for the live status line: shown
  // while the step runs, never journaled or logged. May be called often, from any thread.
  std::function<void(const std::string&)> progress;
  // Journals what the inverse needs, before the step changes anything (e.g. the replica
  // counts before a scale). The first value saved in a run is what the inverse gets: a retry
  // or a resumed attempt would otherwise record the state ferry itself left.
  std::function<void(const json&)> save_undo;
  // Marks a value the step produced as secret (e.g. a presigned URL, a Secret's data).
  std::function<void(const std::string&)> taint;

  // The field `name`, or `fallback` when unset.
  json arg(const std::string& name, json fallback = nullptr) const {
    auto it = args.find(name);
    return it == args.end() || it->is_null() ? fallback : *it;
  }
  // Sleeps `ms` unless cancelled first; the cancel token's status if it fired.
  Status sleep_for(Millis ms);
};

struct StepResult {
  Status status;
  json outputs = json::object();  // by the names of the schema's outputs
};

struct StepImpl {
  std::string type;
  // Does nothing outside ferry (no command, no request): its journal events need no sync of
  // their own (the next synced one syncs them) and the scheduler runs it itself, not a worker.
  bool local_only = false;
  // The actions a run would take with these arguments (a dry run calls only this).
  std::function<std::vector<Action>(const StepContext&)> render;
  std::function<StepResult(StepContext&)> run;
  // The automatic rollback (`rollback = auto`), given the undo data journaled by run, and what
  // it would do in a dry run. Empty when the type has none.
  std::function<Status(StepContext&, const json& undo)> inverse;
  std::function<std::vector<Action>(const StepContext&)> render_inverse;
  // What this step needs here that can be checked before the run's first step, without
  // acting (a terminal or --yes for a gate, AWS credentials): an error (class invalid or
  // unauthorized) refuses the run as an environment error. Empty: nothing to check. (The
  // kubeconfig of a step's cluster is checked for every type.)
  std::function<Status(StepContext&)> preflight;
  // Registers (ctx.taint) the secrets a successful step made in an earlier process of the run,
  // from what the journal kept of it (`outputs`, its non-secret outputs), so a resumed or
  // rolled-back run redacts them before it journals anything: a presigned URL signed again
  // at the same time, a backup's Secret data read again. Empty: the type makes no secrets.
  std::function<Status(StepContext&, const json& outputs)> retaint;
  // A concurrency pool the step always counts against (depth 1), e.g. one exec per pod:
  // "exec:source/clusters-x/etcd-0". Empty: none beyond the step's own `pool`.
  std::function<std::string(const StepContext&)> implicit_pool;
};

}  // namespace ferry::engine

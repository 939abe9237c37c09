// Runs a local command: argv (never through a shell), extra environment, working directory,
// text on stdin; stdout captured (up to a cap), stderr captured for messages. The command runs
// in its own process group and dies with ferry (PR_SET_PDEATHSIG), so a cancelled or crashed
// run never leaves it behind; cancellation sends SIGTERM, then SIGKILL after a grace period.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/base/cancel.h"
#include "engine/base/status.h"

namespace ferry::engine {

struct ProcessSpec {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to (or replacing in) ferry's environment
  std::string cwd;                         // "" to stay in ferry's
  std::string stdin_text;
  size_t max_stdout = 16 << 20;            // bytes kept; more is an error
  size_t max_stderr = 64 << 10;            // bytes kept; the rest is dropped (the tail is what matters)
};

struct ProcessResult {
  Status status;       // ok if it ran to an exit status; else why not (not found, cancelled, timeout, too much output)
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string out;
  std::string err;
};

ProcessResult run_process(const ProcessSpec& spec, const CancelToken& cancel);

// Starts a command that keeps running beside ferry (a `kubectl proxy`): stdin from /dev/null,
// stdout and stderr appended to `log_path` (made 0600), in its own process group. It dies with
// the *thread* that started it (PR_SET_PDEATHSIG follows the thread), so start it from one that
// lives as long as ferry. *pid is the child; the caller reaps it.
Status start_process(const ProcessSpec& spec, const std::string& log_path, int* pid);

}  // namespace ferry::engine

// What a person sees of a run: one log line per state change (spdlog: the terminal, the run
// directory's ferry.log, --log-file), every line redacted on its way to any sink; and on a
// terminal a live status line under the log (phase, running steps, attempts, elapsed).
//
// With --output json, what a program sees too: stdout is a stream of JSON lines, one per event
// (the journal's, redacted, with the run directory), progress and the command's own messages,
// ending with the command's exit status (docs/cli.md, "The event stream").
#pragma once

#include <memory>
#include <string>

#include "dsl/ir.h"
#include "engine/cli/args.h"
#include "engine/run/executor.h"
#include "engine/base/redactor.h"

namespace ferry::cli {

class RunView {
 public:
  // Logs to stderr, `run_dir`/ferry.log and --log-file; -v adds step details.
  RunView(const Args& args, const dsl::Ir& ir, const std::string& run_dir, const engine::Redactor& redactor);
  ~RunView();
  engine::EventSink sink();
  // A line of the command's own (a summary, how to resume), through the same sinks.
  void say(const std::string& line);
  // The command is about to exit with `exit_status`: the stream's last line.
  void ended(int exit_status);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::cli

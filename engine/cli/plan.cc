// `ferry plan`: the dry run. The executor's scheduler with a recording runner shows what
// `apply` would do, in order, with the commands it would run; `-out FILE` saves the reviewed
// plan so `ferry apply FILE` runs exactly that.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/run_setup.h"
#include "engine/run/dry_run.h"
#include "engine/base/durable_file.h"
#include "engine/run/saved_plan.h"

namespace ferry::cli {
namespace {

int run_plan(const Args& args) {
  int status = kExitOk;
  auto input = load_run_input(args, args.positionals[0], &status);
  if (!input) return status;
  auto options = run_options_from(args, &status);
  if (!options) return status;
  engine::PlanReport report = engine::dry_run(input->ir, input->hash, *options, services_from(args));
  std::string format = args.get("--output", "text");
  if (format == "json") {
    std::cout << engine::plan_json(report).dump(2) << "\n";
  } else if (format == "markdown") {
    std::cout << engine::plan_markdown(report);
  } else {
    bool color = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
    std::cout << engine::plan_text(report, color);
  }
  std::string out = args.has("-out") ? args.get("-out") : args.get("--out");
  if (!out.empty()) {
    std::string error;
    if (!engine::write_file_durably(out, input->saved, &error, engine::FileMode::kKeepExisting)) {
      std::cerr << "ferry: error: " << error << "\n";
      return kExitUsage;
    }
    std::cerr << "saved the plan to " << out << "; run exactly it with: ferry apply " << out << "\n";
  }
  for (const auto& step : report.steps) {
    if (!step.error.empty()) return 1;
  }
  return kExitOk;
}

}  // namespace

Command plan_command() {
  auto options = plan_input_options();
  for (auto& o : options) {
    if (o.name == "--output") o.help = "text (default), json or markdown";
  }
  options.push_back({"-out", true, "save the plan (IR and hash) for `ferry apply FILE`", "FILE"});
  options.push_back({"--out", true, "the same as -out", "FILE"});
  for (auto& o : executor_options()) options.push_back(o);
  Command c{"plan",
            "show what apply would do (a dry run), and save it for review",
            "ferry plan PLAN [--var NAME=VALUE]... [--vars-file FILE]... [-out FILE] [--output text|json|markdown]",
            "Runs the plan's scheduler without acting: every step in the order apply would start it, the\n"
            "steps that can run together, each step's resolved arguments and the exact commands or\n"
            "requests it would send, the rollback it would get, and totals. Outputs of earlier steps show\n"
            "as <step.output>, secrets as <redacted>.",
            options,
            run_plan};
  c.output_formats = {"text", "json", "markdown"};
  c.exit_1 = "the plan has errors, or a step could not be planned";
  return c;
}

}  // namespace ferry::cli

// `ferry check`: compile a plan and report every error, or summarize it (or dump its IR).
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/plan_input.h"

namespace ferry::cli {
namespace {

int run_check(const Args& args) {
  int status = kExitOk;
  auto plan = compile_from_args(args, &status);
  if (!plan) return status;
  const dsl::Ir& ir = plan->ir;
  std::string emit = args.get("--emit");
  if (emit == "ir") {
    std::cout << dsl::ir_to_json(ir).dump(2) << "\n";
    return kExitOk;
  }
  if (args.get("--output") == "json") {
    dsl::json phases = dsl::json::array();
    for (const dsl::IrPhase& p : ir.phases) phases.push_back({{"name", p.name}, {"steps", p.steps.size()}});
    std::cout << dsl::json{{"ok", true},           {"plan", ir.plan},   {"hash", dsl::ir_hash(ir)},
                           {"steps", ir.steps.size()}, {"phases", phases}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "ok: plan '" << ir.plan << "': " << ir.steps.size() << (ir.steps.size() == 1 ? " step" : " steps")
            << " in " << ir.phases.size() << (ir.phases.size() == 1 ? " phase" : " phases") << " (";
  for (size_t i = 0; i < ir.phases.size(); ++i) {
    std::cout << (i ? ", " : "") << ir.phases[i].name << ": " << ir.phases[i].steps.size();
  }
  std::cout << ")\n";
  return kExitOk;
}

}  // namespace

Command check_command() {
  auto options = plan_input_options();
  options.push_back({"--emit", true, "print a compile stage instead of the summary: 'ir' (canonical JSON)", "STAGE"});
  Command c{"check",
          "compile a plan and report every error",
          "ferry check PLAN [--var NAME=VALUE]... [--vars-file FILE]... [--emit ir] [--output json]",
          "Compiles PLAN (.ferry or .toml) and the modules it uses, and reports every error at once as\n"
          "file:line:col with the source line.",
          options,
          run_check};
  c.exit_0 = "the plan is valid";
  c.exit_1 = "the plan has errors";
  return c;
}

}  // namespace ferry::cli

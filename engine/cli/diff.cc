// `ferry diff OLD NEW`: what a run of NEW does differently from a run of OLD. Both plans are
// compiled with the same variables and compared on the IR (engine/diff/); either may be read
// from git as REV:path. Exit status like diff(1): 0 the same, 1 different, 2 trouble.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "engine/cli/command.h"
#include "engine/cli/plan_input.h"
#include "engine/diff/git_plan.h"
#include "engine/diff/git_show.h"
#include "engine/diff/plan_diff.h"
#include "engine/diff/render.h"

namespace ferry::cli {
namespace {

// One side of the diff: a plan file, or `REV:path` copied out of git.
class PlanSide {
 public:
  // Resolves `arg`; on failure prints why and returns false.
  bool open(const std::string& arg) {
    label_ = arg;
    if (!diff::is_git_spec(arg)) return true;
    from_git_ = true;
    std::string error;
    if (!git_copy_.open(arg, &error)) {
      std::cerr << "ferry diff: error: " << error << "\n";
      return false;
    }
    return true;
  }

  const std::string& label() const { return label_; }
  const std::string& path() const { return from_git_ ? git_copy_.path() : label_; }
  // How messages name the plan: the REV:path it came from, or "" when that is its path.
  std::string shown_as() const { return from_git_ ? label_ : ""; }

 private:
  std::string label_;
  bool from_git_ = false;
  diff::GitPlanCopy git_copy_;
};

bool use_color() {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

int run_diff(const Args& args) {
  PlanSide sides[2];
  std::unique_ptr<CompiledPlan> plans[2];
  for (int i = 0; i < 2; ++i) {
    if (!sides[i].open(args.positionals[i])) return kExitUsage;
    int status = kExitOk;
    // A --var may be for one side only (a param the new plan adds), so neither side insists.
    plans[i] = compile_plan_at(sides[i].path(), args, &status, sides[i].shown_as(), false);
    // Unlike other commands, exit status 1 means "the plans differ": a plan that does not
    // compile is trouble (2).
    if (!plans[i]) return kExitUsage;
  }
  diff::PlanDiff result = diff::diff_plans(plans[0]->ir, plans[1]->ir);
  diff::RenderOptions options{sides[0].label(), sides[1].label(), false};
  std::string format = args.get("--output", "text");
  if (format == "json") {
    std::cout << diff::render_json(result, options).dump(2) << "\n";
  } else if (format == "markdown") {
    std::cout << diff::render_markdown(result, options);
  } else {
    options.color = use_color();
    std::cout << diff::render_text(result, options);
  }
  return result.empty() ? kExitOk : kExitPlanErrors;
}

}  // namespace

Command diff_command() {
  auto options = plan_input_options();
  for (OptionSpec& o : options) {
    if (o.name == "--output") o.help = "text (default; colored on a terminal unless NO_COLOR is set), markdown or json";
  }
  Command command{"diff",
                  "show what a plan change does to the run (semantic diff)",
                  "ferry diff OLD NEW [--var NAME=VALUE]... [--vars-file FILE]... [--output text|markdown|json]",
                  "Compiles OLD and NEW (.ferry or .toml, or REV:path read with `git show`) with the same\n"
                  "variables and compares their IR: steps added, removed, renamed and changed field by field,\n"
                  "dependencies, phases, destructive-step order, params and clusters, with what makes the plan\n"
                  "more dangerous listed first. Formatting, comments, declaration order and the surface make no\n"
                  "difference. Exit statuses as diff(1)'s. See docs/diff.md.",
                  options,
                  run_diff};
  command.min_positionals = 2;
  command.max_positionals = 2;
  command.output_formats = {"text", "markdown", "json"};
  command.exit_0 = "no semantic difference";
  command.exit_1 = "the plans differ";
  return command;
}

}  // namespace ferry::cli

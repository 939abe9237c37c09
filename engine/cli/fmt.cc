// `ferry fmt`: print a plan in its canonical form (or rewrite it in place).
#include <filesystem>
#include <iostream>

#include "dsl/compiler.h"
#include "dsl/printer.h"
#include "engine/cli/command.h"
#include "engine/cli/plan_input.h"
#include "engine/base/durable_file.h"

namespace ferry::cli {
namespace {

int run_fmt(const Args& args) {
  const std::string& path = args.positionals[0];
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::cerr << "ferry fmt: error: cannot read '" << path << "'" << (ec ? ": " + ec.message() : "") << "\n";
    return kExitUsage;
  }
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  auto file = dsl::load_file(path, &sources, &diags);
  if (!file) {
    report(diags, args);
    return kExitPlanErrors;
  }
  bool toml = std::filesystem::path(path).extension() == ".toml";
  std::string formatted = toml ? dsl::print_toml(*file) : dsl::print_ferry(*file);
  const std::string& original = file->source->text();
  if (args.has("--check")) {
    if (formatted == original) return kExitOk;
    std::cout << path << "\n";
    return kExitPlanErrors;
  }
  if (args.has("--write")) {
    if (formatted == original) return kExitOk;
    std::string error;
    if (!engine::write_file_durably(path, formatted, &error, engine::FileMode::kKeepExisting)) {
      std::cerr << "ferry fmt: error: " << error << "\n";
      return kExitUsage;
    }
    return kExitOk;
  }
  std::cout << formatted;
  return kExitOk;
}

}  // namespace

Command fmt_command() {
  Command c{"fmt",
          "print a plan in canonical form",
          "ferry fmt PLAN [--write | --check]",
          "Prints PLAN in canonical form: declarations in a fixed order, two-space indent, one field\n"
          "per line, comments kept. Formatting twice changes nothing. With --write the file is\n"
          "replaced (atomically); with --check nothing is written and the exit status is 1 if the\n"
          "file is not canonical (its name is printed), for CI. A .toml plan is printed as canonical TOML.",
          {{"--write", false, "rewrite the file in place"},
           {"--check", false, "exit 1 if the file is not in canonical form"},
           {"--output", true, "errors as text (default) or json", "FORMAT"}},
          run_fmt};
  c.exit_1 = "the plan has syntax errors, or (--check) it is not in canonical form";
  return c;
}

}  // namespace ferry::cli

// `ferry convert`: the same plan in the other surface (.ferry <-> TOML).
#include <filesystem>
#include <iostream>

#include "dsl/compiler.h"
#include "dsl/ferry_idioms.h"
#include "dsl/printer.h"
#include "engine/cli/command.h"
#include "engine/cli/plan_input.h"
#include "engine/base/durable_file.h"

namespace ferry::cli {
namespace {

int run_convert(const Args& args) {
  std::string to = args.get("--to");
  if (to != "toml" && to != "ferry") {
    std::cerr << "ferry convert: error: --to must be 'toml' or 'ferry'\n";
    return kExitUsage;
  }
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  auto file = dsl::load_file(args.positionals[0], &sources, &diags);
  if (!file) {
    report(diags, args);
    return diags.all().empty() || !diags.all()[0].span.valid() ? kExitUsage : kExitPlanErrors;
  }
  // A TOML plan says "${x}" and "source" where .ferry says x and source: written so.
  if (to == "ferry" && std::filesystem::path(args.positionals[0]).extension() == ".toml") {
    dsl::use_ferry_idioms(&*file, dsl::read_used_modules(*file, dsl::default_module_path(), &sources));
  }
  std::string text = to == "toml" ? dsl::print_toml(*file) : dsl::print_ferry(*file);
  if (args.has("--out")) {
    std::string error;
    if (!engine::write_file_durably(args.get("--out"), text, &error, engine::FileMode::kKeepExisting)) {
      std::cerr << "ferry convert: error: " << error << "\n";
      return kExitUsage;
    }
    return kExitOk;
  }
  std::cout << text;
  return kExitOk;
}

}  // namespace

Command convert_command() {
  Command c{"convert",
          "convert a plan between .ferry and TOML",
          "ferry convert PLAN --to toml|ferry [--out FILE]",
          "Prints PLAN in the other surface. The result compiles to the same IR as the input\n"
          "(`ferry check --emit ir` shows it), in the order PLAN was written, comments kept. A\n"
          "TOML plan comes out as .ferry is written: \"${x}\" as x, names bare (cluster = source).",
          {{"--to", true, "toml or ferry", "FORMAT"},
           {"--out", true, "write to FILE instead of stdout", "FILE"},
           {"--output", true, "errors as text (default) or json", "FORMAT"}},
          run_convert};
  c.exit_1 = "the plan has errors";
  return c;
}

}  // namespace ferry::cli

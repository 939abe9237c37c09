#include "engine/cli/plan_input.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "dsl/utf8.h"
#include "dsl/vars_file.h"
#include "engine/cli/command.h"

namespace ferry::cli {
namespace fs = std::filesystem;

std::vector<OptionSpec> plan_input_options() {
  return {
      {"--var", true, "set a plan variable (a param, or what env() reads); repeatable", "NAME=VALUE"},
      {"--vars-file", true, "read variables from a shell env file (KEY=value lines); repeatable", "FILE"},
      {"--output", true, "text (default) or json", "FORMAT"},
  };
}

namespace {

// The process environment, with HOME and USER filled from the password database when unset
// (env files written for a login shell use them; CI runners often lack USER).
std::optional<std::string> environment(std::string_view name) {
  if (auto value = dsl::process_environment(name)) return value;
  if (name == "HOME" || name == "USER") {
    if (const passwd* pw = getpwuid(getuid())) return std::string(name == "HOME" ? pw->pw_dir : pw->pw_name);
  }
  return std::nullopt;
}

bool read_vars(const Args& args, dsl::CompileOptions* options, dsl::SourceSet* sources, dsl::Diagnostics* diags,
               int* exit_status) {
  if (args.has("--vars-file")) {
    for (const std::string& path : args.options.at("--vars-file")) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::cerr << "ferry: error: cannot read vars file '" << path << "'\n";
        *exit_status = kExitUsage;
        return false;
      }
      std::stringstream text;
      text << in.rdbuf();
      const dsl::SourceFile* file = sources->add(path, text.str());
      std::vector<dsl::VarsFileEntry> entries;
      // Later assignments see earlier ones, as in a shell.
      auto lookup = [&](std::string_view name) -> std::optional<std::string> {
        auto it = options->vars.find(std::string(name));
        if (it != options->vars.end()) return it->second;
        return environment(name);
      };
      dsl::parse_vars_file(*file, lookup, &entries, diags);
      for (const auto& e : entries) options->vars[e.name] = e.value;
    }
  }
  if (args.has("--var")) {
    for (const std::string& kv : args.options.at("--var")) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "ferry: error: --var needs NAME=VALUE, got '" << kv.substr(0, kv.find('=')) << "'\n";
        *exit_status = kExitUsage;
        return false;
      }
      std::string name_problem = dsl::utf8_problem(kv.substr(0, eq));
      std::string value_problem = dsl::utf8_problem(kv.substr(eq + 1));
      if (!name_problem.empty() || !value_problem.empty()) {
        std::cerr << "ferry: error: --var "
                  << (name_problem.empty() ? kv.substr(0, eq) + ": the value " + value_problem
                                           : "NAME=VALUE: the name " + name_problem)
                  << "\n";
        *exit_status = kExitUsage;
        return false;
      }
      options->vars[kv.substr(0, eq)] = kv.substr(eq + 1);
      options->explicit_vars.insert(kv.substr(0, eq));
    }
  }
  return true;
}

}  // namespace

dsl::json diagnostics_json(const dsl::Diagnostics& diags) {
  dsl::json errors = dsl::json::array();
  for (const dsl::Diagnostic& d : diags.all()) {
    dsl::json e = {{"message", d.message}};
    if (d.span.valid()) e.update({{"file", d.span.file->path()}, {"line", d.span.line}, {"col", d.span.col}});
    dsl::json notes = dsl::json::array();
    for (const dsl::Note& n : d.notes) {
      dsl::json note = {{"message", n.message}};
      if (n.span.valid()) note.update({{"file", n.span.file->path()}, {"line", n.span.line}, {"col", n.span.col}});
      notes.push_back(note);
    }
    if (!notes.empty()) e["notes"] = notes;
    errors.push_back(e);
  }
  return errors;
}

// Diagnostics as JSON. A path is bytes and may not be UTF-8 (file contents are checked as they are
// read): its bad bytes are replaced, as JSON cannot hold them.
std::string errors_json(const dsl::Diagnostics& diags) {
  return dsl::json{{"ok", false}, {"errors", diagnostics_json(diags)}}.dump(2, ' ', false,
                                                                           dsl::json::error_handler_t::replace);
}

void report(const dsl::Diagnostics& diags, const Args& args) {
  if (args.get("--output") == "json") {
    std::cout << errors_json(diags) << "\n";
    return;
  }
  std::cerr << diags.render();
  std::cerr << diags.size() << (diags.size() == 1 ? " error\n" : " errors\n");
}

std::optional<std::map<std::string, std::string>> vars_from_args(const Args& args, int* exit_status) {
  dsl::CompileOptions options;
  options.environment = environment;
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  if (!read_vars(args, &options, &sources, &diags, exit_status)) return std::nullopt;
  if (!diags.empty()) {
    report(diags, args);
    *exit_status = kExitUsage;
    return std::nullopt;
  }
  return options.vars;
}

std::unique_ptr<CompiledPlan> compile_from_args(const Args& args, int* exit_status) {
  return compile_plan_at(args.positionals[0], args, exit_status);
}

namespace {

// `report` with the plan's path replaced by the name it is shown as.
void report_as(const dsl::Diagnostics& diags, const Args& args, const std::string& path, const std::string& shown_as) {
  if (shown_as.empty()) return report(diags, args);
  auto replace_all = [&](std::string text) {
    for (size_t at = 0; (at = text.find(path, at)) != std::string::npos; at += shown_as.size()) {
      text.replace(at, path.size(), shown_as);
    }
    return text;
  };
  if (args.get("--output") == "json") {
    std::cout << replace_all(errors_json(diags)) << "\n";
    return;
  }
  std::cerr << replace_all(diags.render()) << diags.size() << (diags.size() == 1 ? " error\n" : " errors\n");
}

}  // namespace

std::unique_ptr<CompiledPlan> compile_plan_at(const std::string& path, const Args& args, int* exit_status,
                                              const std::string& shown_as, bool vars_for_this_plan,
                                              std::function<dsl::DiscoverAnswer(const dsl::DiscoverQuery&)> discover) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (!fs::is_regular_file(status)) {
    std::cerr << "ferry: error: cannot read plan '" << path << "': "
              << (status.type() == fs::file_type::not_found ? "no such file"
                  : ec                                       ? ec.message()
                                                             : "not a file")
              << "\n";
    *exit_status = kExitUsage;
    return nullptr;
  }
  auto plan = std::make_unique<CompiledPlan>();
  dsl::CompileOptions options;
  options.environment = environment;
  options.module_path = dsl::default_module_path();
  options.discover = std::move(discover);
  dsl::Diagnostics diags;
  if (!read_vars(args, &options, &plan->sources, &diags, exit_status)) return nullptr;
  if (!vars_for_this_plan) options.explicit_vars.clear();
  if (!diags.empty()) {
    report(diags, args);
    *exit_status = kExitUsage;
    return nullptr;
  }
  auto ir = dsl::compile_plan(path, options, &plan->sources, &diags);
  if (!ir) {
    report_as(diags, args, path, shown_as);
    *exit_status = kExitPlanErrors;
    return nullptr;
  }
  plan->ir = std::move(*ir);
  *exit_status = kExitOk;
  return plan;
}

}  // namespace ferry::cli

// Helpers for compiling plan text in tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "dsl/compiler.h"

namespace ferry::dsl::testing_util {

struct Compiled {
  std::optional<Ir> ir;
  std::string errors;
  SourceSet sources;
};

// Writes `text` to a temp file named `name` and compiles it with `vars` (and `discover` answering
// its discover() calls, if given).
inline std::unique_ptr<Compiled> compile_text(
    const std::string& text, std::map<std::string, std::string> vars = {}, const std::string& name = "plan.ferry",
    std::map<std::string, std::string> environment = {},
    std::function<DiscoverAnswer(const DiscoverQuery&)> discover = nullptr) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  auto result = std::make_unique<Compiled>();
  CompileOptions options;
  for (const auto& [k, v] : vars) {
    options.vars[k] = v;
    options.explicit_vars.insert(k);
  }
  options.environment = [environment](std::string_view n) -> std::optional<std::string> {
    auto it = environment.find(std::string(n));
    return it == environment.end() ? std::nullopt : std::optional(it->second);
  };
  options.module_path = {FERRY_STDLIB_DIR};
  options.discover = std::move(discover);
  Diagnostics diags;
  result->ir = compile_plan(path.string(), options, &result->sources, &diags);
  result->errors = diags.render();
  std::filesystem::remove(path);
  return result;
}

}  // namespace ferry::dsl::testing_util

// Compiling plans for the diff tests: from a file, with variables from a shell env file, and
// modules from the stdlib of the source tree.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "dsl/compiler.h"
#include "dsl/vars_file.h"

namespace ferry::diff::testing_util {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compiles `path`; `vars_file` ("" for none) gives the variables. Fails the test (and returns
// an empty IR) if the plan does not compile.
inline dsl::Ir compile(const std::filesystem::path& path, const std::filesystem::path& vars_file = {}) {
  dsl::CompileOptions options;
  options.environment = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/home/jdoe");
    return std::nullopt;
  };
  options.module_path = {FERRY_STDLIB_DIR};
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  if (!vars_file.empty()) {
    const dsl::SourceFile* source = sources.add(vars_file.string(), read_file(vars_file));
    std::vector<dsl::VarsFileEntry> entries;
    dsl::parse_vars_file(*source, options.environment, &entries, &diags);
    for (const auto& e : entries) options.vars[e.name] = e.value;
  }
  auto ir = dsl::compile_plan(path.string(), options, &sources, &diags);
  EXPECT_TRUE(ir.has_value()) << path << " does not compile:\n" << diags.render();
  return ir.value_or(dsl::Ir{});
}

// Compiles plan `text` written to a temporary file named `name` (its extension picks the surface).
inline dsl::Ir compile_text(const std::string& text, const std::string& name = "plan.ferry") {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-diff-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << text;
  dsl::Ir ir = compile(dir / name);
  std::filesystem::remove_all(dir);
  return ir;
}

}  // namespace ferry::diff::testing_util

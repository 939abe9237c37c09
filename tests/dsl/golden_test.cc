// Golden tests, taocpp/config style: the tests are data.
//   golden/valid/NAME.{ferry,toml}    must compile; NAME.{ext}.ir.json is the expected IR
//                                     (canonical, without spans); NAME.vars, if present, gives
//                                     the variables (a shell env file)
//   golden/invalid/NAME.{ferry,toml}  must fail; NAME.{ext}.expected holds the exact diagnostics
// Every valid plan is also converted to the other surface and back, and must give the same IR;
// `fmt` must be idempotent on it. Set FERRY_GOLDEN_UPDATE=1 to (re)write expected files, then
// review the diff.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/compiler.h"
#include "dsl/printer.h"
#include "dsl/vars_file.h"

namespace ferry::dsl {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

bool updating() { return std::getenv("FERRY_GOLDEN_UPDATE") != nullptr; }

std::vector<std::string> plans_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(FERRY_GOLDEN_DIR) / dir)) {
    auto ext = entry.path().extension();
    if (ext == ".ferry" || ext == ".toml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Compiles `file` from inside its directory, so spans read "name.ferry:3:5".
struct Result {
  std::optional<Ir> ir;
  std::string diagnostics;
};

Result compile_in(const fs::path& dir, const std::string& file) {
  fs::path previous = fs::current_path();
  fs::current_path(dir);
  CompileOptions options;
  options.environment = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/home/jdoe");
    if (name == "USER") return std::string("jdoe");
    return std::nullopt;
  };
  options.module_path = {FERRY_STDLIB_DIR, (fs::path(FERRY_GOLDEN_DIR) / "modules").string()};
  SourceSet sources;
  Diagnostics diags;
  fs::path vars = fs::path(file).stem().string() + ".vars";
  if (fs::exists(vars)) {
    const SourceFile* source = sources.add(vars.string(), read(vars));
    std::vector<VarsFileEntry> entries;
    parse_vars_file(*source, options.environment, &entries, &diags);
    for (const auto& e : entries) options.vars[e.name] = e.value;
  }
  Result result;
  result.ir = compile_plan(file, options, &sources, &diags);
  result.diagnostics = diags.render();
  fs::current_path(previous);
  return result;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ValidPlan : public testing::TestWithParam<std::string> {};

TEST_P(ValidPlan, CompilesToExpectedIr) {
  fs::path dir = fs::path(FERRY_GOLDEN_DIR) / "valid";
  Result result = compile_in(dir, GetParam());
  ASSERT_TRUE(result.ir) << result.diagnostics;
  std::string ir = ir_canonical_text(*result.ir);
  fs::path expected = dir / (GetParam() + ".ir.json");
  if (updating()) write(expected, ir);
  ASSERT_TRUE(fs::exists(expected)) << "missing " << expected << " (run with FERRY_GOLDEN_UPDATE=1)";
  EXPECT_EQ(read(expected), ir);
}

TEST_P(ValidPlan, ConvertsToTheOtherSurfaceAndBackWithTheSameIr) {
  fs::path dir = fs::path(FERRY_GOLDEN_DIR) / "valid";
  Result original = compile_in(dir, GetParam());
  ASSERT_TRUE(original.ir) << original.diagnostics;
  bool is_toml = fs::path(GetParam()).extension() == ".toml";

  SourceSet sources;
  Diagnostics diags;
  auto file = load_file((dir / GetParam()).string(), &sources, &diags);
  ASSERT_TRUE(file) << diags.render();
  // The converted file sits beside the original, so relative `use` and file() paths still work.
  std::string stem = fs::path(GetParam()).stem().string();
  std::string other = ".roundtrip-" + stem + (is_toml ? ".ferry" : ".toml");
  std::string back = ".roundtrip-" + stem + "-back" + (is_toml ? ".toml" : ".ferry");
  write(dir / other, is_toml ? print_ferry(*file) : print_toml(*file));
  Result converted = compile_in(dir, other);
  auto file2 = load_file((dir / other).string(), &sources, &diags);
  ASSERT_TRUE(file2) << diags.render() << read(dir / other);
  write(dir / back, is_toml ? print_toml(*file2) : print_ferry(*file2));
  Result round_trip = compile_in(dir, back);
  std::string other_text = read(dir / other);
  fs::remove(dir / other);
  fs::remove(dir / back);

  ASSERT_TRUE(converted.ir) << converted.diagnostics << "\n" << other_text;
  ASSERT_TRUE(round_trip.ir) << round_trip.diagnostics;
  EXPECT_EQ(ir_canonical_text(*original.ir), ir_canonical_text(*converted.ir)) << other_text;
  EXPECT_EQ(ir_canonical_text(*original.ir), ir_canonical_text(*round_trip.ir));
}

TEST_P(ValidPlan, FormattingIsIdempotent) {
  fs::path path = fs::path(FERRY_GOLDEN_DIR) / "valid" / GetParam();
  bool is_toml = path.extension() == ".toml";
  SourceSet sources;
  Diagnostics diags;
  auto file = load_file(path.string(), &sources, &diags);
  ASSERT_TRUE(file) << diags.render();
  std::string once = is_toml ? print_toml(*file) : print_ferry(*file);
  fs::path temp = fs::temp_directory_path() / ("ferry-fmt-" + GetParam());
  write(temp, once);
  auto reparsed = load_file(temp.string(), &sources, &diags);
  fs::remove(temp);
  ASSERT_TRUE(reparsed) << diags.render() << once;
  EXPECT_EQ(once, is_toml ? print_toml(*reparsed) : print_ferry(*reparsed));
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ValidPlan);
INSTANTIATE_TEST_SUITE_P(Golden, ValidPlan, testing::ValuesIn(plans_in("valid")), test_name);

class InvalidPlan : public testing::TestWithParam<std::string> {};

TEST_P(InvalidPlan, FailsWithExactDiagnostics) {
  fs::path dir = fs::path(FERRY_GOLDEN_DIR) / "invalid";
  Result result = compile_in(dir, GetParam());
  EXPECT_FALSE(result.ir) << "the plan compiled, but must not";
  fs::path expected = dir / (GetParam() + ".expected");
  if (updating()) write(expected, result.diagnostics);
  ASSERT_TRUE(fs::exists(expected)) << "missing " << expected << " (run with FERRY_GOLDEN_UPDATE=1)";
  EXPECT_EQ(read(expected), result.diagnostics);
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(InvalidPlan);
INSTANTIATE_TEST_SUITE_P(Golden, InvalidPlan, testing::ValuesIn(plans_in("invalid")), test_name);

}  // namespace
}  // namespace ferry::dsl

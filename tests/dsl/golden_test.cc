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
#include "dsl/ferry_idioms.h"
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

// Variables come from VARS_STEM.vars (default: the plan's own stem) if it exists.
Result compile_in(const fs::path& dir, const std::string& file, std::string vars_stem = "") {
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
  fs::path vars = (vars_stem.empty() ? fs::path(file).stem().string() : vars_stem) + ".vars";
  if (fs::exists(vars)) {
    const SourceFile* source = sources.add(vars.string(), read(vars));
    std::vector<VarsFileEntry> entries;
    parse_vars_file(*source, options.environment, &entries, &diags);
    for (const auto& e : entries) options.vars[e.name] = e.value;
  }
  Result result;
  result.ir = compile_plan(file, options, &sources, &diags);
  result.diagnostics = diags.render();
  // Messages name the module path's directories absolute: shown from the source tree's root, so
  // the expected files hold no machine's checkout path.
  const std::string root = (fs::path(FERRY_GOLDEN_DIR) / ".." / "..").lexically_normal().string();
  for (size_t at; (at = result.diagnostics.find(root)) != std::string::npos;) {
    result.diagnostics.replace(at, root.size(), "<source>/");
  }
  fs::current_path(previous);
  return result;
}

// What `ferry convert` prints for `file`, read from the other surface: TOML, or .ferry in its
// own idioms (ferry_idioms.h).
std::string convert(File file, bool to_toml, SourceSet* sources) {
  if (to_toml) return print_toml(file);
  std::vector<std::string> module_path = {FERRY_STDLIB_DIR, (fs::path(FERRY_GOLDEN_DIR) / "modules").string()};
  use_ferry_idioms(&file, read_used_modules(file, module_path, sources));
  return print_ferry(file);
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
  write(dir / other, convert(*file, !is_toml, &sources));
  Result converted = compile_in(dir, other, stem);
  auto file2 = load_file((dir / other).string(), &sources, &diags);
  ASSERT_TRUE(file2) << diags.render() << read(dir / other);
  write(dir / back, convert(*file2, is_toml, &sources));
  Result round_trip = compile_in(dir, back, stem);
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

namespace ferry::dsl {
namespace {

struct Compiled {
  SourceSet sources;
  std::optional<Ir> ir;
  std::string errors;
};

// The stock plans, compiled with the example env file: expected IR in golden/stock/.
class StockPlan : public testing::TestWithParam<std::string> {};

std::vector<std::string> stock_plans();
std::unique_ptr<Compiled> compile_stock(const std::string& name);

std::vector<std::string> stock_plans() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(FERRY_PLANS_DIR)) {
    auto ext = entry.path().extension();
    if (ext == ".ferry" || ext == ".toml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<Compiled> compile_stock(const std::string& name) {
  // example.env is what `make demo` uses; its ${HOME} is pinned so the IR is the same anywhere.
  SourceSet vars_sources;
  Diagnostics vars_diags;
  const SourceFile* vars = vars_sources.add("example.env", read(fs::path(FERRY_PLANS_DIR) / "example.env"));
  std::vector<VarsFileEntry> entries;
  auto environment = [](std::string_view n) -> std::optional<std::string> {
    if (n == "HOME") return std::string("/home/jdoe");
    return std::nullopt;
  };
  parse_vars_file(*vars, environment, &entries, &vars_diags);
  EXPECT_TRUE(vars_diags.empty()) << vars_diags.render();
  std::map<std::string, std::string> values;
  for (const auto& e : entries) values[e.name] = e.value;
  auto compiled = std::make_unique<Compiled>();
  CompileOptions options;
  options.vars = values;
  options.environment = environment;
  options.module_path = {FERRY_STDLIB_DIR};
  Diagnostics diags;
  compiled->ir = compile_plan((fs::path(FERRY_PLANS_DIR) / name).string(), options, &compiled->sources, &diags);
  compiled->errors = diags.render();
  return compiled;
}

TEST_P(StockPlan, CompilesToExpectedIr) {
  auto compiled = compile_stock(GetParam());
  ASSERT_TRUE(compiled->ir) << compiled->errors;
  std::string ir = ir_canonical_text(*compiled->ir);
  fs::path expected = fs::path(FERRY_GOLDEN_DIR) / "stock" / (GetParam() + ".ir.json");
  if (updating()) {
    fs::create_directories(expected.parent_path());
    write(expected, ir);
  }
  ASSERT_TRUE(fs::exists(expected)) << "missing " << expected << " (run with FERRY_GOLDEN_UPDATE=1)";
  EXPECT_EQ(read(expected), ir);
}

INSTANTIATE_TEST_SUITE_P(Plans, StockPlan, testing::ValuesIn(stock_plans()), test_name);

// Everything the project ships is in canonical form, so `ferry fmt` on it is a no-op.
TEST(Shipped, PlansAndModulesAreFormatted) {
  for (const char* dir : {FERRY_PLANS_DIR, FERRY_STDLIB_DIR}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      bool toml = entry.path().extension() == ".toml";
      if (entry.path().extension() != ".ferry" && !toml) continue;
      SourceSet sources;
      Diagnostics diags;
      auto file = load_file(entry.path().string(), &sources, &diags);
      ASSERT_TRUE(file) << diags.render();
      EXPECT_EQ(toml ? print_toml(*file) : print_ferry(*file), read(entry.path()))
          << entry.path() << " is not formatted: ferry fmt --write it";
    }
  }
}

}  // namespace
}  // namespace ferry::dsl

namespace ferry::dsl {
namespace {

// A stock plan's TOML twin must say exactly what its .ferry file says.
TEST(StockTwins, TomlTwinCompilesToTheSameIr) {
  int twins = 0;
  for (const std::string& name : stock_plans()) {
    if (fs::path(name).extension() != ".toml") continue;
    std::string ferry_name = fs::path(name).stem().string() + ".ferry";
    auto toml = compile_stock(name);
    auto ferry = compile_stock(ferry_name);
    ASSERT_TRUE(toml->ir && ferry->ir) << toml->errors << ferry->errors;
    EXPECT_EQ(ir_hash(*toml->ir), ir_hash(*ferry->ir)) << name << " and " << ferry_name << " differ";
    ++twins;
  }
  EXPECT_GE(twins, 1);
}

// The twin is what `ferry convert --to toml` makes of the .ferry file, and `ferry convert --to
// ferry` makes the .ferry file of it again, as written: expressions, bare names, the order and
// every comment (issue 14).
TEST(StockTwins, ConvertMakesEachTwinOfTheOther) {
  int twins = 0;
  for (const std::string& name : stock_plans()) {
    if (fs::path(name).extension() != ".toml") continue;
    fs::path toml = fs::path(FERRY_PLANS_DIR) / name;
    fs::path ferry = fs::path(toml).replace_extension(".ferry");
    SourceSet sources;
    Diagnostics diags;
    auto from_ferry = load_file(ferry.string(), &sources, &diags);
    auto from_toml = load_file(toml.string(), &sources, &diags);
    ASSERT_TRUE(from_ferry && from_toml) << diags.render();
    EXPECT_EQ(convert(*from_ferry, true, &sources), read(toml))
        << name << " is not `ferry convert " << ferry.filename() << " --to toml`: regenerate it";
    EXPECT_EQ(convert(*from_toml, false, &sources), read(ferry)) << name << " converts to another plan than " << ferry;
    ++twins;
  }
  EXPECT_GE(twins, 1);
}

}  // namespace
}  // namespace ferry::dsl

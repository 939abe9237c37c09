// Golden diff cases, one folder each under cases/ (adding a case is adding a folder):
//   old.ferry new.ferry   and/or   old.toml new.toml    the two plans, in either surface or both
//   vars                                                 variables for both (a shell env file)
//   expected.txt expected.md expected.json               the diff in each output format
// Both surfaces of a case must give the same expected output (that is what "semantic" means),
// and each .toml must compile to the same IR as its .ferry twin. Labels are "old" and "new".
// FERRY_GOLDEN_UPDATE=1 rewrites the expected files; review the change before committing.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/diff/plan_diff.h"
#include "engine/diff/render.h"
#include "tests/diff/diff_test_util.h"

namespace ferry::diff {
namespace {

namespace fs = std::filesystem;
using testing_util::compile;
using testing_util::read_file;

const fs::path kCases = FERRY_DIFF_CASES;

// "NAME/ferry", "NAME/toml": every case in every surface it has.
std::vector<std::string> case_surfaces() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(kCases)) {
    for (const char* ext : {"ferry", "toml"}) {
      if (fs::exists(entry.path() / ("old." + std::string(ext))))
        out.push_back(entry.path().filename().string() + "/" + ext);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path vars_of(const fs::path& dir) { return fs::exists(dir / "vars") ? dir / "vars" : fs::path(); }

class GoldenDiff : public testing::TestWithParam<std::string> {};

TEST_P(GoldenDiff, MatchesExpectedOutputs) {
  std::string param = GetParam();
  fs::path dir = kCases / param.substr(0, param.find('/'));
  std::string ext = param.substr(param.find('/') + 1);
  ASSERT_TRUE(fs::exists(dir / ("new." + ext))) << "old." << ext << " has no new." << ext;
  dsl::Ir old_ir = compile(dir / ("old." + ext), vars_of(dir));
  dsl::Ir new_ir = compile(dir / ("new." + ext), vars_of(dir));
  PlanDiff diff = diff_plans(old_ir, new_ir);
  RenderOptions options{"old", "new", false};
  std::string text = render_text(diff, options);
  std::string markdown = render_markdown(diff, options);
  std::string json_text = render_json(diff, options).dump(2) + "\n";
  // The .ferry surface writes the expectations when updating; the .toml one must agree.
  bool update = std::getenv("FERRY_GOLDEN_UPDATE") && ext == "ferry";
  for (const auto& [file, actual] :
       {std::pair{"expected.txt", text}, {"expected.md", markdown}, {"expected.json", json_text}}) {
    if (update) {
      std::ofstream(dir / file, std::ios::binary) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(dir / file)) << dir / file << " is missing (run with FERRY_GOLDEN_UPDATE=1)";
    EXPECT_EQ(read_file(dir / file), actual) << "the " << ext << " diff differs from " << dir / file;
    // A secret's value never shows, whatever the change.
    EXPECT_EQ(actual.find("canary-do-not-print"), std::string::npos) << file << " prints a secret";
  }
  EXPECT_EQ(diff.empty(), render_json(diff, options)["equal"].get<bool>());
}

// Cases written in both surfaces.
std::vector<std::string> twin_cases() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(kCases)) {
    if (fs::exists(entry.path() / "old.ferry") && fs::exists(entry.path() / "old.toml")) {
      out.push_back(entry.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class TomlTwin : public testing::TestWithParam<std::string> {};

// The two surfaces of a case are one plan: their IRs are equal.
TEST_P(TomlTwin, IsTheSamePlan) {
  fs::path dir = kCases / GetParam();
  for (const char* side : {"old", "new"}) {
    PlanDiff diff = diff_plans(compile(dir / (side + std::string(".ferry")), vars_of(dir)),
                               compile(dir / (side + std::string(".toml")), vars_of(dir)));
    EXPECT_TRUE(diff.empty()) << side << ".ferry and " << side << ".toml differ:\n"
                              << render_text(diff, {"ferry", "toml", false});
  }
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenDiff, testing::ValuesIn(case_surfaces()), test_name);
INSTANTIATE_TEST_SUITE_P(Cases, TomlTwin, testing::ValuesIn(twin_cases()), test_name);

}  // namespace
}  // namespace ferry::diff

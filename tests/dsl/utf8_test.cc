// The UTF-8 rule (dsl/utf8.h): every input is checked where it comes in, and an ill-formed byte
// is an error at its file:line:col rather than an exception when the IR is written as JSON.
#include "dsl/utf8.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dsl/ir.h"
#include "dsl/vars_file.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;
constexpr size_t kNone = std::string_view::npos;

TEST(Utf8, FindsTheFirstIllFormedByte) {
  EXPECT_EQ(invalid_utf8_at(""), kNone);
  EXPECT_EQ(invalid_utf8_at("plain ascii\n"), kNone);
  EXPECT_EQ(invalid_utf8_at("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\xA2 \xF4\x8F\xBF\xBF"), kNone);  // é € 🚢 U+10FFFF
  EXPECT_EQ(invalid_utf8_at("ab\xFF"), 2u);
  EXPECT_EQ(invalid_utf8_at("caf\xE9"), 3u);                 // Latin-1 é
  EXPECT_EQ(invalid_utf8_at("x\x80"), 1u);                   // a lone continuation byte
  EXPECT_EQ(invalid_utf8_at("\xC0\xAF"), 0u);                // overlong '/'
  EXPECT_EQ(invalid_utf8_at("\xE0\x80\xAF"), 0u);            // overlong, three bytes
  EXPECT_EQ(invalid_utf8_at("\xF0\x80\x80\xAF"), 0u);        // overlong, four bytes
  EXPECT_EQ(invalid_utf8_at("\xED\xA0\x80"), 0u);            // a surrogate (U+D800)
  EXPECT_EQ(invalid_utf8_at("\xF4\x90\x80\x80"), 0u);        // past U+10FFFF
  EXPECT_EQ(invalid_utf8_at("ok\xE2\x82"), 2u);              // cut short at the end
  EXPECT_EQ(invalid_utf8_at("ok\xE2\x82x"), 2u);             // cut short in the middle
  EXPECT_EQ(invalid_utf8_at(std::string_view("a\0b", 3)), kNone);
}

TEST(Utf8, ReplacesEachIllFormedByteAndKeepsTheRest) {
  EXPECT_EQ(to_valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(to_valid_utf8("a\xFF" "b\xE2\x82"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(invalid_utf8_at(to_valid_utf8("\xC0\xAF\xED\xA0\x80\xF4\x90")), kNone);
}

TEST(Utf8, MakesEveryStringOfAJsonValueDumpable) {
  json v = {{"stdout", "\xFFout"}, {"list", json::array({"ok", "\xE9"})}, {"k\xFF", {{"deep", "x\x80"}}}};
  EXPECT_THROW(v.dump(), json::type_error);
  make_valid_utf8(&v);
  EXPECT_EQ(v["stdout"], "\xEF\xBF\xBDout");
  EXPECT_EQ(v["list"][1], "\xEF\xBF\xBD");
  EXPECT_EQ(v["k\xEF\xBF\xBD"]["deep"], "x\xEF\xBF\xBD");
  EXPECT_NO_THROW(v.dump());
}

TEST(Utf8, AValueWithoutAFileIsDescribedByPosition) {
  EXPECT_EQ(utf8_problem("caf\xC3\xA9"), "");
  EXPECT_EQ(utf8_problem("caf\xE9"), "is not valid UTF-8 (byte 0xe9 at position 4)");
}

TEST(Utf8, ASourceFileIsReportedAtItsFirstBadByte) {
  SourceFile file("f.ferry", "line one\nab\xC3\xA9 \xFFz\n");
  Diagnostics diags;
  EXPECT_NE(check_utf8(file, &diags), nullptr);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags.all()[0].span.str(), "f.ferry:2:6");
  EXPECT_EQ(diags.all()[0].message.rfind("invalid UTF-8 (byte 0xff)", 0), 0u) << diags.all()[0].message;
  EXPECT_NE(diags.all()[0].message.find("iconv"), std::string::npos) << diags.all()[0].message;
  Diagnostics written;  // a file ferry wrote (a saved plan): no advice to convert it
  check_utf8(file, &written, /*how_to_convert=*/false);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written.all()[0].message, "invalid UTF-8 (byte 0xff)");
  Diagnostics none;
  EXPECT_EQ(check_utf8(SourceFile("g.ferry", "fine\n"), &none), nullptr);
  EXPECT_TRUE(none.empty());
}

const char* kPlanWithBadString =
    "plan \"t\" {\n"
    "  phase p { step s = shell { argv = [\"echo\", \"\xFF\"] } }\n"
    "}\n";

TEST(Utf8, APlanWithABadByteDoesNotCompile) {
  auto c = compile_text(kPlanWithBadString);
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("plan.ferry:2:47: error: invalid UTF-8 (byte 0xff)"), std::string::npos) << c->errors;
}

TEST(Utf8, ATomlPlanWithABadByteDoesNotCompile) {
  auto c = compile_text("[plan]\nname = \"t\"\ndescription = \"caf\xE9\"\n", {}, "plan.toml");
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("plan.toml:3:19: error: invalid UTF-8 (byte 0xe9)"), std::string::npos) << c->errors;
}

TEST(Utf8, AModuleWithABadByteIsReportedInTheModule) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-utf8-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "lib.ferry") << "module \"lib\" {\n  # caf\xE9\n  let x = 1\n}\n";
  std::ofstream(dir / "p.ferry") << "plan \"p\" {\n  use \"./lib.ferry\"\n  phase a { step s = noop {} }\n}\n";
  SourceSet sources;
  Diagnostics diags;
  auto ir = compile_plan((dir / "p.ferry").string(), {}, &sources, &diags);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(ir);
  EXPECT_NE(diags.render().find("lib.ferry:2:8: error: invalid UTF-8 (byte 0xe9)"), std::string::npos)
      << diags.render();
}

TEST(Utf8, EnvAndFileValuesMustBeUtf8) {
  auto env = compile_text(
      "plan \"t\" {\n  let a = env(\"A\")\n  phase p { step s = shell { argv = [a] } }\n}\n", {}, "plan.ferry",
      {{"A", "caf\xE9"}});
  EXPECT_FALSE(env->ir);
  EXPECT_NE(env->errors.find("plan.ferry:2:11: error: environment variable 'A' is not valid UTF-8 (byte 0xe9 at "
                             "position 4)"),
            std::string::npos)
      << env->errors;

  auto dir = std::filesystem::temp_directory_path() / ("ferry-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "latin1.txt") << "ok\nn\xE9\n";
  auto file = compile_text(
      "plan \"t\" {\n  let a = file(\"latin1.txt\")\n  phase p { step s = shell { argv = [a] } }\n}\n");
  std::filesystem::remove(dir / "latin1.txt");
  EXPECT_FALSE(file->ir);
  // The error is in the file read, where it can be fixed; a note shows the file() that read it.
  EXPECT_NE(file->errors.find((dir / "latin1.txt").string() + ":2:2: error: invalid UTF-8 (byte 0xe9)"),
            std::string::npos)
      << file->errors;
  EXPECT_NE(file->errors.find("plan.ferry:2:11: note: read by file() here"), std::string::npos) << file->errors;
}

std::vector<VarsFileEntry> read_vars(const SourceFile& file, Diagnostics* diags,
                                     std::map<std::string, std::string> env = {}) {
  std::vector<VarsFileEntry> entries;
  auto environment = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    return it == env.end() ? std::nullopt : std::optional(it->second);
  };
  EXPECT_FALSE(parse_vars_file(file, environment, &entries, diags));
  return entries;
}

TEST(Utf8, AVarsFileWithALatin1ByteIsRejected) {
  SourceFile file("site.env", "A=1\nCITY=Montr\xE9" "al\n");
  Diagnostics diags;
  auto entries = read_vars(file, &diags);
  EXPECT_TRUE(entries.empty());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags.all()[0].span.str(), "site.env:2:11");
  EXPECT_EQ(diags.all()[0].message.rfind("invalid UTF-8 (byte 0xe9)", 0), 0u);
}

TEST(Utf8, AVarsFileMayNotExpandABadEnvironmentValue) {
  SourceFile file("site.env", "A=1\nB=x${LANGVAL}\n");
  Diagnostics diags;
  read_vars(file, &diags, {{"LANGVAL", "\xFF"}});
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags.all()[0].span.str(), "site.env:2:4");
  EXPECT_EQ(diags.all()[0].message,
            "environment variable 'LANGVAL' is not valid UTF-8 (byte 0xff at position 1)");
}

}  // namespace
}  // namespace ferry::dsl

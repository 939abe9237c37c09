#include "dsl/vars_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

namespace ferry::dsl {
namespace {

using Env = std::map<std::string, std::string>;

struct Parsed {
  std::unique_ptr<SourceFile> file;  // the spans below point into it
  bool ok = false;
  std::vector<VarsFileEntry> entries;
  Diagnostics diags;

  // The value a caller would use: the last assignment of `name`, or "<none>".
  std::string value(std::string_view name) const {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if (it->name == name) return it->value;
    }
    return "<none>";
  }

  // Every error as "line:col: message\n", so tests can compare all of them at once.
  std::string errors() const {
    std::string out;
    for (const Diagnostic& d : diags.all()) {
      out += std::to_string(d.span.line) + ":" + std::to_string(d.span.col) + ": ";
      out += d.message + "\n";
    }
    return out;
  }
};

Parsed parse(std::string text, Env env = {}) {
  Parsed p;
  p.file = std::make_unique<SourceFile>("test.env", std::move(text));
  auto environment = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  p.ok = parse_vars_file(*p.file, environment, &p.entries, &p.diags);
  return p;
}

std::string not_set(const std::string& name) {
  return "variable '" + name + "' is not set (define it earlier in the file or in the environment)";
}

TEST(VarsFile, EmptyFileHasNoEntries) {
  Parsed p = parse("");
  EXPECT_TRUE(p.ok);
  EXPECT_TRUE(p.entries.empty());
  EXPECT_TRUE(p.diags.empty());
}

TEST(VarsFile, SkipsBlankLinesAndComments) {
  Parsed p = parse("\n   \n\t\n# A=1\n   # B=2\nC=3\n");
  EXPECT_TRUE(p.ok) << p.errors();
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].name, "C");
  EXPECT_EQ(p.entries[0].value, "3");
}

TEST(VarsFile, NameSpanPointsAtTheName) {
  Parsed p = parse("A=1\n  B=2\nexport  C=3\n");
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].span.line, 1u);
  EXPECT_EQ(p.entries[0].span.col, 1u);
  EXPECT_EQ(p.entries[1].span.line, 2u);
  EXPECT_EQ(p.entries[1].span.col, 3u);
  EXPECT_EQ(p.entries[2].span.line, 3u);
  EXPECT_EQ(p.entries[2].span.col, 9u);
  EXPECT_EQ(p.entries[2].span.file, p.file.get());
}

TEST(VarsFile, ExportPrefixIsOptional) {
  Parsed p = parse("export A=1\n\texport\tB=2\nexport=3\nexported=4\n");
  EXPECT_TRUE(p.ok) << p.errors();
  ASSERT_EQ(p.entries.size(), 4u);
  EXPECT_EQ(p.entries[0].name, "A");
  EXPECT_EQ(p.entries[1].name, "B");
  EXPECT_EQ(p.entries[1].value, "2");
  // Without a blank after it, `export` is just a variable name, as in sh.
  EXPECT_EQ(p.entries[2].name, "export");
  EXPECT_EQ(p.entries[2].value, "3");
  EXPECT_EQ(p.entries[3].name, "exported");
}

TEST(VarsFile, NamesAreLettersDigitsAndUnderscores) {
  Parsed p = parse("_a1_B2=x\n");
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("_a1_B2"), "x");
}

TEST(VarsFile, SpaceAroundEqualsIsAnError) {
  Parsed p = parse("NAME =value\nOTHER= value\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(),
            "1:5: expected '=' right after the variable name\n"
            "2:8: unexpected text after the value; quote values that contain spaces\n");
  EXPECT_TRUE(p.entries.empty());
}

TEST(VarsFile, LinesThatAreNotAssignmentsAreErrors) {
  Parsed p = parse("echo hi\nNAME value\nNAME\n1X=2\n=3\nexport -p\n-x\n");
  EXPECT_FALSE(p.ok);
  const std::string bad_name =
      "expected a variable name (letters, digits and '_', not starting with a digit)\n";
  EXPECT_EQ(p.errors(),
            "1:5: expected '=' right after the variable name\n"
            "2:5: expected '=' right after the variable name\n"
            "3:5: expected '=' right after the variable name\n"
            "4:1: " + bad_name +
            "5:1: " + bad_name +
            "6:8: " + bad_name +
            "7:1: " + bad_name);
  EXPECT_TRUE(p.entries.empty());
}

TEST(VarsFile, UnquotedValueEndsAtBlank) {
  Parsed p = parse("A=bar # a comment\nB=bar\t#tab comment\nC=a#b\nD=#x\nE=\nF=x   \n");
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "bar");
  EXPECT_EQ(p.value("B"), "bar");
  // `#` starts a comment only at the start of a word, as in sh.
  EXPECT_EQ(p.value("C"), "a#b");
  EXPECT_EQ(p.value("D"), "#x");
  EXPECT_EQ(p.value("E"), "");
  EXPECT_EQ(p.value("F"), "x");
}

TEST(VarsFile, TextAfterUnquotedValueIsAnError) {
  Parsed p = parse("A=hello world\nB=ok\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(), "1:9: unexpected text after the value; quote values that contain spaces\n");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.value("B"), "ok");
}

TEST(VarsFile, UnquotedBackslashEscapesTheNextChar) {
  Parsed p = parse(R"(A=a\ b\$HOME\"\\)" "\n");
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), R"(a b$HOME"\)");
}

TEST(VarsFile, BackslashAtEndOfLineIsAnError) {
  Parsed p = parse("A=abc\\\nB=x\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(),
            "1:6: a '\\' at the end of a line (line continuation) is not supported in a vars "
            "file\n");
  EXPECT_EQ(p.value("B"), "x");
}

TEST(VarsFile, DoubleQuotesKeepSpacesAndEscapeOnlyShellSpecials) {
  Parsed p = parse(R"(A="  two  words  ")" "\n"
                   R"(B="q\" b\\ d\$X t\`")" "\n"
                   R"(C="a\nb\'c\ ")" "\n"
                   R"(D="it's # not a comment")" "\n");
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "  two  words  ");
  EXPECT_EQ(p.value("B"), R"(q" b\ d$X t`)");
  EXPECT_EQ(p.value("C"), R"(a\nb\'c\ )");
  EXPECT_EQ(p.value("D"), "it's # not a comment");
}

TEST(VarsFile, SingleQuotesAreLiteral) {
  Parsed p = parse(R"(A='$HOME ${X} \" \ `cmd` $(cmd)')" "\n");
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), R"($HOME ${X} \" \ `cmd` $(cmd))");
}

TEST(VarsFile, PartsConcatenate) {
  Parsed p = parse(R"(A=one"two three"'four five'$X${X}six)" "\n", {{"X", "x"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "onetwo threefour fivexxsix");
}

TEST(VarsFile, UnterminatedQuotesPointAtTheOpeningQuote) {
  Parsed p = parse("A=ab\"cd\nB='x\nC=\"ok\"'open\nD=${X:-\"}\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(),
            "1:5: unterminated double quote; the closing \" must be on the same line\n"
            "2:3: unterminated single quote; the closing ' must be on the same line\n"
            "3:7: unterminated single quote; the closing ' must be on the same line\n"
            "4:8: unterminated double quote; the closing \" must be on the same line\n");
  EXPECT_TRUE(p.entries.empty());
}

TEST(VarsFile, ExpandsVariables) {
  Parsed p = parse("A=$X/bin\nB=${X}_suffix\nC=$X_suffix\nD=\"$X:${X}\"\n",
                   {{"X", "/opt"}, {"X_suffix", "whole"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "/opt/bin");
  EXPECT_EQ(p.value("B"), "/opt_suffix");
  // Like sh, `$NAME` takes the longest name.
  EXPECT_EQ(p.value("C"), "whole");
  EXPECT_EQ(p.value("D"), "/opt:/opt");
}

TEST(VarsFile, EarlierAssignmentsWinOverTheEnvironment) {
  Parsed p = parse("USER=file\nA=$USER\nUSER=again\nB=${USER}\n", {{"USER", "env"}});
  EXPECT_TRUE(p.ok) << p.errors();
  ASSERT_EQ(p.entries.size(), 4u);
  EXPECT_EQ(p.entries[1].value, "file");
  EXPECT_EQ(p.entries[3].value, "again");
  // Both assignments of USER are entries, in file order.
  EXPECT_EQ(p.entries[0].name, "USER");
  EXPECT_EQ(p.entries[2].name, "USER");
  EXPECT_EQ(p.value("USER"), "again");
}

TEST(VarsFile, EnvironmentAnswersForUndefinedNames) {
  Parsed p = parse("A=${HOME}\n", {{"HOME", "/home/jdoe"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "/home/jdoe");
}

TEST(VarsFile, UnsetVariableIsAnError) {
  Parsed p = parse("A=$NOPE\nB=\"x ${ALSO_NOPE}\"\nC=ok\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(), "1:3: " + not_set("NOPE") + "\n2:6: " + not_set("ALSO_NOPE") + "\n");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].name, "C");
}

TEST(VarsFile, ColonDashDefaultIsUsedWhenUnsetOrEmpty) {
  Parsed p = parse("A=${UNSET:-d1}\nB=${EMPTY:-d2}\nC=${SET:-d3}\n", {{"EMPTY", ""}, {"SET", "s"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "d1");
  EXPECT_EQ(p.value("B"), "d2");
  EXPECT_EQ(p.value("C"), "s");
}

TEST(VarsFile, DashDefaultIsUsedOnlyWhenUnset) {
  Parsed p = parse("A=${UNSET-d1}\nB=${EMPTY-d2}\nC=${SET-d3}\nD=${UNSET-}\n",
                   {{"EMPTY", ""}, {"SET", "s"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "d1");
  EXPECT_EQ(p.value("B"), "");
  EXPECT_EQ(p.value("C"), "s");
  EXPECT_EQ(p.value("D"), "");
}

TEST(VarsFile, DefaultIsAWordWithQuotesAndExpansions) {
  Parsed p = parse("IMG=${IMG:-\"quay.io/${USER}/hypershift:latest\"}\n"
                   "A=${UNSET:-'lit $X'}\n"
                   "B=${UNSET:-${ALSO_UNSET:-$USER}}\n"
                   "C=\"${UNSET:-a b}\"\n"
                   "D=${UNSET:-a b}\n"
                   "E=${UNSET:-\"}\"}\n",
                   {{"USER", "jdoe"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("IMG"), "quay.io/jdoe/hypershift:latest");
  EXPECT_EQ(p.value("A"), "lit $X");
  EXPECT_EQ(p.value("B"), "jdoe");
  EXPECT_EQ(p.value("C"), "a b");
  // As in sh, blanks inside `${...}` do not end the value.
  EXPECT_EQ(p.value("D"), "a b");
  EXPECT_EQ(p.value("E"), "}");
}

TEST(VarsFile, UnusedDefaultIsNotExpanded) {
  Parsed p = parse("A=${SET:-$UNSET}\nB=${SET-${UNSET}}\n", {{"SET", "s"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("A"), "s");
  EXPECT_EQ(p.value("B"), "s");
}

TEST(VarsFile, UnusedDefaultMustStillBeWellFormed) {
  Parsed p = parse("A=${SET:-$(rm -rf /)}\nB=${SET:-\"open}\n", {{"SET", "s"}});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(),
            "1:10: command substitution is not supported in a vars file\n"
            "2:10: unterminated double quote; the closing \" must be on the same line\n");
}

TEST(VarsFile, UnclosedBraceIsAnError) {
  Parsed p = parse("A=${X\nB=x${\nC=\"${X:-abc\nD=${X:-abc\n", {{"X", "x"}});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(),
            "1:3: '${' without a closing '}'\n"
            "2:4: '${' without a closing '}'\n"
            "3:4: '${' without a closing '}'\n"
            "4:3: '${' without a closing '}'\n");
}

TEST(VarsFile, UnsupportedBraceFormsAreErrors) {
  Parsed p = parse("A=${X:=y}\nB=${X+y}\nC=${#X}\nD=${}\n", {{"X", "x"}});
  EXPECT_FALSE(p.ok);
  const std::string unsupported =
      "unsupported expansion; a vars file allows only ${NAME}, ${NAME:-default} and "
      "${NAME-default}\n";
  EXPECT_EQ(p.errors(),
            "1:6: " + unsupported +
            "2:6: " + unsupported +
            "3:5: expected a variable name after '${'\n"
            "4:5: expected a variable name after '${'\n");
}

TEST(VarsFile, DollarWithoutANameIsLiteral) {
  Parsed p = parse("A=$\nB=a$ b\nC=\"$\"\nD=$1$-$$\nE=\"cost: $5\"\n");
  // B's `b` after a blank is stray text; everything else is literal `$`.
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(), "2:6: unexpected text after the value; quote values that contain spaces\n");
  EXPECT_EQ(p.value("A"), "$");
  EXPECT_EQ(p.value("C"), "$");
  EXPECT_EQ(p.value("D"), "$1$-$$");
  EXPECT_EQ(p.value("E"), "cost: $5");
}

TEST(VarsFile, CommandSubstitutionIsNotRun) {
  int calls = 0;
  SourceFile file("test.env", "A=$(whoami)\nB=`whoami`\nC=\"x $(id)\"\nD=\"`id`\"\nE=$((1+2))\n");
  std::vector<VarsFileEntry> entries;
  Diagnostics diags;
  auto environment = [&calls](std::string_view) -> std::optional<std::string> {
    ++calls;
    return std::nullopt;
  };
  EXPECT_FALSE(parse_vars_file(file, environment, &entries, &diags));
  EXPECT_TRUE(entries.empty());
  EXPECT_EQ(calls, 0);
  std::vector<std::pair<uint32_t, uint32_t>> where;  // line, col
  for (const Diagnostic& d : diags.all()) {
    EXPECT_EQ(d.message, "command substitution is not supported in a vars file");
    where.emplace_back(d.span.line, d.span.col);
  }
  using LineCol = std::pair<uint32_t, uint32_t>;
  EXPECT_EQ(where, (std::vector<LineCol>{{1, 3}, {2, 3}, {3, 6}, {4, 4}, {5, 3}}));
}

TEST(VarsFile, ReportsEveryBadLineAndKeepsTheGoodOnes) {
  Parsed p = parse("A=1\nB =2\nC=3\nD=\"4\nE=5\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.diags.size(), 2u);
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].name, "A");
  EXPECT_EQ(p.entries[1].name, "C");
  EXPECT_EQ(p.entries[2].name, "E");
}

TEST(VarsFile, LinesUsingABrokenVariableReportNothingMore) {
  // Only the malformed line is reported; the lines built on it fail with it instead of adding
  // "not set" errors or silently wrong values.
  Parsed p = parse("A=\"x\nB=$A/y\nC=${B:-z}\nA=fixed\nD=$A\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors(),
            "1:3: unterminated double quote; the closing \" must be on the same line\n");
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.value("D"), "fixed");
}

TEST(VarsFile, BrokenLineHidesAnEarlierValue) {
  Parsed p = parse("A=old\nA=\"new\nB=$A\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.diags.size(), 1u);
  EXPECT_EQ(p.value("B"), "<none>");
}

TEST(VarsFile, StripsCarriageReturnsAndNeedsNoFinalNewline) {
  Parsed p = parse("A=1\r\nB=\"two\"\r\n# c\r\n\r\nC=$A\r\nD=last");
  EXPECT_TRUE(p.ok) << p.errors();
  ASSERT_EQ(p.entries.size(), 4u);
  EXPECT_EQ(p.value("A"), "1");
  EXPECT_EQ(p.value("B"), "two");
  EXPECT_EQ(p.value("C"), "1");
  EXPECT_EQ(p.value("D"), "last");
}

TEST(VarsFile, AppendsToExistingEntries) {
  SourceFile file("test.env", "A=1\n");
  std::vector<VarsFileEntry> entries{{"OLD", "x", {}}};
  Diagnostics diags;
  auto no_environment = [](std::string_view) { return std::nullopt; };
  EXPECT_TRUE(parse_vars_file(file, no_environment, &entries, &diags));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "OLD");
  EXPECT_EQ(entries[1].name, "A");
}

TEST(VarsFile, NeverCrashesOnArbitraryBytes) {
  // Every prefix of text full of the tricky spots, then random bytes; the sanitizers catch a bad
  // index, this only checks that each failure is reported with a position on its line.
  const std::string tricky =
      "export A=${B:-\"${C-'x'}\\\"$\"}`$(\n\\\r\n${\"\n'\n\"\n$\n${X:-\n\x01\xff=\x80\nZ=\\";
  std::vector<std::string> inputs;
  for (size_t i = 0; i <= tricky.size(); ++i) inputs.push_back(tricky.substr(0, i));
  std::mt19937 rng(42);
  const char kAlphabet[] = "AZ_az09=$`{}()'\"\\#:- \t\r\n\0\xff";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // keeps the NUL
  for (int i = 0; i < 2000; ++i) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) {
      c = rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    inputs.push_back(text);
  }
  for (const std::string& text : inputs) {
    Parsed p = parse(text, {{"B", ""}});
    EXPECT_EQ(p.ok, p.diags.empty()) << text;
    for (const Diagnostic& d : p.diags.all()) {
      EXPECT_LE(d.span.col, p.file->line(d.span.line).size() + 1) << text;
    }
  }
}

TEST(VarsFile, ParsesTheSeedFile) {
  std::ifstream in(std::string(FERRY_SHARED_TESTDATA) + "/seed.env", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read seed.env";
  std::stringstream text;
  text << in.rdbuf();
  Parsed p = parse(text.str(), {{"HOME", "/home/jdoe"}, {"USER", "jdoe"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.entries.size(), 25u);
  EXPECT_EQ(p.value("SSH_KEY_FILE"), "/home/jdoe/.ssh/id_rsa.pub");
  EXPECT_EQ(p.value("MGMT_KUBECONFIG"),
            "/home/jdoe/hypershift/hosted_clusters/jdoe-jdoe-dev/kubeconfig");
  EXPECT_EQ(p.value("HYPERSHIFT_CLI"), "/home/jdoe/hypershift/src/hypershift/bin/hypershift");
  EXPECT_EQ(p.value("HYPERSHIFT_IMAGE"), "quay.io/jdoe/hypershift:latest");
  EXPECT_EQ(p.value("NODE_POOL_REPLICAS"), "2");
  EXPECT_EQ(p.value("BASE_DOMAIN"), "aws.sample.com");
  EXPECT_EQ(p.value("HC_KUBECONFIG"),
            "/home/jdoe/hypershift/hosted_clusters/clusters-jdoe-hosted/kubeconfig");
  EXPECT_EQ(p.value("BUCKET_NAME"), "jdoe-hosted-us-west-1");
}

TEST(VarsFile, SeedFileDefaultsGiveWayToTheEnvironment) {
  std::ifstream in(std::string(FERRY_SHARED_TESTDATA) + "/seed.env", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read seed.env";
  std::stringstream text;
  text << in.rdbuf();
  Parsed p = parse(text.str(), {{"HOME", "/h"}, {"USER", "u"}, {"NODE_POOL_REPLICAS", "5"},
                                {"HYPERSHIFT_IMAGE", "example.com/img:1"}});
  EXPECT_TRUE(p.ok) << p.errors();
  EXPECT_EQ(p.value("NODE_POOL_REPLICAS"), "5");
  EXPECT_EQ(p.value("HYPERSHIFT_IMAGE"), "example.com/img:1");
}

}  // namespace
}  // namespace ferry::dsl

namespace ferry::dsl {

TEST(VarsFile, ExpandsALeadingTildeToHomeAsShDoes) {
  SourceFile file("t.env", "A=~/.kube/config\nB=~\nC=x~/y\nD='~/q'\n");
  std::vector<VarsFileEntry> out;
  Diagnostics diags;
  auto env = [](std::string_view n) -> std::optional<std::string> {
    return n == "HOME" ? std::optional<std::string>("/home/jdoe") : std::nullopt;
  };
  ASSERT_TRUE(parse_vars_file(file, env, &out, &diags)) << diags.render();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].value, "/home/jdoe/.kube/config");
  EXPECT_EQ(out[1].value, "/home/jdoe");
  EXPECT_EQ(out[2].value, "x~/y");
  EXPECT_EQ(out[3].value, "~/q");
}

}  // namespace ferry::dsl

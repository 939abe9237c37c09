// The .ferry parser and printer: syntax errors with positions, the AST shape, and printing
// that keeps meaning and comments.
#include <gtest/gtest.h>

#include "dsl/ferry_parser.h"
#include "dsl/printer.h"

namespace ferry::dsl {
namespace {

struct Parsed {
  SourceSet sources;
  Diagnostics diags;
  std::optional<File> file;
};

std::unique_ptr<Parsed> parse(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  p->file = parse_ferry(*p->sources.add("t.ferry", text), &p->diags);
  return p;
}

std::string first_error(const std::string& text) {
  auto p = parse(text);
  EXPECT_FALSE(p->file);
  return p->diags.empty() ? "" : p->diags.all()[0].span.str() + ": " + p->diags.all()[0].message;
}

TEST(Parser, ReadsAPlanIntoTheAst) {
  auto p = parse(R"(plan "x" {
  use "hypershift"
  param n : list(string) = ["a"]
  param token : secret string
  cluster source { kubeconfig = "/k" }
  let a = 1
  phase one {
    step s[a] = noop { after = [t] }
    for i in n { when i == "a" { step u[i] = tmpl(k = i) } }
  }
})");
  ASSERT_TRUE(p->file) << p->diags.render();
  const File& f = *p->file;
  EXPECT_EQ(f.name, "x");
  ASSERT_EQ(f.uses.size(), 1u);
  EXPECT_EQ(f.params[0].type.name, "list");
  EXPECT_EQ(f.params[0].type.element[0].name, "string");
  EXPECT_TRUE(f.params[1].secret);
  EXPECT_EQ(f.clusters[0].fields[0].name, "kubeconfig");
  const Stmt& step = f.phases[0].body[0];
  EXPECT_EQ(step.kind, Stmt::Kind::Step);
  EXPECT_EQ(step.type, "noop");
  ASSERT_TRUE(step.index);
  const Stmt& loop = f.phases[0].body[1];
  EXPECT_EQ(loop.kind, Stmt::Kind::For);
  EXPECT_EQ(loop.body[0].kind, Stmt::Kind::When);
  EXPECT_EQ(loop.body[0].body[0].kind, Stmt::Kind::Instance);
  EXPECT_EQ(loop.body[0].body[0].fields[0].name, "k");
}

TEST(Parser, ReportsWhereAndWhatWasExpected) {
  EXPECT_EQ(first_error("plan \"x\" {\n  phase a {\n    step s = noop {\n  }\n"),
            "t.ferry:2:11: unexpected end of file: this '{' is never closed");
  EXPECT_EQ(first_error("plan \"x\" {\n  phase a {\n    step s = noop {\n      namespace \"x\"\n"),
            "t.ferry:4:17: expected '=' after the field name");
  EXPECT_EQ(first_error("plan \"x\" {\n  let a = [1, 2\n}"), "t.ferry:3:1: expected ',' or ']' in the list");
  EXPECT_EQ(first_error("plan \"x\" {\n  let a = \"abc\n\"}"),
            "t.ferry:2:15: unterminated string: expected '\"' before the end of the line");
  EXPECT_EQ(first_error("plan \"x\" {\n  parm a : string\n}"),
            "t.ferry:2:3: expected a declaration (use, param, cluster, let, template, phase), a setting ('name = "
            "value') or '}' to close the plan; did you mean 'param'?");
  EXPECT_EQ(first_error("plan \"x\" {\n  let a = 1 +\n}"), "t.ferry:3:1: expected an expression after the operator");
  EXPECT_EQ(first_error("plan \"x\" {\n  let a = 1 ==\n}"), "t.ferry:3:1: expected an expression after the operator");
  EXPECT_EQ(first_error("plan \"x\" { let a = \"${b\" }"), "t.ferry:1:24: expected '}' to close the '${' interpolation");
  EXPECT_EQ(first_error("plan \"x\" { let a = \"\\q\" }"), "t.ferry:1:22: unknown escape sequence; use \\\" \\\\ \\n \\t \\r or \\$");
  EXPECT_EQ(first_error("plan \"x\" {}\nextra"), "t.ferry:2:1: unexpected text after the closing '}'");
  EXPECT_EQ(first_error("nothing here"), "t.ferry:1:1: expected 'plan \"name\" {' or 'module \"name\" {'");
}

TEST(Parser, RefusesDeepNestingInsteadOfOverflowingTheStack) {
  std::string deep = "plan \"x\" { let a = " + std::string(5000, '[') + std::string(5000, ']') + " }";
  EXPECT_EQ(first_error(deep), "t.ferry:1:" + std::to_string(20 + 100) + ": nesting is too deep (more than 100 levels)");
}

TEST(Parser, RejectsAnIntegerOutOfRange) {
  auto p = parse("plan \"x\" { let a = 99999999999999999999 }");
  EXPECT_EQ(p->diags.render(),
            "t.ferry:1:20: error: integer '99999999999999999999' is out of range (at most 9223372036854775807)\n"
            "plan \"x\" { let a = 99999999999999999999 }\n"
            "                   ^\n");
}

std::string reprint_expr(const std::string& expr) {
  auto p = parse("plan \"x\" { let a = " + expr + " }");
  EXPECT_TRUE(p->file) << p->diags.render();
  return p->file ? print_expr(p->file->lets[0].expr) : "";
}

TEST(Printer, KeepsPrecedenceWithTheFewestParentheses) {
  EXPECT_EQ(reprint_expr("(a || b) && c"), "(a || b) && c");
  EXPECT_EQ(reprint_expr("a || (b && c)"), "a || b && c");
  EXPECT_EQ(reprint_expr("!(a == b)"), "!(a == b)");
  EXPECT_EQ(reprint_expr("(a ? b : c) ? d : e"), "(a ? b : c) ? d : e");
  EXPECT_EQ(reprint_expr("a ? b : c ? d : e"), "a ? b : c ? d : e");
  EXPECT_EQ(reprint_expr("x[0].y"), "x[0].y");
  EXPECT_EQ(reprint_expr("-(1)"), "-1");
  EXPECT_EQ(reprint_expr("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(reprint_expr("(a - b) - c"), "a - b - c");
  EXPECT_EQ(reprint_expr("(a + b) == c"), "a + b == c");
  EXPECT_EQ(reprint_expr("-(a + b)"), "-(a + b)");
}

TEST(Printer, EscapesStringsSoTheyReadBackTheSame) {
  EXPECT_EQ(reprint_expr(R"("a\"b\\c\n$${literal} ${x}")"), R"("a\"b\\c\n$${literal} ${x}")");
  EXPECT_EQ(reprint_expr(R"({ "app.kubernetes.io/name" = "x", plain = 1 })"),
            R"({ "app.kubernetes.io/name" = "x", plain = 1 })");
}

TEST(Printer, KeepsCommentsInPlace) {
  std::string text = R"(# header
plan "x" {
  # about a
  let a = 1  # trailing

  phase one {
    # about s
    step s = noop {
      description = "d"  # why
    }
  }
  # at the end
}
)";
  auto p = parse(text);
  ASSERT_TRUE(p->file) << p->diags.render();
  EXPECT_EQ(print_ferry(*p->file), text);
}

}  // namespace
}  // namespace ferry::dsl

// libFuzzer target for the .ferry front end: parser and printer (`ferry fmt`).
//
// Not just "no crash": for every input that parses without errors it checks the properties
// `fmt` promises (dsl/printer.h):
//   1. the printed text parses again, without errors;
//   2. the re-parsed file means the same: the same AST, spans and comments aside;
//   3. no comment is lost: the re-parsed file holds as many comments as the input;
//   4. printing is idempotent: printing the re-parsed file gives the same text.
// A violation prints what went wrong with the texts involved and traps, so libFuzzer saves the
// input as a crash. Sanitizers (ASan, UBSan) catch memory errors and undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/ferry_parser.h"
#include "dsl/printer.h"
#include "dsl/source.h"

namespace {

using namespace ferry::dsl;

// ---- AST equality, spans and comments aside ------------------------------------------------
// Each returns the path to the first difference, or "" when equal.

std::string diff(const Expr& a, const Expr& b, const std::string& at);

template <typename T, typename F>
std::string diff_list(const std::vector<T>& a, const std::vector<T>& b, const std::string& at, F each) {
  if (a.size() != b.size()) {
    return at + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " items";
  }
  for (size_t i = 0; i < a.size(); ++i) {
    std::string d = each(a[i], b[i], at + "[" + std::to_string(i) + "]");
    if (!d.empty()) return d;
  }
  return "";
}

std::string diff(const Expr& a, const Expr& b, const std::string& at) {
  if (a.kind != b.kind) return at + ": kind " + std::to_string(int(a.kind)) + " vs " + std::to_string(int(b.kind));
  if (a.kind == Expr::Kind::Bool && a.boolean != b.boolean) return at + ": bool value";
  if (a.kind == Expr::Kind::Int && a.integer != b.integer) return at + ": int value";
  if (a.text != b.text) return at + ": text '" + a.text + "' vs '" + b.text + "'";
  if (a.keys != b.keys) return at + ": map keys";
  if (a.kind == Expr::Kind::Map && a.written_as_block != b.written_as_block) return at + ": written_as_block";
  return diff_list(a.children, b.children, at + ".children",
                   [](const Expr& x, const Expr& y, const std::string& p) { return diff(x, y, p); });
}

std::string diff(const TypeExpr& a, const TypeExpr& b, const std::string& at) {
  if (a.name != b.name) return at + ": type '" + a.name + "' vs '" + b.name + "'";
  if (a.enum_values != b.enum_values) return at + ": enum values";
  return diff_list(a.element, b.element, at + ".element",
                   [](const TypeExpr& x, const TypeExpr& y, const std::string& p) { return diff(x, y, p); });
}

std::string diff(const std::optional<Expr>& a, const std::optional<Expr>& b, const std::string& at) {
  if (a.has_value() != b.has_value()) return at + ": present vs absent";
  return a ? diff(*a, *b, at) : "";
}

std::string diff(const Field& a, const Field& b, const std::string& at) {
  if (a.name != b.name) return at + ": field '" + a.name + "' vs '" + b.name + "'";
  return diff(a.value, b.value, at + "." + a.name);
}

std::string diff(const Param& a, const Param& b, const std::string& at) {
  if (a.name != b.name) return at + ": param '" + a.name + "' vs '" + b.name + "'";
  if (a.secret != b.secret) return at + ": secret";
  std::string d = diff(a.type, b.type, at + ".type");
  return d.empty() ? diff(a.default_value, b.default_value, at + ".default") : d;
}

std::string diff(const Stmt& a, const Stmt& b, const std::string& at) {
  if (a.kind != b.kind) return at + ": statement kind";
  if (a.name != b.name) return at + ": name '" + a.name + "' vs '" + b.name + "'";
  if (a.type != b.type) return at + ": type '" + a.type + "' vs '" + b.type + "'";
  if (a.has_rollback_block != b.has_rollback_block) return at + ": rollback block";
  std::string d = diff(a.index, b.index, at + ".index");
  if (d.empty()) d = diff(a.expr, b.expr, at + ".expr");
  if (d.empty()) {
    d = diff_list(a.fields, b.fields, at + ".fields",
                  [](const Field& x, const Field& y, const std::string& p) { return diff(x, y, p); });
  }
  if (d.empty()) {
    d = diff_list(a.body, b.body, at + ".body",
                  [](const Stmt& x, const Stmt& y, const std::string& p) { return diff(x, y, p); });
  }
  return d;
}

std::string diff(const File& a, const File& b) {
  auto fields = [](const Field& x, const Field& y, const std::string& p) { return diff(x, y, p); };
  auto stmts = [](const Stmt& x, const Stmt& y, const std::string& p) { return diff(x, y, p); };
  auto params = [](const Param& x, const Param& y, const std::string& p) { return diff(x, y, p); };
  if (a.kind != b.kind) return "file kind";
  if (a.name != b.name) return "file name";
  std::string d = diff_list(a.settings, b.settings, "settings", fields);
  if (d.empty()) {
    d = diff_list(a.uses, b.uses, "uses", [](const Use& x, const Use& y, const std::string& p) {
      return x.path == y.path ? "" : p + ": path";
    });
  }
  if (d.empty()) d = diff_list(a.params, b.params, "params", params);
  if (d.empty()) {
    d = diff_list(a.clusters, b.clusters, "clusters", [&](const Cluster& x, const Cluster& y, const std::string& p) {
      return x.name != y.name ? p + ": name" : diff_list(x.fields, y.fields, p + ".fields", fields);
    });
  }
  if (d.empty()) d = diff_list(a.lets, b.lets, "lets", stmts);
  if (d.empty()) {
    d = diff_list(a.templates, b.templates, "templates", [&](const Template& x, const Template& y, const std::string& p) {
      if (x.name != y.name) return p + ": name";
      std::string e = diff_list(x.params, y.params, p + ".params", params);
      return e.empty() ? diff_list(x.body, y.body, p + ".body", stmts) : e;
    });
  }
  if (d.empty()) {
    d = diff_list(a.phases, b.phases, "phases", [&](const Phase& x, const Phase& y, const std::string& p) {
      if (x.name != y.name) return p + ": name";
      std::string e = diff_list(x.settings, y.settings, p + ".settings", fields);
      return e.empty() ? diff_list(x.body, y.body, p + ".body", stmts) : e;
    });
  }
  return d;
}

// ---- comments ------------------------------------------------------------------------------

size_t count(const Comments& c) { return c.leading.size() + (c.trailing.empty() ? 0 : 1); }

size_t count_comments(const std::vector<Field>& fields) {
  size_t n = 0;
  for (const Field& f : fields) n += count(f.comments);
  return n;
}

size_t count_comments(const std::vector<Stmt>& body) {
  size_t n = 0;
  for (const Stmt& s : body) n += count(s.comments) + count_comments(s.fields) + count_comments(s.body);
  return n;
}

size_t count_comments(const File& f) {
  size_t n = count(f.comments) + f.closing_comments.size() + count_comments(f.settings) + count_comments(f.lets);
  for (const Use& u : f.uses) n += count(u.comments);
  for (const Param& p : f.params) n += count(p.comments);
  for (const Cluster& c : f.clusters) n += count(c.comments) + count_comments(c.fields);
  for (const Template& t : f.templates) {
    n += count(t.comments) + count_comments(t.body);
    for (const Param& p : t.params) n += count(p.comments);
  }
  for (const Phase& p : f.phases) n += count(p.comments) + count_comments(p.settings) + count_comments(p.body);
  return n;
}

// ---- the target ----------------------------------------------------------------------------

// Writes `text` whole: inputs may hold NUL bytes.
void write(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stderr); }

[[noreturn]] void fail(const char* what, const std::string& input, const std::string& printed,
                       const std::string& detail) {
  std::fprintf(stderr, "\n==== ferry_parser_fuzz: %s\n---- input (%zu bytes):\n", what, input.size());
  write(input);
  write("\n---- printed:\n");
  write(printed);
  write("\n---- detail:\n");
  write(detail);
  write("\n====\n");
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  SourceFile source("fuzz.ferry", input);
  Diagnostics diags;
  std::optional<File> file = parse_ferry(source, &diags);
  // Only error-free parses have a meaning fmt must keep (`ferry fmt` refuses the others).
  if (!file || !diags.empty()) return 0;

  std::string printed = print_ferry(*file);
  SourceFile reprinted_source("fuzz-printed.ferry", printed);
  Diagnostics rediags;
  std::optional<File> reparsed = parse_ferry(reprinted_source, &rediags);
  if (!reparsed || !rediags.empty()) {
    fail("the printed text does not parse", input, printed, rediags.render());
  }
  if (std::string d = diff(*file, *reparsed); !d.empty()) {
    fail("the printed text means something else (the ASTs differ)", input, printed, d);
  }
  if (size_t before = count_comments(*file), after = count_comments(*reparsed); before != after) {
    fail("printing lost or duplicated comments", input, printed,
         std::to_string(before) + " comments before, " + std::to_string(after) + " after");
  }
  std::string again = print_ferry(*reparsed);
  if (again != printed) fail("printing is not idempotent", input, printed, "printed again:\n" + again);
  return 0;
}

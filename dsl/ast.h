// The syntax tree both surfaces (.ferry and TOML) load into. It keeps what the author wrote
// (expressions unevaluated, templates and loops unexpanded, comments) so that `fmt` and
// `convert` can print it back; the compiler turns it into the IR.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsl/source.h"

namespace ferry::dsl {

// Comments that stood on the lines before a node, and one after it on its own last line.
struct Comments {
  std::vector<std::string> leading;  // each without its '#', as written after it
  std::string trailing;              // "" when none
};

struct Expr {
  enum class Kind {
    Null,
    Bool,
    Int,
    String,   // children: Text and interpolated expressions, in order
    Text,     // literal part of a String; `text` holds it unescaped
    List,     // children: elements
    Map,      // children: values; `keys`: their keys
    Ident,    // `text`: the name
    Call,     // `text`: the function; children: arguments
    Index,    // children: [base, index]
    Field,    // `text`: the field; children: [base]
    Unary,    // `text`: "!" or "-"; children: [operand]
    Binary,   // `text`: the operator; children: [lhs, rhs]
    Ternary,  // children: [condition, then, else]
  };

  Kind kind = Kind::Null;
  Span span;
  bool boolean = false;
  int64_t integer = 0;
  std::string text;
  std::vector<Expr> children;
  std::vector<std::string> keys;      // Map only
  std::vector<Span> key_spans;        // Map only
  bool written_as_block = false;      // Map only: `retry { ... }` rather than `retry = { ... }`
};

// A type as written: `string`, `list(string)`, `enum("a", "b")`, ...
struct TypeExpr {
  std::string name;                   // string, int, bool, duration, list, map, enum, cluster, any
  std::vector<TypeExpr> element;      // list and map: one element type
  std::vector<std::string> enum_values;
  Span span;
};

struct Field {
  std::string name;
  Span span;
  Expr value;
  Comments comments;
};

struct Stmt;

// Steps and the constructs that make steps: loops, conditional blocks, template instances and
// block-scoped `let`s.
struct Stmt {
  enum class Kind { Step, Instance, For, When, Let };

  Kind kind = Kind::Step;
  Span span;
  std::string name;              // Step/Instance: the id; For: the loop variable; Let: the name
  std::optional<Expr> index;     // Step/Instance: `snap[pod]`'s `pod`
  std::string type;              // Step: the step type; Instance: the (maybe qualified) template
  Span type_span;
  std::vector<Field> fields;     // Step: its fields; Instance: the arguments
  Expr expr;                     // For: the list; When: the condition; Let: the value
  std::vector<Stmt> body;        // For/When: the statements; Step: its `rollback { ... }` steps
  bool has_rollback_block = false;
  bool isolated = false;         // Instance: `isolated step ...`, its own failure scope
  Span rollback_span;
  Comments comments;
};

struct Param {
  std::string name;
  Span span;
  TypeExpr type;
  bool secret = false;
  std::optional<Expr> default_value;
  Comments comments;
};

struct Use {
  std::string path;
  Span span;
  Comments comments;
};

struct Cluster {
  std::string name;
  Span span;
  std::vector<Field> fields;
  Comments comments;
};

struct Phase {
  std::string name;
  Span span;
  std::vector<Field> settings;  // description, on_failure
  std::vector<Stmt> body;
  Comments comments;
};

struct Template {
  std::string name;
  Span span;
  std::vector<Param> params;
  std::vector<Stmt> body;
  Comments comments;
};

// One file: a plan, or a module of templates that plans `use`.
struct File {
  enum class Kind { Plan, Module };

  Kind kind = Kind::Plan;
  std::string name;
  Span span;
  const SourceFile* source = nullptr;
  std::vector<Field> settings;   // description, on_failure, timeout, retry, ...
  std::vector<Use> uses;
  std::vector<Param> params;
  std::vector<Cluster> clusters;
  std::vector<Stmt> lets;        // Kind::Let only
  std::vector<Template> templates;
  std::vector<Phase> phases;
  Comments comments;             // before `plan`
  std::vector<std::string> closing_comments;  // after the last declaration, before the '}'
};

}  // namespace ferry::dsl

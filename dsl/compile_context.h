// State shared by the compiler's phases (see compiler.h). Internal to dsl/.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dsl/ast.h"
#include "dsl/compiler.h"
#include "dsl/diagnostics.h"
#include "dsl/ir.h"
#include "dsl/types.h"

namespace ferry::dsl {

struct Scope;

// A name's value. Lets, params' defaults and template arguments are evaluated when first used
// (so they may name steps declared later); loop variables are values from the start.
struct Binding {
  // "param", "let", "loop variable", "template parameter": a literal, so that binding each of
  // a loop's template instances allocates no string for it.
  const char* kind = "";
  Span span;
  std::optional<json> value;
  const Expr* expr = nullptr;   // unevaluated, with the scope to evaluate it in
  Scope* expr_scope = nullptr;
  const Type* type = nullptr;   // the value is checked against this once evaluated
  bool evaluating = false;      // set while evaluating, to catch `let a = a`
  bool failed = false;          // evaluated once with errors (reported then, not again)
};

struct Scope {
  Scope* parent = nullptr;
  std::map<std::string, Binding> names;
  // Prepended to step names declared here: "etcd[etcd-0]." inside a template instance,
  // "stop/" inside the rollback block of step "stop".
  std::string step_prefix;
};

// A conditional block around a step: `when cond { ... }`.
struct Condition {
  const Expr* expr;
  Scope* scope;
};

// One step after expansion: its AST, where its names resolve, and where it sits.
struct StepInstance {
  const Stmt* stmt = nullptr;
  Scope* scope = nullptr;
  std::string id;
  std::string phase;
  std::string template_name;
  std::string owner;            // for a rollback-block step: the step it undoes
  std::vector<Condition> conditions;
  bool excluded = false;        // its `when` is false at compile time
  json when;                    // what remains of its `when` for the run (null: none)
  std::string failure_scope;    // the isolated instance it is part of (IrStep::scope); "" for none
  // Its place among the IR's top-level steps (in id order) once the linker has numbered them;
  // kNotLinked for a rollback-block step or one not in the IR.
  static constexpr size_t kNotLinked = static_cast<size_t>(-1);
  size_t link_index = kNotLinked;
};

struct TemplateDef {
  const Template* ast = nullptr;
  std::string qualified_name;   // "module.template", or the bare name for a plan's own
  Scope* scope = nullptr;       // the scope it was defined in
};

struct CompileContext {
  CompileContext(const CompileOptions& o, SourceSet* s, Diagnostics* d) : options(o), sources(s), diags(d) {}

  const CompileOptions& options;
  SourceSet* sources;
  Diagnostics* diags;

  std::deque<File> files;       // the plan first, then modules; kept alive for the AST pointers
  std::deque<Scope> scopes;
  Scope* root = nullptr;
  std::map<std::string, const TemplateDef*> templates;  // by qualified and by bare name
  std::set<std::string> ambiguous_templates;            // bare names two modules define
  std::deque<TemplateDef> template_defs;
  std::set<std::string> module_paths_loaded;
  std::set<std::string> failed_modules;  // `use`s that failed: their templates are not reported missing
  std::vector<std::string> module_names;
  std::set<std::string> cluster_names;
  std::set<std::string> vars_read;
  // discover()'s answers by query: a plan asks each cluster each question once.
  std::map<std::string, json> discovered;

  std::deque<StepInstance> instances;
  // Ordered (groups are found by prefix scans). The keys view the ids of `instances`, which
  // never move (a deque only grows at its ends): a 10,000-step plan copies no id for them.
  // Add to them with add_step and add_group, which keep the hash indexes below in step.
  std::map<std::string_view, StepInstance*> steps_by_id;
  // "snap", "etcd[etcd-0]": prefixes that name several steps, with where each is first declared.
  std::map<std::string, Span, std::less<>> groups;
  // Exact lookups (several per step and per reference) hash instead of comparing long shared
  // prefixes down a tree: every step id to its instance and every group to nullptr (a name is
  // never both), so "is it a step or a group" is one lookup. It views the keys above, which
  // never move (node-based containers).
  std::unordered_map<std::string_view, StepInstance*> name_index;
  // Template parameters' types, resolved once per parameter rather than once per instance
  // (bindings point at them: an unordered_map's elements never move).
  std::unordered_map<const TypeExpr*, Type> param_types;
  // Template arguments, checked against their parameter types even if no step uses them.
  std::vector<std::pair<std::string, Binding*>> template_args;

  Ir ir;

  StepInstance* find_step(std::string_view id) const {
    auto it = name_index.find(id);
    return it == name_index.end() ? nullptr : it->second;
  }
  bool is_group(std::string_view id) const {
    auto it = name_index.find(id);
    return it != name_index.end() && it->second == nullptr;
  }
  bool is_step_or_group(std::string_view id) const { return name_index.count(id) != 0; }
  // The expander adds a step only once its id is known to be no group (claim_id).
  void add_step(StepInstance* step) {
    steps_by_id.insert_or_assign(step->id, step);
    name_index[step->id] = step;
  }
  // Declares a group, keeping the span of its first declaration. A step's id is no group.
  void add_group(std::string_view group, Span span) {
    if (is_step_or_group(group)) return;
    name_index.emplace(groups.emplace(group, span).first->first, nullptr);
  }

  Scope* new_scope(Scope* parent, std::string step_prefix) {
    scopes.push_back(Scope{parent, {}, std::move(step_prefix)});
    return &scopes.back();
  }
};

// Where `stmt` sets `field` (the first time, if twice); the statement's own span if it does not.
inline Span field_span(const Stmt& stmt, std::string_view field) {
  for (const Field& f : stmt.fields) {
    if (f.name == field) return f.span;
  }
  return stmt.span;
}

// The type a param declares; `step` is allowed only for template parameters. std::nullopt
// (after an error) for an unknown type name.
std::optional<Type> resolve_type_expr(const TypeExpr& type, Diagnostics* diags, bool template_param);

// Phases, in order. Each reports to ctx.diags and returns false if it found errors that make
// the next phase pointless.
bool load_modules(CompileContext& ctx);
void bind_params(CompileContext& ctx);
void expand_steps(CompileContext& ctx);
void check_steps(CompileContext& ctx);
void link_steps(CompileContext& ctx);

}  // namespace ferry::dsl

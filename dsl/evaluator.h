// Evaluates expressions at compile time. What only a run can know (a step's outputs, a secret)
// comes out symbolic; operators over symbolic operands stay symbolic (dsl/symbolic.h) for the
// executor.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "dsl/compile_context.h"

namespace ferry::dsl {

class Evaluator {
 public:
  explicit Evaluator(CompileContext& ctx) : ctx_(ctx) {}

  // The value of `expr` in `scope`, or std::nullopt after reporting an error.
  // `bare_words` are identifiers that stand for themselves when no name matches (the values
  // of an enum field: `rollback = auto`, `on = [transient]`).
  std::optional<json> eval(const Expr& expr, Scope* scope, const std::set<std::string>& bare_words = {});

  // Like eval, but the result must be fully known now (a `for` list, a step index).
  std::optional<json> eval_static(const Expr& expr, Scope* scope, const std::string& what);

  // The value of `binding`, evaluating it on first use.
  std::optional<json> value_of(const std::string& name, Binding& binding);
  // The same without a copy: the binding's own value, or nullptr after an error.
  const json* bound_value(const std::string& name, Binding& binding);

  // The step or group `name` refers to from `scope` ("" if none).
  std::string resolve_step(const std::string& name, const Scope* scope) const;
  bool is_step_or_group(const std::string& id) const;

 private:
  std::optional<json> eval_ident(const Expr& expr, Scope* scope, const std::set<std::string>& bare_words);
  // The binding `name` finds from `scope`, nullptr if it names none.
  Binding* find_binding(const std::string& name, Scope* scope) const;
  std::optional<json> eval_string(const Expr& expr, Scope* scope);
  std::optional<json> eval_call(const Expr& expr, Scope* scope);
  // env(NAME[, DEFAULT]): the default is evaluated only when the variable is not set (it may be a
  // discover(), which reads a cluster).
  std::optional<json> eval_env(const Expr& expr, Scope* scope);
  // discover(CLUSTER, KIND, NAMESPACE, SELECTOR), its arguments evaluated (evaluate_discover.cc).
  std::optional<json> eval_discover(const Expr& expr, const std::vector<json>& args);
  std::optional<json> eval_access(const Expr& expr, Scope* scope);
  std::optional<json> eval_operator(const Expr& expr, Scope* scope);
  std::optional<std::string> read_env(const std::string& name);

  CompileContext& ctx_;
  mutable std::string candidate_;  // resolve_step's scratch id
};

}  // namespace ferry::dsl

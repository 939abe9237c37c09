// Checks compiled values against the types fields and params declare.
#pragma once

#include <set>
#include <string>

#include "dsl/evaluator.h"

namespace ferry::dsl {

class ValueChecker {
 public:
  ValueChecker(CompileContext& ctx, Evaluator& eval) : ctx_(ctx), eval_(eval) {}

  // Checks `value` against `type`, normalizing it in place: durations to their canonical
  // spelling, step names (TOML writes them as strings) to references, struct defaults filled.
  // `expr` is the expression the value came from, used to point at the exact element that is
  // wrong; `path` names the field in messages ("retry.attempts"). False after reporting errors.
  bool check(json& value, const Type& type, const Expr* expr, Span span, const std::string& path, Scope* scope);

  // Checks the fields of a map against `fields`: unknown ones (with a suggestion), missing
  // required ones, and defaults filled in. `what` names the owner in messages ("retry").
  bool check_struct(json& value, const std::vector<StructField>& fields, const Expr* expr, Span span,
                    const std::string& path, Scope* scope);

 private:
  bool mismatch(const Type& type, const json& value, Span span, const std::string& path);

  CompileContext& ctx_;
  Evaluator& eval_;
};

// Enum values anywhere in a type, which may be written bare: `rollback = auto`,
// `retry { on = [transient] }`.
std::set<std::string> bare_words_of(const Type& type);

// The word that finishes "expected ..." for a type: "an int", "one of \"a\", \"b\"".
std::string describe_type(const Type& type);

}  // namespace ferry::dsl

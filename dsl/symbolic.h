// The IR's symbolic values: what only a run can know (a step's output, a secret) and what is
// computed from it, kept in the compiled plan as a JSON object whose first key starts with '$':
//   {"$ref": step, "output": [...]}   a step (in `after` and step fields) or its outputs
//   {"$secret": param}                the value of a secret param
//   {"$concat": [part, ...]}          a string interpolating symbolic parts
//   {"$op": op, "args": [...]}        an operator, len/join/int, or an index/field access
// This file is their one home: the compiler makes and reads them, the engine evaluates them, and
// both do it through these functions, so the shapes and the operators' rules are spelled once.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::dsl {

using json = nlohmann::json;

enum class SymbolicKind { kNone, kRef, kSecret, kConcat, kOp };

// Making them.
json make_ref(std::string step_id);                     // {"$ref": id}: the step, or its default output
json make_output_ref(std::string step_id, json path);  // {"$ref": id, "output": path}
json make_secret(std::string param);
json make_concat(std::vector<json> parts);
json make_op(std::string op, json args);
// `ref` (a $ref) reading one step further into its outputs: `snap.size`, `url[0]`.
void extend_ref(json& ref, json key);

// Recognising them: by their first key. A map of the plan's own never has a key that looks like
// one, because a user's key starting with '$' is escaped in the IR (escape_key).
SymbolicKind symbolic_kind(const json& value);
bool is_symbolic(const json& value);
// True if `value` or anything inside it is symbolic.
bool contains_symbolic(const json& value);

// Their parts; nullptr when `value` is not of that kind.
const std::string* ref_step(const json& value);     // the step id of a $ref
const json* ref_output(const json& value);          // its output path, nullptr when it has none
bool is_step_ref(const json& value);                // a $ref with no output path: the step itself
const std::string* secret_param(const json& value);
const json* concat_parts(const json& value);
const std::string* op_name(const json& value);
const json* op_args(const json& value);
// The values a symbolic value is made from, which may be symbolic themselves: the parts of a
// $concat, the args of an $op; none for a $ref or a $secret.
const json* operands(const json& value);

// Operators (and len, join, int, index, field) over concrete values, as the compiler folds them
// and the executor evaluates what stayed symbolic: the one implementation of their rules.
// std::nullopt with *error (a sentence without a location) when the operands do not fit;
// int overflow is such an error, never a wrapped result.
std::optional<json> eval_op(const std::string& op, const std::vector<json>& args, std::string* error);

// The text `${value}` inserts into a string: a string as is, an int in decimal, a bool, null as
// nothing. std::nullopt for a list or map.
std::optional<std::string> interpolation_text(const json& value);

// A user's map key as the IR holds it. First keys starting with '$' are the symbolic values', so
// a key the plan writes with a leading '$' ("$schema", "$patch") is stored with one more '$':
// "$$schema" (and "$$x" as "$$$x"). Other keys are stored as written, so plans without such keys
// compile to the IR (and hash) they always did. unescape_key is the inverse: the engine applies
// it when it makes a step's concrete args, so the step sees the key the plan wrote.
std::string escape_key(std::string_view key);
std::string_view unescape_key(std::string_view key);  // a view into `key`
// `value` with every map key escaped: JSON from outside the plan's text (a --var) in the IR's form.
json escape_keys(const json& value);

}  // namespace ferry::dsl

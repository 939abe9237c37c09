#include "engine/run/resolve.h"

#include "dsl/step_types.h"
#include "dsl/symbolic.h"

namespace ferry::engine {
namespace {

bool is_placeholder(const json& v) { return v.is_string() && v.get<std::string>().starts_with("<") && v.get<std::string>().ends_with(">"); }

class Resolver {
 public:
  explicit Resolver(const ResolveScope& scope) : scope_(scope) {}

  Status eval(const json& v, json* out) {
    if (v.is_array()) {
      *out = json::array();
      for (const json& item : v) {
        json r;
        if (Status s = eval(item, &r); !s.ok()) return s;
        out->push_back(std::move(r));
      }
      return Status::Ok();
    }
    if (!v.is_object()) {
      *out = v;
      return Status::Ok();
    }
    switch (dsl::symbolic_kind(v)) {
      case dsl::SymbolicKind::kNone: {
        *out = json::object();
        for (const auto& [k, item] : v.items()) {
          // The key the plan wrote: "$$schema" in the IR is "$schema" (dsl::escape_key).
          if (Status s = eval(item, &(*out)[std::string(dsl::unescape_key(k))]); !s.ok()) return s;
        }
        return Status::Ok();
      }
      case dsl::SymbolicKind::kRef:
        if (const std::string* id = dsl::ref_step(v)) return ref(*id, dsl::ref_output(v), out);
        break;
      case dsl::SymbolicKind::kSecret:
        if (const std::string* name = dsl::secret_param(v)) return secret(*name, out);
        break;
      case dsl::SymbolicKind::kConcat:
        if (const json* parts = dsl::concat_parts(v)) return concat(*parts, out);
        break;
      case dsl::SymbolicKind::kOp:
        if (dsl::op_name(v) && dsl::op_args(v)) return op(*dsl::op_name(v), *dsl::op_args(v), out);
        break;
    }
    return Status::Invalid("malformed run-time value in the plan: " + v.dump());
  }

 private:
  Status ref(const std::string& id, const json* output, json* out) {
    json path = output ? *output : json::array();
    if (path.empty()) {
      const dsl::IrStep* step = scope_.ir ? scope_.ir->find(id) : nullptr;
      const dsl::StepSchema* schema = step ? dsl::find_step_schema(step->type) : nullptr;
      if (!schema || schema->default_output.empty()) {
        return Status::Invalid("step '" + id + "' has no default output to read");
      }
      path = json::array({schema->default_output});
    }
    std::string shown = id;
    for (const json& p : path) shown += p.is_string() ? "." + p.get<std::string>() : "[" + p.dump() + "]";
    const json* outputs = scope_.outputs ? scope_.outputs(id) : nullptr;
    if (!outputs) {
      if (scope_.placeholders) {
        *out = "<" + shown + ">";
        return Status::Ok();
      }
      return Status::Invalid("the output " + shown + " is not known: step '" + id + "' has not run or was skipped");
    }
    const json* at = outputs;
    for (const json& p : path) {
      const json* next = nullptr;
      if (p.is_string() && at->is_object() && at->contains(p.get<std::string>())) next = &(*at)[p.get<std::string>()];
      if (p.is_number_integer() && at->is_array() && p.get<int64_t>() >= 0 && p.get<size_t>() < at->size()) {
        next = &(*at)[p.get<size_t>()];
      }
      if (!next) return Status::Invalid("step '" + id + "' has no output " + shown);
      at = next;
    }
    *out = *at;
    return Status::Ok();
  }

  Status secret(const std::string& name, json* out) {
    if (scope_.placeholders) {
      *out = std::string(kRedacted);
      return Status::Ok();
    }
    auto value = scope_.secret ? scope_.secret(name) : std::nullopt;
    if (!value) {
      return Status::Invalid("secret param '" + name + "' has no value; pass --var " + name +
                             "=... or --vars-file, or set it in the environment");
    }
    if (scope_.redactor) scope_.redactor->add(*value);
    *out = *value;
    return Status::Ok();
  }

  Status concat(const json& parts, json* out) {
    std::string text;
    for (const json& part : parts) {
      json v;
      if (Status s = eval(part, &v); !s.ok()) return s;
      auto t = dsl::interpolation_text(v);
      if (!t) return Status::Invalid("cannot put a " + std::string(v.type_name()) + " into a string");
      text += *t;
    }
    // A string made from a secret is as secret as its part.
    if (scope_.redactor && scope_.redactor->redact(text) != text) scope_.redactor->add(text);
    *out = text;
    return Status::Ok();
  }

  Status op(const std::string& op, const json& args, json* out) {
    std::vector<json> a;
    for (const json& arg : args) {
      json v;
      if (Status s = eval(arg, &v); !s.ok()) return s;
      a.push_back(std::move(v));
    }
    for (const json& v : a) {
      if (scope_.placeholders && is_placeholder(v)) {
        *out = "<" + op + "(...)>";
        return Status::Ok();
      }
    }
    std::string error;
    std::optional<json> value = dsl::eval_op(op, a, &error);
    if (!value) return Status::Invalid(error);
    *out = std::move(*value);
    return Status::Ok();
  }

  const ResolveScope& scope_;
};

}  // namespace

Status resolve_value(const json& value, const ResolveScope& scope, json* out) { return Resolver(scope).eval(value, out); }

}  // namespace ferry::engine

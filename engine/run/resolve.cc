#include "engine/run/resolve.h"

#include "dsl/step_types.h"

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
    if (v.contains("$ref")) return ref(v, out);
    if (v.contains("$secret")) return secret(v["$secret"].get<std::string>(), out);
    if (v.contains("$concat")) return concat(v["$concat"], out);
    if (v.contains("$op")) return op(v["$op"].get<std::string>(), v["args"], out);
    *out = json::object();
    for (const auto& [k, item] : v.items()) {
      if (Status s = eval(item, &(*out)[k]); !s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  Status ref(const json& v, json* out) {
    std::string id = v["$ref"];
    json path = v.value("output", json::array());
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
      auto t = interpolation_text(v);
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
    auto bad = [&](const std::string& what) { return Status::Invalid("'" + op + "' " + what); };
    if (op == "&&" || op == "||") {
      if (!a[0].is_boolean() || !a[1].is_boolean()) return bad("needs two bools");
      *out = op == "&&" ? (a[0].get<bool>() && a[1].get<bool>()) : (a[0].get<bool>() || a[1].get<bool>());
    } else if (op == "!") {
      if (!a[0].is_boolean()) return bad("needs a bool");
      *out = !a[0].get<bool>();
    } else if (op == "-" && a.size() == 1) {
      if (!a[0].is_number_integer()) return bad("needs an int");
      *out = -a[0].get<int64_t>();
    } else if (op == "==" || op == "!=") {
      *out = (a[0] == a[1]) == (op == "==");
    } else if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      bool comparable = (a[0].is_number_integer() && a[1].is_number_integer()) || (a[0].is_string() && a[1].is_string());
      if (!comparable) return bad("compares two ints or two strings");
      *out = op == "<" ? a[0] < a[1] : op == "<=" ? a[0] <= a[1] : op == ">" ? a[0] > a[1] : a[0] >= a[1];
    } else if (op == "+" || op == "-") {
      if (a[0].is_number_integer() && a[1].is_number_integer()) {
        *out = op == "+" ? a[0].get<int64_t>() + a[1].get<int64_t>() : a[0].get<int64_t>() - a[1].get<int64_t>();
      } else if (op == "+" && a[0].is_string() && a[1].is_string()) {
        *out = a[0].get<std::string>() + a[1].get<std::string>();
      } else if (op == "+" && a[0].is_array() && a[1].is_array()) {
        *out = a[0];
        out->insert(out->end(), a[1].begin(), a[1].end());
      } else {
        return bad("cannot combine a " + std::string(a[0].type_name()) + " and a " + a[1].type_name());
      }
    } else if (op == "?:") {
      if (!a[0].is_boolean()) return bad("needs a bool condition");
      *out = a[0].get<bool>() ? a[1] : a[2];
    } else if (op == "len") {
      if (!a[0].is_array() && !a[0].is_object() && !a[0].is_string()) return bad("needs a list, map or string");
      *out = a[0].is_string() ? a[0].get<std::string>().size() : a[0].size();
    } else if (op == "join") {
      if (!a[0].is_array() || !a[1].is_string()) return bad("needs a list and a separator");
      std::string text;
      for (size_t i = 0; i < a[0].size(); ++i) {
        auto t = interpolation_text(a[0][i]);
        if (!t) return bad("joins strings, ints and bools");
        text += (i ? a[1].get<std::string>() : "") + *t;
      }
      *out = text;
    } else if (op == "int") {
      if (a[0].is_number_integer()) {
        *out = a[0];
      } else {
        std::string text = a[0].is_string() ? a[0].get<std::string>() : "";
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
        json parsed = json::parse(text, nullptr, false);
        if (!parsed.is_number_integer()) return bad("'" + text + "' is not an int");
        *out = parsed;
      }
    } else if (op == "field" || op == "index") {
      const json& base = a[0];
      const json& key = a[1];
      if (base.is_object() && key.is_string() && base.contains(key.get<std::string>())) {
        *out = base[key.get<std::string>()];
      } else if (base.is_array() && key.is_number_integer() && key.get<int64_t>() >= 0 && key.get<size_t>() < base.size()) {
        *out = base[key.get<size_t>()];
      } else {
        return Status::Invalid("no " + key.dump() + " in " + std::string(base.type_name()));
      }
    } else {
      return Status::Invalid("unknown operation '" + op + "' in the plan (was it compiled by a newer ferry?)");
    }
    return Status::Ok();
  }

  const ResolveScope& scope_;
};

}  // namespace

std::optional<std::string> interpolation_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_null()) return "";
  return std::nullopt;
}

Status resolve_value(const json& value, const ResolveScope& scope, json* out) { return Resolver(scope).eval(value, out); }

}  // namespace ferry::engine

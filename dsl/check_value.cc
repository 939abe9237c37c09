#include "dsl/check_value.h"

#include <algorithm>

#include "dsl/spelling.h"

namespace ferry::dsl {
namespace {

const Expr* element_expr(const Expr* expr, size_t index) {
  if (expr && expr->kind == Expr::Kind::List && index < expr->children.size()) return &expr->children[index];
  return nullptr;
}

// `key` as the IR holds it (escape_key); the expression has it as written.
const Expr* member_expr(const Expr* expr, const std::string& key, Span* key_span) {
  if (!expr || expr->kind != Expr::Kind::Map) return nullptr;
  std::string_view written = unescape_key(key);
  for (size_t i = 0; i < expr->keys.size(); ++i) {
    if (expr->keys[i] == written) {
      if (key_span) *key_span = expr->key_spans[i];
      return &expr->children[i];
    }
  }
  return nullptr;
}

// `key` as the IR holds it; messages show it as written.
std::string joined(const std::string& path, const std::string& key) {
  std::string out = path;
  if (!out.empty()) out += '.';
  return out.append(unescape_key(key));
}

}  // namespace

std::set<std::string> bare_words_of(const Type& type) {
  std::set<std::string> words(type.enum_values.begin(), type.enum_values.end());
  for (const Type& elem : type.elem) words.merge(bare_words_of(elem));
  for (const StructField& f : type.fields) words.merge(bare_words_of(f.type));
  return words;
}

std::string describe_type(const Type& type) {
  switch (type.kind) {
    case Type::Kind::Int: return "an int";
    case Type::Kind::Any: return "any value";
    case Type::Kind::Enum: {
      std::string out = "one of ";
      for (size_t i = 0; i < type.enum_values.size(); ++i) out += (i ? ", \"" : "\"") + type.enum_values[i] + "\"";
      return out;
    }
    case Type::Kind::Duration: return "a duration such as \"30s\" or \"1h30m\"";
    case Type::Kind::Cluster: return "a cluster name";
    case Type::Kind::Step: return "a step";
    case Type::Kind::Object: return "a map";
    case Type::Kind::Struct: return "a block of fields";
    default: return "a " + type.str();
  }
}

bool ValueChecker::mismatch(const Type& type, const json& value, Span span, const std::string& path) {
  ctx_.diags->error(span, (path.empty() ? "" : "'" + path + "': ") + "expected " + describe_type(type) + ", got " +
                              value_kind(value));
  return false;
}

bool ValueChecker::check(json& value, const Type& type, const Expr* expr, Span span, const std::string& path,
                         Scope* scope) {
  using K = Type::Kind;
  if (expr) span = expr->span;
  // null is "not set": a template passes it through to leave an optional field out.
  if (type.kind == K::Any || value.is_null()) return true;

  if (type.kind == K::Step) {
    if (value.is_string()) {
      std::string id = eval_.resolve_step(value.get<std::string>(), scope);
      if (id.empty()) {
        std::vector<std::string> ids;
        for (const auto& [step_id, instance] : ctx_.steps_by_id) ids.emplace_back(step_id);
        for (const auto& [group, group_span] : ctx_.groups) ids.push_back(group);
        ctx_.diags->error(span, "no step named '" + value.get<std::string>() + "'" +
                                    did_you_mean(value.get<std::string>(), ids));
        return false;
      }
      value = make_ref(std::move(id));
      return true;
    }
    if (is_step_ref(value)) return true;
    return mismatch(type, value, span, path);
  }

  if (is_symbolic(value)) {
    // Known only at run time; a string built by interpolation can only be a string.
    bool stringish = type.kind == K::String || type.kind == K::Duration || type.kind == K::Enum;
    if (symbolic_kind(value) == SymbolicKind::kConcat && !stringish) return mismatch(type, value, span, path);
    return true;
  }

  switch (type.kind) {
    case K::String:
      // "${count}" written as a string is the text of count, as a reader expects.
      if (expr && expr->kind == Expr::Kind::String && (value.is_number_integer() || value.is_boolean())) {
        value = *interpolation_text(value);
        return true;
      }
      return value.is_string() || mismatch(type, value, span, path);
    case K::Int:
      return value.is_number_integer() || mismatch(type, value, span, path);
    case K::Bool:
      return value.is_boolean() || mismatch(type, value, span, path);
    case K::Object:
      return value.is_object() || mismatch(type, value, span, path);
    case K::Duration: {
      if (!value.is_string()) return mismatch(type, value, span, path);
      auto ms = parse_duration(value.get<std::string>());
      if (!ms) {
        ctx_.diags->error(span, (path.empty() ? "" : "'" + path + "': ") + "'" + value.get<std::string>() +
                                    "' is not a duration; write e.g. \"30s\", \"5m\", \"1h30m\" or \"250ms\"");
        return false;
      }
      value = format_duration(*ms);
      return true;
    }
    case K::Enum: {
      if (!value.is_string()) return mismatch(type, value, span, path);
      const std::string& s = value.get_ref<const std::string&>();
      for (const std::string& v : type.enum_values) {
        if (v == s) return true;
      }
      ctx_.diags->error(span, (path.empty() ? "" : "'" + path + "': ") + "'" + s + "' is not " + describe_type(type) +
                                  did_you_mean(s, type.enum_values));
      return false;
    }
    case K::Cluster: {
      if (!value.is_string()) return mismatch(type, value, span, path);
      const std::string& s = value.get_ref<const std::string&>();
      if (ctx_.cluster_names.count(s)) return true;
      std::vector<std::string> names(ctx_.cluster_names.begin(), ctx_.cluster_names.end());
      ctx_.diags->error(span, "no cluster named '" + s + "'" + did_you_mean(s, names) +
                                  (names.empty() ? " (the plan declares no cluster)" : ""));
      return false;
    }
    case K::List: {
      if (!value.is_array()) return mismatch(type, value, span, path);
      bool ok = true;
      for (size_t i = 0; i < value.size(); ++i) {
        ok = check(value[i], type.elem[0], element_expr(expr, i), span, path + "[" + std::to_string(i) + "]", scope) &&
             ok;
      }
      return ok;
    }
    case K::Map: {
      if (!value.is_object()) return mismatch(type, value, span, path);
      bool ok = true;
      for (auto& [key, item] : value.items()) {
        ok = check(item, type.elem[0], member_expr(expr, key, nullptr), span, joined(path, key), scope) && ok;
      }
      return ok;
    }
    case K::Struct:
      return check_struct(value, type.fields, expr, span, path, scope);
    default:
      return true;
  }
}

bool ValueChecker::check_struct(json& value, const std::vector<StructField>& fields, const Expr* expr, Span span,
                                const std::string& path, Scope* scope) {
  if (!value.is_object() || is_symbolic(value)) {
    return mismatch(struct_of(fields), value, expr ? expr->span : span, path);
  }
  auto names = [&] {  // for "did you mean", only on an unknown field
    std::vector<std::string> out;
    for (const StructField& f : fields) out.push_back(f.name);
    return out;
  };
  bool ok = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    // Not a structured binding: clang (the fuzz build) cannot capture one in the lambda below.
    const std::string& key = it.key();
    json& item = *it;
    Span key_span = expr ? expr->span : span;
    const Expr* item_expr = member_expr(expr, key, &key_span);
    auto f = std::find_if(fields.begin(), fields.end(), [&](const StructField& sf) { return sf.name == key; });
    if (f == fields.end()) {
      ctx_.diags->error(key_span, "unknown field '" + joined(path, key) + "'" + did_you_mean(unescape_key(key), names()) +
                                      listed_names(path.empty() ? "its fields" : "the fields of '" + path + "'", names()));
      ok = false;
      continue;
    }
    ok = check(item, f->type, item_expr, key_span, joined(path, key), scope) && ok;
  }
  for (const StructField& f : fields) {
    if (value.contains(f.name)) continue;
    if (f.required) {
      ctx_.diags->error(expr ? expr->span : span, "'" + path + "' is missing its required field '" + f.name + "'");
      ok = false;
    } else if (!f.default_value.is_null()) {
      value[f.name] = f.default_value;
    }
  }
  return ok;
}

}  // namespace ferry::dsl

#include "dsl/evaluator.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/check_value.h"
#include "dsl/spelling.h"
#include "dsl/utf8.h"

namespace ferry::dsl {
namespace {

// The operands of an operator, moved in: an initializer list would copy each (a map, a long list).
template <typename... T>
std::vector<json> moved(T&&... values) {
  std::vector<json> out;
  out.reserve(sizeof...(values));
  (out.push_back(std::move(values)), ...);
  return out;
}

std::vector<std::string> names_in_scope(const Scope* scope) {
  std::vector<std::string> names;
  for (; scope != nullptr; scope = scope->parent) {
    for (const auto& [name, binding] : scope->names) names.push_back(name);
  }
  return names;
}

}  // namespace

bool Evaluator::is_step_or_group(const std::string& id) const { return ctx_.is_step_or_group(id); }

std::string Evaluator::resolve_step(const std::string& name, const Scope* scope) const {
  const std::string* last_prefix = nullptr;  // scopes of one block share a prefix: try it once
  std::string& id = candidate_;  // keeps its capacity: a name that is no step allocates nothing
  for (; scope != nullptr; scope = scope->parent) {
    if (last_prefix && scope->step_prefix == *last_prefix) continue;
    last_prefix = &scope->step_prefix;
    id.assign(scope->step_prefix).append(name);
    if (is_step_or_group(id)) return id;
  }
  return is_step_or_group(name) ? name : "";
}

std::optional<std::string> Evaluator::read_env(const std::string& name) {
  ctx_.vars_read.insert(name);
  auto var = ctx_.options.vars.find(name);
  if (var != ctx_.options.vars.end()) return var->second;
  if (ctx_.options.environment) return ctx_.options.environment(name);
  return std::nullopt;
}

std::optional<json> Evaluator::value_of(const std::string& name, Binding& binding) {
  const json* value = bound_value(name, binding);
  if (!value) return std::nullopt;
  return *value;
}

const json* Evaluator::bound_value(const std::string& name, Binding& binding) {
  if (binding.value) return &*binding.value;
  if (binding.failed) return nullptr;
  if (binding.evaluating) {
    ctx_.diags->error(binding.span, std::string(binding.kind) + " '" + name + "' depends on itself");
    return nullptr;
  }
  binding.evaluating = true;
  std::optional<json> value = binding.expr ? eval(*binding.expr, binding.expr_scope) : std::nullopt;
  binding.evaluating = false;
  if (value && binding.type) {
    ValueChecker checker(ctx_, *this);
    if (!checker.check(*value, *binding.type, binding.expr, binding.span, name, binding.expr_scope)) value.reset();
  }
  binding.failed = !value;
  if (!value) return nullptr;
  binding.value = std::move(value);
  return &*binding.value;
}

Binding* Evaluator::find_binding(const std::string& name, Scope* scope) const {
  for (Scope* s = scope; s != nullptr; s = s->parent) {
    auto it = s->names.find(name);
    if (it != s->names.end()) return &it->second;
  }
  return nullptr;
}

std::optional<json> Evaluator::eval_static(const Expr& expr, Scope* scope, const std::string& what) {
  std::optional<json> value = eval(expr, scope);
  if (value && contains_symbolic(*value)) {
    ctx_.diags->error(expr.span, what + " must be known when the plan compiles, but it depends on a step's output "
                                        "or a secret");
    return std::nullopt;
  }
  return value;
}

std::optional<json> Evaluator::eval(const Expr& expr, Scope* scope, const std::set<std::string>& bare_words) {
  using K = Expr::Kind;
  switch (expr.kind) {
    case K::Null: return json(nullptr);
    case K::Bool: return json(expr.boolean);
    case K::Int: return json(expr.integer);
    case K::Text: return json(expr.text);
    case K::String:
      // "${x}" alone is x itself, not its text: a list stays a list (the TOML surface relies on it).
      if (expr.children.size() == 1 && expr.children[0].kind != K::Text) return eval(expr.children[0], scope, bare_words);
      return eval_string(expr, scope);
    case K::Ident: return eval_ident(expr, scope, bare_words);
    case K::Call: return eval_call(expr, scope);
    case K::Index:
    case K::Field: return eval_access(expr, scope);
    case K::Unary:
    case K::Binary:
    case K::Ternary: return eval_operator(expr, scope);
    case K::List: {
      json out = json::array();
      out.get_ref<json::array_t&>().reserve(expr.children.size());
      bool ok = true;
      for (const Expr& e : expr.children) {
        auto v = eval(e, scope, bare_words);
        if (v) out.push_back(std::move(*v));
        ok = ok && v.has_value();
      }
      if (!ok) return std::nullopt;
      return out;  // moved; `ok ? std::optional(out) : ...` would copy the whole list
    }
    case K::Map: {
      json out = json::object();
      bool ok = true;
      for (size_t i = 0; i < expr.children.size(); ++i) {
        const std::string& key = expr.keys[i];
        std::string stored = escape_key(key);  // "$schema" as "$$schema": not read as a symbolic value
        if (out.contains(stored)) {
          ctx_.diags->error(expr.key_spans[i], "duplicate key '" + key + "' in the map");
          ok = false;
          continue;
        }
        auto v = eval(expr.children[i], scope, bare_words);
        if (v) out[std::move(stored)] = std::move(*v);
        ok = ok && v.has_value();
      }
      if (!ok) return std::nullopt;
      return out;
    }
  }
  return std::nullopt;
}

std::optional<json> Evaluator::eval_ident(const Expr& expr, Scope* scope, const std::set<std::string>& bare_words) {
  if (Binding* binding = find_binding(expr.text, scope)) return value_of(expr.text, *binding);
  if (std::string step = resolve_step(expr.text, scope); !step.empty()) return make_ref(std::move(step));
  if (ctx_.cluster_names.count(expr.text)) return json(expr.text);
  if (bare_words.count(expr.text)) return json(expr.text);

  std::vector<std::string> candidates = names_in_scope(scope);
  for (const auto& [id, instance] : ctx_.steps_by_id) {
    if (id.find_first_of("[./") == std::string::npos) candidates.emplace_back(id);
  }
  candidates.insert(candidates.end(), ctx_.cluster_names.begin(), ctx_.cluster_names.end());
  candidates.insert(candidates.end(), bare_words.begin(), bare_words.end());
  ctx_.diags->error(expr.span, "undefined name '" + expr.text + "'" + did_you_mean(expr.text, candidates));
  return std::nullopt;
}

std::optional<json> Evaluator::eval_string(const Expr& expr, Scope* scope) {
  std::vector<json> parts;  // only when some part is known only at run time
  std::string text;
  bool ok = true;
  auto append = [&](const json& v, const Expr& part) {
    if (is_symbolic(v)) {
      if (!text.empty()) parts.push_back(text);
      text.clear();
      parts.push_back(v);
    } else if (v.is_string()) {
      text += v.get_ref<const std::string&>();
    } else if (auto t = interpolation_text(v)) {
      text += *t;
    } else {
      ctx_.diags->error(part.span, "cannot put " + with_article(value_kind(v)) + " into a string; use join(list, \",\") for a list");
      ok = false;
    }
  };
  for (const Expr& part : expr.children) {
    if (part.kind == Expr::Kind::Text) {  // literal text: appended without a json detour
      text += part.text;
      continue;
    }
    // A name's value is read where it is bound, not copied: "${key}" only needs its text.
    if (Binding* binding = part.kind == Expr::Kind::Ident ? find_binding(part.text, scope) : nullptr) {
      const json* v = bound_value(part.text, *binding);
      if (v) append(*v, part);
      ok = ok && v;
      continue;
    }
    auto v = eval(part, scope);
    if (v) append(*v, part);
    ok = ok && v;
  }
  if (!ok) return std::nullopt;
  if (parts.empty()) return json(std::move(text));
  if (!text.empty()) parts.push_back(std::move(text));
  return make_concat(std::move(parts));
}

std::optional<json> Evaluator::eval_env(const Expr& expr, Scope* scope) {
  if (expr.children.empty() || expr.children.size() > 2) {
    ctx_.diags->error(expr.span, "env() takes a variable name and an optional default");
    return std::nullopt;
  }
  auto name = eval(expr.children[0], scope);
  if (!name) return std::nullopt;
  if (!name->is_string()) {
    ctx_.diags->error(expr.children[0].span,
                      "env(): the variable name must be a string known at compile time, got " + value_kind(*name));
    return std::nullopt;
  }
  const std::string variable = name->get<std::string>();
  if (auto value = read_env(variable)) {
    if (std::string problem = utf8_problem(*value); !problem.empty()) {
      ctx_.diags->error(expr.span, "environment variable '" + variable + "' " + problem);
      return std::nullopt;
    }
    return json(*value);
  }
  if (expr.children.size() == 2) return eval(expr.children[1], scope);
  ctx_.diags->error(expr.span, "environment variable '" + variable + "' is not set; pass --var " + variable +
                                   "=... or --vars-file, or give env() a default");
  return std::nullopt;
}

std::optional<json> Evaluator::eval_call(const Expr& expr, Scope* scope) {
  if (expr.text == "env") return eval_env(expr, scope);
  std::vector<json> args;
  for (const Expr& a : expr.children) {
    auto v = eval(a, scope);
    if (!v) return std::nullopt;
    args.push_back(std::move(*v));
  }
  auto arity = [&](size_t min, size_t max, const char* usage) {
    if (args.size() >= min && args.size() <= max) return true;
    ctx_.diags->error(expr.span, expr.text + "() takes " + usage);
    return false;
  };
  auto string_arg = [&](size_t i, const char* what) -> std::optional<std::string> {
    if (args[i].is_string()) return args[i].get<std::string>();
    ctx_.diags->error(expr.children[i].span,
                      expr.text + "(): " + what + " must be a string known at compile time, got " + value_kind(args[i]));
    return std::nullopt;
  };

  if (expr.text == "discover") return eval_discover(expr, args);
  if (expr.text == "file") {
    if (!arity(1, 1, "one path")) return std::nullopt;
    auto path = string_arg(0, "the path");
    if (!path) return std::nullopt;
    std::filesystem::path p(*path);
    if (p.is_relative() && expr.span.file) p = std::filesystem::path(expr.span.file->path()).parent_path() / p;
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      ctx_.diags->error(expr.span, "cannot read file '" + p.string() + "'");
      return std::nullopt;
    }
    std::stringstream content;
    content << in.rdbuf();
    if (invalid_utf8_at(content.str()) != std::string_view::npos) {
      // Reported in the file read, where it is to be fixed.
      const SourceFile* read = ctx_.sources->add(p.string(), content.str());
      check_utf8(*read, ctx_.diags)->notes.push_back({expr.span, "read by file() here"});
      return std::nullopt;
    }
    return json(content.str());
  }
  if (expr.text == "exponential") {
    if (!arity(2, 2, "an initial and a maximum delay, e.g. exponential(\"2s\", \"1m\")")) return std::nullopt;
    return json{{"kind", "exponential"}, {"initial", args[0]}, {"max", args[1]}};
  }
  if (expr.text == "constant") {
    if (!arity(1, 1, "one delay, e.g. constant(\"10s\")")) return std::nullopt;
    return json{{"kind", "constant"}, {"interval", args[0]}};
  }
  // Folded now when the argument is known, else left to the run; eval_op has the rules.
  auto fold = [&](const char* op) -> std::optional<json> {
    std::string error;
    auto value = eval_op(op, args, &error);
    if (!value) ctx_.diags->error(expr.span, error);
    return value;
  };
  if (expr.text == "len") {
    if (!arity(1, 1, "one list, map or string")) return std::nullopt;
    if (is_symbolic(args[0])) return make_op("len", args);
    return fold("len");
  }
  if (expr.text == "join") {
    if (!arity(2, 2, "a list and a separator")) return std::nullopt;
    if (!string_arg(1, "the separator")) return std::nullopt;
    if (contains_symbolic(args[0])) return make_op("join", args);
    return fold("join");
  }
  if (expr.text == "int") {
    if (!arity(1, 1, "one string or int")) return std::nullopt;
    if (is_symbolic(args[0])) return make_op("int", args);
    return fold("int");
  }
  if (expr.text == "outputs") {
    // outputs(group, "name"): that output of every step of a group, in id order.
    if (!arity(2, 2, "a group of steps and an output name, e.g. outputs(url, \"url\")")) return std::nullopt;
    auto name = string_arg(1, "the output name");
    if (!name) return std::nullopt;
    std::string group = is_step_ref(args[0]) ? *ref_step(args[0]) : "";
    if (group.empty() || !ctx_.is_group(group)) {
      ctx_.diags->error(expr.children[0].span, "outputs() needs the steps a loop made, e.g. outputs(url, \"url\")");
      return std::nullopt;
    }
    json list = json::array();
    bool nested = false;
    for (auto it = ctx_.steps_by_id.lower_bound(group + "["); it != ctx_.steps_by_id.end(); ++it) {
      if (!it->first.starts_with(group + "[")) break;
      // Direct members only (not steps nested in a member), and only those the plan keeps.
      if (it->first.find_first_of("[]./", group.size() + 1) != it->first.size() - 1) {
        nested = true;
        continue;
      }
      if (it->second->excluded) continue;
      list.push_back(make_output_ref(std::string(it->first), json::array({*name})));
    }
    if (list.empty() && nested) {
      ctx_.diags->error(expr.children[0].span, "outputs() needs the steps a loop made, but the loop over '" + group +
                                                   "' made template instances; loop over a step inside the template");
      return std::nullopt;
    }
    return list;
  }
  static const std::vector<std::string> functions = {"env", "file", "exponential", "constant", "len",
                                                     "join", "int", "outputs",     "discover"};
  ctx_.diags->error(expr.span, "unknown function '" + expr.text + "'" + did_you_mean(expr.text, functions));
  return std::nullopt;
}

std::optional<json> Evaluator::eval_access(const Expr& expr, Scope* scope) {
  auto base = eval(expr.children[0], scope);
  if (!base) return std::nullopt;
  json key;
  if (expr.kind == Expr::Kind::Field) {
    key = expr.text;
  } else {
    auto k = eval(expr.children[1], scope);
    if (!k) return std::nullopt;
    key = std::move(*k);
  }

  // Narrow a group ("snap" then "[etcd-0]", "etcd" then ".put") before reading outputs. A step
  // is never also a group, so after a step's id `.url` can only be an output.
  const std::string* ref_id = !is_symbolic(key) && is_step_ref(*base) ? ref_step(*base) : nullptr;
  if (ref_id && !ctx_.find_step(*ref_id)) {
    const std::string& id = *ref_id;
    auto text = interpolation_text(key);
    std::string member;
    if (text) {
      member.reserve(id.size() + text->size() + 2);
      member.append(id).append(expr.kind == Expr::Kind::Field ? "." : "[").append(*text);
      if (expr.kind != Expr::Kind::Field) member += ']';
    }
    if (text && is_step_or_group(member)) return make_ref(std::move(member));
    if (ctx_.is_group(id)) {
      std::vector<std::string> members;
      for (const auto& [step_id, instance] : ctx_.steps_by_id) {
        if (step_id.starts_with(id) && (step_id[id.size()] == '[' || step_id[id.size()] == '.')) members.emplace_back(step_id);
      }
      std::string list;
      for (size_t i = 0; i < members.size() && i < 5; ++i) list += (i ? ", " : "") + members[i];
      ctx_.diags->error(expr.span, "no step '" + member + "' in '" + id + "' (it has " + list +
                                       (members.size() > 5 ? ", ..." : "") + ")");
      return std::nullopt;
    }
  }
  if (is_symbolic(*base) || is_symbolic(key)) {
    if (ref_step(*base) && !is_symbolic(key)) {
      json ref = std::move(*base);  // base is not used again
      extend_ref(ref, std::move(key));
      return ref;
    }
    return make_op(expr.kind == Expr::Kind::Field ? "field" : "index", json::array({*base, key}));
  }
  if (base->is_object() && key.is_string()) {  // the map's keys are in the IR's form (escape_key)
    auto it = base->find(escape_key(key.get_ref<const std::string&>()));
    if (it != base->end()) return *it;
  }
  std::string error;
  auto value = eval_op(expr.kind == Expr::Kind::Field ? "field" : "index", moved(*base, key), &error);
  if (!value) ctx_.diags->error(expr.span, error);
  return value;
}

std::optional<json> Evaluator::eval_operator(const Expr& expr, Scope* scope) {
  const std::string& op = expr.text;
  auto need_bool = [&](const json& v, const Expr& at) {
    if (v.is_boolean() || is_symbolic(v)) return true;
    ctx_.diags->error(at.span, "expected a bool, got " + value_kind(v));
    return false;
  };
  // Known operands: the operator's value now (eval_op has the rules), or its error here.
  auto fold = [&](const std::vector<json>& operands) -> std::optional<json> {
    std::string error;
    auto value = eval_op(op, operands, &error);
    if (!value) ctx_.diags->error(expr.span, error);
    return value;
  };

  if (expr.kind == Expr::Kind::Ternary) {
    auto cond = eval(expr.children[0], scope);
    if (!cond || !need_bool(*cond, expr.children[0])) return std::nullopt;
    if (cond->is_boolean()) return eval(expr.children[cond->get<bool>() ? 1 : 2], scope);
    auto a = eval(expr.children[1], scope);
    auto b = eval(expr.children[2], scope);
    if (!a || !b) return std::nullopt;
    return make_op("?:", json::array({*cond, *a, *b}));
  }
  if (expr.kind == Expr::Kind::Unary) {
    auto v = eval(expr.children[0], scope);
    if (!v) return std::nullopt;
    if (is_symbolic(*v)) return make_op(op, json::array({*v}));
    if (op == "!" && !need_bool(*v, expr.children[0])) return std::nullopt;
    return fold(moved(*v));
  }

  auto lhs = eval(expr.children[0], scope);
  if (!lhs) return std::nullopt;
  if (op == "&&" || op == "||") {
    if (!need_bool(*lhs, expr.children[0])) return std::nullopt;
    // Short-circuit at compile time: `false && x` never needs x.
    if (lhs->is_boolean() && lhs->get<bool>() == (op == "||")) return lhs;
    auto rhs = eval(expr.children[1], scope);
    if (!rhs || !need_bool(*rhs, expr.children[1])) return std::nullopt;
    if (lhs->is_boolean()) return rhs;
    // `x && false` is false and `x || true` is true whatever x turns out to be.
    if (rhs->is_boolean()) return rhs->get<bool>() == (op == "||") ? rhs : lhs;
    return make_op(op, json::array({*lhs, *rhs}));
  }
  auto rhs = eval(expr.children[1], scope);
  if (!rhs) return std::nullopt;
  if (is_symbolic(*lhs) || is_symbolic(*rhs)) return make_op(op, json::array({*lhs, *rhs}));
  return fold(moved(*lhs, *rhs));
}

}  // namespace ferry::dsl

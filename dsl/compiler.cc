#include "dsl/compiler.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "dsl/check_value.h"
#include "dsl/compile_context.h"
#include "dsl/evaluator.h"
#include "dsl/spelling.h"
#include "dsl/step_types.h"

#ifndef FERRY_STDLIB_SOURCE_DIR
#define FERRY_STDLIB_SOURCE_DIR ""
#endif
#ifndef FERRY_STDLIB_INSTALL_DIR
#define FERRY_STDLIB_INSTALL_DIR ""
#endif

namespace ferry::dsl {

std::optional<std::string> process_environment(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

std::vector<std::string> default_module_path() {
  std::vector<std::string> path;
  if (auto ferry_path = process_environment("FERRY_PATH")) {
    size_t begin = 0;
    while (begin <= ferry_path->size()) {
      size_t end = ferry_path->find(':', begin);
      if (end == std::string::npos) end = ferry_path->size();
      if (end > begin) path.push_back(ferry_path->substr(begin, end - begin));
      begin = end + 1;
    }
  }
  for (const char* dir : {FERRY_STDLIB_SOURCE_DIR, FERRY_STDLIB_INSTALL_DIR}) {
    if (*dir) path.push_back(dir);
  }
  return path;
}

namespace {

// A --var value as the param's type: "3" for an int, "a,b" or a JSON list for a list.
std::optional<json> parse_var(const std::string& text, const Type& type) {
  using K = Type::Kind;
  switch (type.kind) {
    case K::Int: {
      json v = json::parse(text, nullptr, false);
      return v.is_number_integer() ? std::optional(v) : std::nullopt;
    }
    case K::Bool:
      if (text == "true" || text == "false") return json(text == "true");
      return std::nullopt;
    case K::List:
    case K::Map:
    case K::Object: {
      if (!text.empty() && (text[0] == '[' || text[0] == '{')) {
        json v = json::parse(text, nullptr, false);
        // Keys in the IR's form: a key $ref in a --var is the user's, never a step reference.
        return v.is_discarded() ? std::nullopt : std::optional(escape_keys(v));
      }
      if (type.kind != K::List) return std::nullopt;
      // Commas or whitespace separate items: env files written for the shell list words as
      // `NODEPOOLS="pool-a pool-b"` (the procedure's `for np in ${NODEPOOLS}`).
      json list = json::array();
      std::string item;
      for (char c : text + ",") {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
          if (!item.empty()) list.push_back(std::move(item));
          item.clear();
        } else {
          item += c;
        }
      }
      return list;
    }
    default:
      return json(text);
  }
}

void check_settings(CompileContext& ctx, const std::vector<Field>& fields, const std::vector<StructField>& schema,
                    const std::string& owner, Span owner_span, json* out) {
  Evaluator eval(ctx);
  ValueChecker checker(ctx, eval);
  std::vector<std::string> names;
  for (const StructField& f : schema) names.push_back(f.name);
  std::set<std::string> written;  // set, even if to a bad value: not also "missing"
  for (const Field& field : fields) {
    written.insert(field.name);
    auto f = std::find_if(schema.begin(), schema.end(), [&](const StructField& s) { return s.name == field.name; });
    if (f == schema.end()) {
      ctx.diags->error(field.span, "unknown " + owner + " setting '" + field.name + "'" + did_you_mean(field.name, names));
      continue;
    }
    if (out->contains(field.name)) {
      ctx.diags->error(field.span, "'" + field.name + "' is set twice");
      continue;
    }
    auto value = eval.eval(field.value, ctx.root, bare_words_of(f->type));
    if (value && checker.check(*value, f->type, &field.value, field.span, field.name, ctx.root)) {
      (*out)[field.name] = *value;
    }
  }
  for (const StructField& f : schema) {
    if (f.required && !written.count(f.name)) {
      ctx.diags->error(owner_span, owner + " is missing its required field '" + f.name + "'");
    } else if (!out->contains(f.name) && !f.default_value.is_null()) {
      (*out)[f.name] = f.default_value;
    }
  }
}

std::string string_setting(const json& settings, const char* key) {
  return settings.contains(key) && settings[key].is_string() ? settings[key].get<std::string>() : "";
}

// The setting's type admits only the names; one not set (or set wrong, reported) inherits.
OnFailure on_failure_setting(const json& settings) {
  return on_failure_from_name(string_setting(settings, "on_failure")).value_or(OnFailure::kInherit);
}

void compile_plan_level(CompileContext& ctx) {
  const File& plan = ctx.files.front();
  Ir& ir = ctx.ir;
  ir.plan = plan.name;

  json settings = json::object();
  check_settings(ctx, plan.settings, plan_settings(), "plan", plan.span, &settings);
  ir.description = string_setting(settings, "description");
  ir.on_failure = on_failure_setting(settings);
  ir.timeout = string_setting(settings, "timeout");
  if (!ir.timeout.empty()) ir.timeout_ms = parse_duration(ir.timeout);  // checked (and made canonical) already
  if (!settings.contains("retry")) {
    json retry = json::object();
    Evaluator eval(ctx);
    ValueChecker(ctx, eval).check(retry, retry_type(), nullptr, plan.span, "retry", ctx.root);
    settings["retry"] = retry;
  }
  ir.retry = SharedRetry::checked(settings["retry"]);
  if (settings.contains("pools")) {
    auto field = std::find_if(plan.settings.begin(), plan.settings.end(), [](const Field& f) { return f.name == "pools"; });
    for (const auto& [name, depth] : settings["pools"].items()) {
      if (depth.get<int64_t>() >= 1 && depth.get<int64_t>() <= INT32_MAX) {
        ir.pools[name] = depth.get<int>();
      } else {
        ctx.diags->error(field->span, "pool '" + name + "' has depth " + depth.dump() + "; a depth is a whole number from 1");
      }
    }
  }

  for (const Cluster& c : plan.clusters) {
    if (ir.clusters.count(c.name)) {
      ctx.diags->error(c.span, "cluster '" + c.name + "' is declared twice")
          .notes.push_back({ir.clusters[c.name].span, "first declared here"});
      continue;
    }
    IrCluster cluster{c.name, json::object(), c.span};
    check_settings(ctx, c.fields, cluster_fields(), "cluster '" + c.name + "'", c.span, &cluster.fields);
    ir.clusters[c.name] = std::move(cluster);
  }

  std::map<std::string, Span> seen;
  for (const Phase& p : plan.phases) {
    if (!seen.emplace(p.name, p.span).second) {
      ctx.diags->error(p.span, "phase '" + p.name + "' is declared twice")
          .notes.push_back({seen[p.name], "first declared here"});
      continue;
    }
    json phase_settings_json = json::object();
    check_settings(ctx, p.settings, phase_settings(), "phase", p.span, &phase_settings_json);
    ir.phases.push_back(IrPhase{p.name, string_setting(phase_settings_json, "description"),
                                on_failure_setting(phase_settings_json), {}, p.span});
  }
  ir.modules = ctx.module_names;
  std::sort(ir.modules.begin(), ir.modules.end());
}

// A secret's default is checked like any value, but against a scratch sink: its errors could
// quote it. One redacted error says what is wrong instead. The IR keeps only make_secret(name).
void check_secret_default(CompileContext& ctx, const Param& p) {
  auto type = resolve_type_expr(p.type, ctx.diags, false);
  if (!type) return;
  Diagnostics scratch;
  CompileContext quiet(ctx.options, ctx.sources, &scratch);
  quiet.root = ctx.root;
  quiet.cluster_names = ctx.cluster_names;
  Evaluator eval(quiet);
  auto value = eval.eval(*p.default_value, ctx.root);
  // One that cannot be computed now (an unset env()) is the run's to report, when it needs it.
  if (!value) return;
  if (value->is_string() && type->kind != Type::Kind::String) {
    if (auto parsed = parse_var(value->get<std::string>(), *type)) value = parsed;
  }
  if (ValueChecker(quiet, eval).check(*value, *type, nullptr, p.span, p.name, ctx.root)) {
    ctx.ir.secret_values[p.name] = value->is_string() ? value->get<std::string>() : value->dump();
    return;
  }
  ctx.diags->error(p.default_value->span, "the default <redacted> of secret param '" + p.name + "' is not " +
                                              describe_type(*type));
}

}  // namespace

std::optional<Type> resolve_type_expr(const TypeExpr& t, Diagnostics* diags, bool template_param) {
  if (t.name == "enum") return enum_of(t.enum_values);
  if (t.name == "list" || t.name == "map") {
    auto elem = resolve_type_expr(t.element[0], diags, template_param);
    if (!elem) return std::nullopt;
    return t.name == "list" ? list_of(*elem) : map_of(*elem);
  }
  bool allowed = t.name != "object" && (template_param || t.name != "step");
  if (auto type = parse_type(t.name); type && allowed) return type;
  std::vector<std::string> names = {"string", "int", "bool", "duration", "list", "map", "enum", "cluster", "any"};
  if (template_param) names.push_back("step");
  diags->error(t.span, "unknown type '" + t.name + "'" + did_you_mean(t.name, names));
  return std::nullopt;
}

void bind_params(CompileContext& ctx) {
  const File& plan = ctx.files.front();
  Evaluator eval(ctx);
  ValueChecker checker(ctx, eval);

  auto already_defined = [&](const std::string& name, Span span) {
    auto it = ctx.root->names.find(name);
    if (it == ctx.root->names.end()) return false;
    ctx.diags->error(span, "'" + name + "' is already defined")
        .notes.push_back({it->second.span, std::string("the ") + it->second.kind + " '" + name + "' is declared here"});
    return true;
  };
  for (const Param& p : plan.params) {
    if (already_defined(p.name, p.span)) continue;
    auto type = resolve_type_expr(p.type, ctx.diags, false);
    // The type is checked once the value is known (below), after a string default (from env())
    // is read the way a --var value would be.
    Binding binding{"param", p.span, std::nullopt, nullptr, ctx.root, nullptr, false};
    IrParam ir_param{p.name, type ? type->str() : p.type.name, p.secret, nullptr, nullptr, p.span};
    auto var = ctx.options.vars.find(p.name);
    if (var != ctx.options.vars.end()) {
      ctx.vars_read.insert(p.name);
      auto value = type ? parse_var(var->second, *type) : std::nullopt;
      // Never echo a secret's value in an error.
      std::string shown = p.secret ? "<redacted>" : "'" + var->second + "'";
      // A secret's value is checked against a scratch sink: enum and duration errors quote the value.
      Diagnostics scratch;
      CompileContext quiet(ctx.options, ctx.sources, &scratch);
      quiet.cluster_names = ctx.cluster_names;
      Evaluator quiet_eval(quiet);
      ValueChecker quiet_checker(quiet, quiet_eval);
      ValueChecker& check_with = p.secret ? quiet_checker : checker;
      if (type && (!value || !check_with.check(*value, *type, nullptr, p.span, p.name, ctx.root))) {
        if (!value || p.secret) {
          ctx.diags->error(p.span, "the value " + shown + " given for param '" + p.name + "' is not " + describe_type(*type));
        }
      } else if (type) {
        binding.value = *value;
        if (p.secret) ctx.ir.secret_values[p.name] = var->second;
      }
    } else if (p.default_value) {
      binding.expr = &*p.default_value;
    } else if (!p.secret) {
      ctx.diags->error(p.span, "param '" + p.name + "' has no value; pass --var " + p.name + "=... (or give it a default)");
    }
    if (p.secret) binding.value = make_secret(p.name);
    ctx.root->names[p.name] = binding;
    ctx.ir.params[p.name] = ir_param;
  }
  for (const Stmt& let : plan.lets) {
    if (already_defined(let.name, let.span)) continue;
    ctx.root->names[let.name] = Binding{"let", let.span, std::nullopt, &let.expr, ctx.root, nullptr, false};
  }
  // Resolve values now (defaults may use lets and env()), checking them against their types.
  for (const Param& p : plan.params) {
    Binding& binding = ctx.root->names[p.name];
    IrParam& ir_param = ctx.ir.params[p.name];
    if (p.secret) {
      ir_param.value = binding.value.value_or(json());
      if (p.default_value && !ctx.options.vars.count(p.name)) check_secret_default(ctx, p);
      continue;
    }
    auto value = eval.value_of(p.name, binding);
    if (!value) continue;
    auto type = resolve_type_expr(p.type, ctx.diags, false);
    if (!type) continue;
    if (binding.expr && value->is_string() && type->kind != Type::Kind::String) {
      auto parsed = parse_var(value->get<std::string>(), *type);
      if (!parsed) {
        ctx.diags->error(p.default_value->span, "the default '" + value->get<std::string>() + "' of param '" + p.name +
                                                    "' is not " + describe_type(*type));
        binding.value.reset();
        binding.failed = true;
        continue;
      }
      binding.value = *parsed;
    }
    if (!binding.value->is_null() && !checker.check(*binding.value, *type, binding.expr, p.span, p.name, ctx.root)) {
      binding.value.reset();
      binding.failed = true;
      continue;
    }
    ir_param.value = *binding.value;
    if (p.default_value && binding.expr) ir_param.default_value = *binding.value;
  }
}

std::optional<Ir> compile_plan(const std::string& path, const CompileOptions& options, SourceSet* sources,
                               Diagnostics* diags) {
  size_t errors_before = diags->size();
  auto plan = load_file(path, sources, diags);
  if (!plan) return std::nullopt;
  if (plan->kind != File::Kind::Plan) {
    diags->error(plan->span, "'" + path + "' is a module; compile a plan that uses it");
    return std::nullopt;
  }
  CompileContext ctx(options, sources, diags);
  ctx.files.push_back(std::move(*plan));
  ctx.root = ctx.new_scope(nullptr, "");
  for (const Cluster& c : ctx.files.front().clusters) ctx.cluster_names.insert(c.name);

  load_modules(ctx);
  bind_params(ctx);
  compile_plan_level(ctx);
  expand_steps(ctx);
  check_steps(ctx);
  if (diags->size() == errors_before) link_steps(ctx);

  for (const std::string& name : options.explicit_vars) {
    if (ctx.vars_read.count(name)) continue;
    std::vector<std::string> params;
    for (const auto& [param, p] : ctx.ir.params) params.push_back(param);
    diags->error(Span{}, "--var '" + name + "' matches no param of plan '" + ctx.ir.plan + "' and no env() lookup" +
                             did_you_mean(name, params));
  }
  if (diags->size() != errors_before) return std::nullopt;
  return std::move(ctx.ir);
}

}  // namespace ferry::dsl

// Phase "expand": `for` loops, `when` blocks and template instances unrolled into the flat list
// of steps, each with a unique id and the scope its fields are evaluated in.
#include "dsl/compile_context.h"

#include <algorithm>
#include "dsl/evaluator.h"
#include "dsl/spelling.h"
#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

// Templates may use templates; this bounds the chain so a mutual recursion ends in an error.
constexpr size_t kMaxTemplateDepth = 32;

struct Frame {
  std::string phase;
  std::string template_name;
  std::vector<Condition> conditions;
  std::string owner;  // rollback-block steps: the step they undo
  std::string scope;  // the isolated instance around the steps: their failure scope
  Span scope_span;    // where that instance is
  std::vector<std::string> templates_open;
};

class Expander {
 public:
  explicit Expander(CompileContext& ctx) : ctx_(ctx), eval_(ctx) {}

  void expand_body(const std::vector<Stmt>& body, Scope* scope, const Frame& frame) {
    for (const Stmt& s : body) {
      if (s.kind != Stmt::Kind::Let) continue;
      if (scope->names.count(s.name)) {
        ctx_.diags->error(s.span, "'" + s.name + "' is already defined in this block");
        continue;
      }
      scope->names[s.name] = Binding{"let", s.span, std::nullopt, &s.expr, scope, nullptr, false, false};
    }
    for (const Stmt& s : body) {
      switch (s.kind) {
        case Stmt::Kind::Let: break;
        case Stmt::Kind::For: expand_for(s, scope, frame); break;
        case Stmt::Kind::When: {
          Frame inner = frame;
          inner.conditions.push_back(Condition{&s.expr, scope});
          expand_body(s.body, ctx_.new_scope(scope, scope->step_prefix), inner);
          break;
        }
        case Stmt::Kind::Step: expand_step(s, scope, frame); break;
        case Stmt::Kind::Instance: expand_instance(s, scope, frame); break;
      }
    }
  }

 private:
  // The indexed steps a loop declares form groups even when the loop runs zero times, so
  // `after = [nodepool]` means "after all of them, if any" instead of an undefined name.
  void declare_loop_groups(const std::vector<Stmt>& body, Scope* scope) {
    for (const Stmt& s : body) {
      if ((s.kind == Stmt::Kind::Step || s.kind == Stmt::Kind::Instance) && s.index) {
        std::string group = scope->step_prefix + s.name;
        if (!ctx_.find_step(group)) ctx_.add_group(group, s.span);
      } else if (s.kind == Stmt::Kind::For || s.kind == Stmt::Kind::When) {
        declare_loop_groups(s.body, scope);
      }
    }
  }

  void expand_for(const Stmt& s, Scope* scope, const Frame& frame) {
    declare_loop_groups(s.body, scope);
    auto list = eval_.eval_static(s.expr, scope, "the list of a 'for' loop");
    if (!list) return;
    if (!list->is_array()) {
      ctx_.diags->error(s.expr.span, "a 'for' loop needs a list, got " + value_kind(*list));
      return;
    }
    for (const json& item : *list) {
      Scope* inner = ctx_.new_scope(scope, scope->step_prefix);
      inner->names[s.name] = Binding{"loop variable", s.span, item, nullptr, nullptr, nullptr, false, false};
      expand_body(s.body, inner, frame);
    }
  }

  // "name" or "name[key]", after the scope's prefix.
  std::optional<std::string> step_id(const Stmt& s, Scope* scope) {
    std::string id = scope->step_prefix + s.name;
    if (!s.index) return id;
    auto key = eval_.eval_static(*s.index, scope, "a step's index");
    if (!key) return std::nullopt;
    auto text = interpolation_text(*key);
    if (!text || key->is_null() || key->is_boolean()) {
      ctx_.diags->error(s.index->span, "a step's index must be a string or an int, got " + value_kind(*key));
      return std::nullopt;
    }
    if (text->empty() || text->find_first_of("[]./ \t\n") != std::string::npos) {
      ctx_.diags->error(s.index->span, "step index '" + *text +
                                           "' cannot be used in a step id: it must be non-empty, without spaces "
                                           "or any of [ ] . /");
      return std::nullopt;
    }
    return id + "[" + *text + "]";
  }

  // Every prefix of `id` that ends before a '[' or a '.' names a group: "etcd[etcd-0].put" is in
  // "etcd" and "etcd[etcd-0]". Longest first: once one is a group already, so are the shorter
  // ones, registered with it or before it (a scope's prefix is claimed before its steps), and
  // none of them is a step. The steps of a template instance stop at the first.
  bool register_groups(const std::string& id, Span span) {
    for (size_t i = id.size(); i-- > 0;) {
      if (id[i] != '[' && id[i] != '.') continue;
      std::string_view group(id.data(), i);
      auto known = ctx_.name_index.find(group);
      if (known == ctx_.name_index.end()) {
        ctx_.add_group(group, span);
        continue;
      }
      const StepInstance* step = known->second;
      if (!step) return true;
      ctx_.diags->error(span, "'" + std::string(group) + "' names both a step and a group of steps")
          .notes.push_back({step->stmt->span, "the step '" + std::string(group) + "' is defined here"});
      return false;
    }
    return true;
  }

  // The same step statement made the same id twice: it sits in a loop.
  void report_repeated(const Stmt& s, const std::string& id) {
    if (!s.index) {
      ctx_.diags->error(s.span, "step '" + s.name + "' is inside a 'for' loop, so each pass makes it again; give it "
                                "an index from the loop variable, e.g. '" + s.name + "[item]'");
    } else {
      ctx_.diags->error(s.index->span, "duplicate step id '" + id + "': the loop's list has this index twice; its "
                                       "items must be unique");
    }
  }

  // A step's name must not also name a value in scope or a cluster: `after = [source]` or
  // `cluster = source` would silently mean the other one.
  bool check_name_is_free(const Stmt& s, Scope* scope) {
    for (Scope* at = scope; at != nullptr; at = at->parent) {
      auto it = at->names.find(s.name);
      if (it == at->names.end()) continue;
      ctx_.diags->error(s.span, "step '" + s.name + "' has the name of a " + it->second.kind + "; rename one of them")
          .notes.push_back({it->second.span, std::string("the ") + it->second.kind + " '" + s.name + "' is declared here"});
      return false;
    }
    if (ctx_.cluster_names.count(s.name)) {
      ctx_.diags->error(s.span, "step '" + s.name + "' has the name of a cluster; rename one of them");
      return false;
    }
    return true;
  }

  bool claim_id(const std::string& id, Span span) {
    if (const StepInstance* step = ctx_.find_step(id)) {
      ctx_.diags->error(span, "duplicate step id '" + id + "'").notes.push_back({step->stmt->span, "first defined here"});
      return false;
    }
    if (ctx_.is_group(id)) {
      ctx_.diags->error(span, "'" + id + "' names both a step and a group of steps")
          .notes.push_back({ctx_.groups.at(id), "the group is defined here"});
      return false;
    }
    return register_groups(id, span);
  }

  void expand_step(const Stmt& s, Scope* scope, const Frame& frame) {
    auto id = step_id(s, scope);
    if (!id || !check_name_is_free(s, scope)) return;
    if (const StepInstance* seen = ctx_.find_step(*id); seen && seen->stmt == &s) {
      report_repeated(s, *id);
      return;
    }
    if (!claim_id(*id, s.span)) return;
    ctx_.instances.push_back(StepInstance{&s, scope, std::move(*id), frame.phase, frame.template_name, frame.owner,
                                          frame.conditions, false, nullptr, frame.scope});
    StepInstance& instance = ctx_.instances.back();
    ctx_.add_step(&instance);
    if (s.has_rollback_block) {
      Frame rollback;
      rollback.phase = frame.phase;
      rollback.template_name = frame.template_name;
      rollback.owner = instance.id;
      rollback.templates_open = frame.templates_open;
      expand_body(s.body, ctx_.new_scope(scope, instance.id + "/"), rollback);  // deque: `instance` stays put
    }
  }

  void expand_instance(const Stmt& s, Scope* scope, const Frame& frame) {
    if (ctx_.ambiguous_templates.count(s.type)) {
      ctx_.diags->error(s.type_span, "template name '" + s.type + "' is defined by more than one module; "
                                     "qualify it as 'module." + s.type + "'");
      return;
    }
    auto it = ctx_.templates.find(s.type);
    // A module that failed to load was reported already; its templates are missing because of it.
    if (it == ctx_.templates.end() && !ctx_.failed_modules.empty()) return;
    if (it == ctx_.templates.end()) {
      std::vector<std::string> names;
      for (const auto& [name, def] : ctx_.templates) names.push_back(name);
      std::string hint = did_you_mean(s.type, names);
      if (find_step_schema(s.type)) {
        hint = "; '" + s.type + "' is a step type: write '" + s.type + " { ... }'";
      }
      ctx_.diags->error(s.type_span, "unknown template '" + s.type + "'" + hint);
      return;
    }
    const TemplateDef& def = *it->second;
    const auto& open = frame.templates_open;
    if (std::find(open.begin(), open.end(), def.qualified_name) != open.end() || open.size() >= kMaxTemplateDepth) {
      ctx_.diags->error(s.span, "template '" + def.qualified_name + "' instantiates itself");
      return;
    }
    auto id = step_id(s, scope);
    if (!id || !check_name_is_free(s, scope)) return;
    if (auto seen = instance_spans_.find(*id); seen != instance_spans_.end()) {
      if (seen->second.line == s.span.line && seen->second.col == s.span.col && seen->second.file == s.span.file) {
        report_repeated(s, *id);
      } else {
        ctx_.diags->error(s.span, "duplicate step id '" + *id + "'").notes.push_back({seen->second, "first defined here"});
      }
      return;
    }
    // The instance's id is a group of its steps, and must not also be a step's id.
    if (!claim_id(*id + ".", s.span)) return;
    instance_spans_.emplace(*id, s.span);

    Scope* inner = ctx_.new_scope(def.scope, *id + ".");
    bind_arguments(s, def, scope, inner);
    Frame instance = frame;
    if (s.isolated) {
      // One failure scope per step: a scope inside another would fail with it, so which one
      // the failure is compensated with would be a guess.
      if (!frame.scope.empty()) {
        ctx_.diags->error(s.span, "isolated instance '" + *id + "' is inside the isolated instance '" + frame.scope +
                                      "'; failure scopes do not nest: drop one of the 'isolated's")
            .notes.push_back({frame.scope_span, "the scope '" + frame.scope + "' starts here"});
        return;
      }
      instance.scope = *id;
      instance.scope_span = s.span;
    }
    instance.template_name = def.qualified_name;
    instance.templates_open.push_back(def.qualified_name);
    expand_body(def.ast->body, inner, instance);
  }

  void bind_arguments(const Stmt& s, const TemplateDef& def, Scope* caller, Scope* inner) {
    const auto& params = def.ast->params;
    auto names = [&] {  // for "did you mean", only on an unknown argument
      std::vector<std::string> out;
      for (const Param& p : params) out.push_back(p.name);
      return out;
    };
    for (const Field& arg : s.fields) {
      auto p = std::find_if(params.begin(), params.end(), [&](const Param& q) { return q.name == arg.name; });
      if (p == params.end()) {
        ctx_.diags->error(arg.span, "template '" + def.qualified_name + "' has no parameter '" + arg.name + "'" +
                                        did_you_mean(arg.name, names()));
        continue;
      }
      if (inner->names.count(arg.name)) {
        ctx_.diags->error(arg.span, "argument '" + arg.name + "' is given twice");
        continue;
      }
      inner->names[arg.name] = Binding{"template parameter", arg.span, std::nullopt, &arg.value, caller,
                                       param_type(p->type), false, false};
      ctx_.template_args.emplace_back(arg.name, &inner->names[arg.name]);
    }
    for (const Param& p : params) {
      if (inner->names.count(p.name)) continue;
      if (!p.default_value) {
        ctx_.diags->error(s.span, "template '" + def.qualified_name + "' needs the argument '" + p.name + "'")
            .notes.push_back({p.span, "parameter '" + p.name + "' is declared here"});
        // Bound as failed, so its uses in the template body add no errors of their own.
        inner->names[p.name] = Binding{"template parameter", p.span, std::nullopt, nullptr, nullptr, nullptr,
                                       false, true};
        continue;
      }
      inner->names[p.name] = Binding{"template parameter", p.span, std::nullopt, &*p.default_value, inner,
                                     param_type(p.type), false, false};
      ctx_.template_args.emplace_back(p.name, &inner->names[p.name]);
    }
  }

  // A template parameter's type, resolved on its first instance instead of on each. nullptr for
  // an unknown type name, which is not cached: each instance reports it, as before.
  const Type* param_type(const TypeExpr& type) {
    auto it = ctx_.param_types.find(&type);
    if (it != ctx_.param_types.end()) return &it->second;
    auto resolved = resolve_type_expr(type, ctx_.diags, true);
    return resolved ? &ctx_.param_types.emplace(&type, std::move(*resolved)).first->second : nullptr;
  }

  CompileContext& ctx_;
  Evaluator eval_;
  std::map<std::string, Span> instance_spans_;
};

}  // namespace

void expand_steps(CompileContext& ctx) {
  Expander expander(ctx);
  for (const Phase& phase : ctx.files.front().phases) {
    Frame frame;
    frame.phase = phase.name;
    expander.expand_body(phase.body, ctx.new_scope(ctx.root, ""), frame);
  }
}

}  // namespace ferry::dsl

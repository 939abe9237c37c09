// Phase "check": each expanded step's `when`, then its fields, evaluated and checked against the
// schema of its type, into IR steps.
#include "dsl/check_value.h"

#include <algorithm>
#include <unordered_map>
#include "dsl/compile_context.h"
#include "dsl/evaluator.h"
#include "dsl/spelling.h"
#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

const StructField* find_field(const std::vector<StructField>& fields, const std::string& name) {
  for (const StructField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The few field names a step sets: a vector beats a set at this size.
class FieldNames {
 public:
  void clear() { names_.clear(); }
  void insert(const std::string& name) {
    if (!count(name)) names_.push_back(name);
  }
  void erase(const std::string& name) { std::erase(names_, name); }
  bool count(const std::string& name) const { return std::find(names_.begin(), names_.end(), name) != names_.end(); }

 private:
  std::vector<std::string> names_;
};

class StepChecker {
 public:
  explicit StepChecker(CompileContext& ctx)
      : ctx_(ctx), eval_(ctx), checker_(ctx, eval_), default_retry_(ctx.ir.retry) {}

  // A step whose `when` (or an enclosing `when` block) is false at compile time is left out;
  // one that depends on the run keeps the condition for the executor.
  void evaluate_conditions(StepInstance& step) {
    std::vector<json> runtime;
    auto consider = [&](const Expr& expr, Scope* scope) {
      auto value = eval_.eval(expr, scope);
      if (!value) return;
      if (value->is_boolean()) {
        if (!value->get<bool>()) step.excluded = true;
      } else if (is_symbolic(*value)) {
        runtime.push_back(*value);
      } else {
        ctx_.diags->error(expr.span, "'when' needs a bool, got " + value_kind(*value));
      }
    };
    for (const Condition& c : step.conditions) consider(*c.expr, c.scope);
    for (const Field& f : step.stmt->fields) {
      if (f.name == "when") consider(f.value, step.scope);
    }
    if (runtime.size() == 1) step.when = runtime[0];
    if (runtime.size() > 1) step.when = make_op("&&", std::move(runtime));
  }

  std::optional<IrStep> check(const StepInstance& step) {
    const Stmt& stmt = *step.stmt;
    const StepSchema* schema = find_step_schema(stmt.type);
    if (!schema) {
      std::string hint = did_you_mean(stmt.type, step_type_names());
      if (ctx_.templates.count(stmt.type)) hint = "; '" + stmt.type + "' is a template: write '" + stmt.type + "(...)'";
      ctx_.diags->error(stmt.type_span, "unknown step type '" + stmt.type + "'" + hint);
      return std::nullopt;
    }
    IrStep ir;
    ir.id = step.id;
    ir.type = schema->name;
    ir.phase = step.phase;
    ir.template_name = step.template_name;
    ir.scope = step.failure_scope;
    ir.span = stmt.span;
    ir.when = step.when;
    ir.args = json::object();

    size_t errors = ctx_.diags->size();
    for (json& value : common_) value = nullptr;
    // Field names for "did you mean", built only when a field is unknown.
    auto known = [&] {
      std::vector<std::string> names;
      for (const StructField& f : common_step_fields()) names.push_back(f.name);
      for (const StructField& f : schema->fields) names.push_back(f.name);
      return names;
    };

    FieldNames& written = written_;  // fields the step sets, valid or not: no "missing" error for them
    written.clear();
    std::optional<SharedRetry> retry;        // the step's own policy, checked
    for (const Field& field : stmt.fields) {
      written.insert(field.name);
      const StructField* spec = find_field(schema->fields, field.name);
      bool is_common = spec == nullptr;
      if (!spec) spec = find_field(common_step_fields(), field.name);
      if (!spec) {
        // The type's own fields are listed (those of every step would make the list too long to read).
        std::vector<std::string> own;
        for (const StructField& f : schema->fields) own.push_back(f.name);
        ctx_.diags->error(field.span, "unknown field '" + field.name + "' for step type '" + schema->name + "'" +
                                          did_you_mean(field.name, known()) + listed_names("its own fields", own));
        // `replica = 0` is one mistake: no second error that `replicas` is missing.
        written.insert(closest_match(field.name, known()));
        continue;
      }
      json* common = is_common ? &common_.at(spec - common_step_fields().data()) : nullptr;
      // The scheduler reads these before any step runs, so a run cannot decide them.
      static const std::set<std::string> static_fields = {"cluster", "description", "pool", "timeout", "after",
                                                          "rollback", "retry", "holds"};
      if ((common ? !common->is_null() : ir.args.contains(field.name)) || (field.name == "retry" && retry)) {
        ctx_.diags->error(field.span, "field '" + field.name + "' is set twice");
        continue;
      }
      if (field.name == "when") continue;  // evaluated with the conditions
      auto value = eval_.eval(field.value, step.scope, bare_words(spec->type));
      if (!value) continue;
      // An explicit null leaves a field unset, so a template can pass optional values through.
      if (value->is_null()) {
        written.erase(field.name);
        continue;
      }
      json written_retry;
      if (field.name == "retry" && value->is_object() && !is_symbolic(*value)) {
        if (const SharedRetry* known = known_retry(field.value, *value)) {
          retry = *known;
          continue;
        }
        written_retry = *value;
        // What the step writes overrides the plan's default policy, field by field.
        json merged = ctx_.ir.retry.get();
        merged.update(*value);
        value = std::move(merged);
      }
      if (is_common && static_fields.count(field.name) && field.name != "after" && contains_symbolic(*value)) {
        ctx_.diags->error(field.span, "'" + field.name + "' must be known when the plan compiles, but it depends on "
                                      "a step's output or a secret");
        continue;
      }
      if (!checker_.check(*value, spec->type, &field.value, field.span, field.name, step.scope)) continue;
      if (field.name == "retry") {
        retry = remember_retry(field.value, std::move(written_retry), std::move(*value));
      } else if (common) {
        *common = std::move(*value);
      } else {
        ir.args[field.name] = std::move(*value);
      }
    }
    check_required(*schema, stmt, written);
    ir.retry = retry ? *retry : default_retry_;
    apply_common(*schema, step, &ir);
    // The schema's defaults stay out of ir.args: step_args() adds them where they are read.
    if (ctx_.diags->size() != errors) return std::nullopt;
    return ir;
  }

 private:
  void check_required(const StepSchema& schema, const Stmt& stmt, const FieldNames& written) {
    for (const StructField& f : schema.fields) {
      if (f.required && !written.count(f.name)) {
        ctx_.diags->error(stmt.span, "step '" + stmt.name + "' (" + schema.name + ") is missing the required field '" +
                                         f.name + "'");
      }
    }
    if (schema.needs_cluster && !written.count("cluster")) {
      ctx_.diags->error(stmt.span, "step '" + stmt.name + "' (" + schema.name + ") needs 'cluster', the cluster it acts on");
    }
    for (const auto& group : schema.exactly_one_of) {
      std::vector<std::string> set;
      for (const std::string& name : group) {
        if (written.count(name)) set.push_back(name);
      }
      if (set.size() == 1) continue;  // as it should be: no message to build
      std::string names;
      for (size_t i = 0; i < group.size(); ++i) names += (i ? (i + 1 == group.size() ? " or '" : ", '") : "'") + group[i] + "'";
      if (set.empty()) {
        ctx_.diags->error(stmt.span, "step '" + stmt.name + "' (" + schema.name + ") needs one of " + names);
      } else {
        ctx_.diags->error(stmt.span, "step '" + stmt.name + "' (" + schema.name + ") sets both '" + set[0] + "' and '" +
                                         set[1] + "'; use only one of " + names);
      }
    }
    for (const auto& group : schema.at_most_one_of) {
      std::vector<std::string> set;
      for (const std::string& name : group) {
        if (written.count(name)) set.push_back(name);
      }
      if (set.size() < 2) continue;
      ctx_.diags->error(stmt.span, "step '" + stmt.name + "' (" + schema.name + ") sets both '" + set[0] + "' and '" +
                                       set[1] + "'; they do not go together");
    }
  }

  // Moves what it needs out of the common fields the step set (they are strings once checked).
  void apply_common(const StepSchema& schema, const StepInstance& step, IrStep* ir) {
    const Stmt& stmt = *step.stmt;
    auto take = [&](std::string_view name, std::string* out) {
      json& value = common(name);
      if (!value.is_null()) *out = std::move(value.get_ref<std::string&>());
    };
    take("cluster", &ir->cluster);
    take("description", &ir->description);
    take("pool", &ir->pool);
    take("timeout", &ir->timeout);
    if (!ir->timeout.empty()) ir->timeout_ms = parse_duration(ir->timeout);  // checked (and made canonical) already
    take_holds(stmt, ir);

    if (const json& after = common("after"); !after.is_null()) {
      // Sort, then drop repeats: `after = [a]` over a 5,000-step group must not search the list
      // once per member.
      for (const json& ref : after) members(*ref_step(ref), step.owner, &ir->after);
      // One group's members come sorted already (a prefix scan of an ordered map).
      if (!std::is_sorted(ir->after.begin(), ir->after.end())) std::sort(ir->after.begin(), ir->after.end());
      ir->after.erase(std::unique(ir->after.begin(), ir->after.end()), ir->after.end());
    }

    std::string mode;  // as written: "auto" or "none" (the field's type), or "" when not
    take("rollback", &mode);
    if (stmt.has_rollback_block) {
      if (!mode.empty()) {
        ctx_.diags->error(stmt.rollback_span, "step '" + stmt.name + "' has both 'rollback = " + mode +
                                                  "' and a rollback block; keep one");
      }
      ir->rollback = RollbackMode::kSteps;
    } else if (auto written = rollback_mode_from_name(mode)) {
      if (*written == RollbackMode::kAuto && !schema.has_inverse) {
        ctx_.diags->error(field_span(stmt, "rollback"),
                          "step type '" + schema.name + "' has no automatic rollback; write 'rollback = none' "
                          "or a 'rollback { ... }' block of steps");
      }
      ir->rollback = *written;
    } else {
      ir->rollback = schema.has_inverse ? RollbackMode::kAuto : RollbackMode::kNone;
    }
  }

  // `holds`: Leases on the step's cluster, so a step that holds something must name its cluster
  // (a `snapshot` or `wait` whose cluster is one of its own fields holds nothing).
  void take_holds(const Stmt& stmt, IrStep* ir) {
    const json& holds = common("holds");
    if (holds.is_null()) return;
    if (ir->cluster.empty()) {
      ctx_.diags->error(field_span(stmt, "holds"), "step '" + stmt.name + "' holds " + holds.dump() +
                                                       " but sets no 'cluster': a hold is a Lease on the cluster "
                                                       "the step acts on");
      return;
    }
    for (const json& hold : holds) {
      const std::string& h = hold.get_ref<const std::string&>();
      if (h.empty()) {
        ctx_.diags->error(field_span(stmt, "holds"), "step '" + stmt.name + "' holds an empty string");
      } else if (std::find(ir->holds.begin(), ir->holds.end(), h) == ir->holds.end()) {
        ir->holds.push_back(h);
      }
    }
  }

  // Appends the steps a reference in `after` stands for: the step, or every step of a group
  // (left-out steps drop out, so `after` a step whose `when` is false is no constraint).
  // Steps of a rollback block are only ever members for their siblings (same `owner`).
  void members(const std::string& id, const std::string& owner, std::vector<std::string>* out) {
    // A step id is never also a group (the expander refuses that): one hashed lookup will do.
    if (const StepInstance* step = ctx_.find_step(id)) {
      if (!step->excluded && step->owner == owner) out->push_back(id);
      return;
    }
    for (auto it = ctx_.steps_by_id.lower_bound(id); it != ctx_.steps_by_id.end() && it->first.starts_with(id); ++it) {
      std::string_view candidate = it->first;
      bool member = candidate == id || candidate[id.size()] == '[' || candidate[id.size()] == '.';
      if (member && !it->second->excluded && it->second->owner == owner) out->emplace_back(candidate);
    }
  }

  // The bare words of a field's type, computed once per type: schema types live as long as the
  // registry, so their addresses are stable keys.
  const std::set<std::string>& bare_words(const Type& type) {
    auto it = bare_words_.find(&type);
    if (it == bare_words_.end()) it = bare_words_.emplace(&type, bare_words_of(type)).first;
    return it->second;
  }

  // A policy a step wrote, already merged and checked for another step: the steps a template
  // makes in a loop all write the same one, which is then checked and stored once.
  const SharedRetry* known_retry(const Expr& expr, const json& written) const {
    auto it = retry_policies_.find(&expr);
    if (it == retry_policies_.end()) return nullptr;
    for (const auto& [value, policy] : it->second) {
      if (value == written) return &policy;
    }
    return nullptr;
  }
  SharedRetry remember_retry(const Expr& expr, json written, json policy) {
    SharedRetry shared = SharedRetry::checked(std::move(policy));
    auto& known = retry_policies_[&expr];
    // A few values an expression: one that differs per step must not make this a linear search.
    if (known.size() < kRetryPoliciesPerExpr) known.emplace_back(std::move(written), shared);
    return shared;
  }

  // The value the step gave a common field; null when it gave none.
  json& common(std::string_view name) {
    const auto& fields = common_step_fields();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].name == name) return common_[i];
    }
    throw std::logic_error("not a common step field: " + std::string(name));
  }

  static constexpr size_t kRetryPoliciesPerExpr = 4;
  CompileContext& ctx_;
  Evaluator eval_;
  ValueChecker checker_;
  SharedRetry default_retry_;  // the plan's policy, which every step without its own shares
  // The common fields the step being checked sets, each in its place in common_step_fields()
  // (null: not set). Reused from step to step: a json object a step was an allocation for it and
  // one a field.
  std::vector<json> common_ = std::vector<json>(common_step_fields().size());
  FieldNames written_;  // reused from step to step too
  // Checked policies by the expression that wrote them (its value is checked in the step's
  // scope): what it evaluated to, and the merged policy.
  std::unordered_map<const Expr*, std::vector<std::pair<json, SharedRetry>>> retry_policies_;
  std::map<const Type*, std::set<std::string>> bare_words_;
};

}  // namespace

void check_steps(CompileContext& ctx) {
  StepChecker checker(ctx);
  for (StepInstance& step : ctx.instances) checker.evaluate_conditions(step);

  Evaluator eval(ctx);
  for (auto& [name, binding] : ctx.template_args) eval.bound_value(name, *binding);

  std::map<std::string, std::vector<IrStep>> rollback_steps;  // by owner
  for (const StepInstance& step : ctx.instances) {
    if (step.excluded) continue;
    auto ir = checker.check(step);
    if (!ir) continue;
    if (!step.owner.empty()) {
      rollback_steps[step.owner].push_back(std::move(*ir));
    } else {
      std::string id = ir->id;
      ctx.ir.steps.insert_or_assign(std::move(id), std::move(*ir));
    }
  }
  for (auto& [owner, steps] : rollback_steps) {
    auto it = ctx.ir.steps.find(owner);
    if (it != ctx.ir.steps.end()) it->second.rollback_steps = std::move(steps);
  }
}

}  // namespace ferry::dsl

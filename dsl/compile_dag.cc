// Phase "link": the DAG. Edges come from `after` and from data references (a field that reads
// another step's output); each reference is checked, phases must only look back, and cycles are
// reported with their path.
#include <functional>

#include <algorithm>

#include "dsl/compile_context.h"
#include "dsl/spelling.h"
#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

struct Reference {
  std::string field;  // where in the step: "args.from", "when"
  std::string target;
  json output;        // the output path read, [] for the default output
};

void collect_refs(const json& value, const std::string& path, std::vector<Reference>* out) {
  if (value.is_object() && value.contains("$ref")) {
    out->push_back(Reference{path, value["$ref"], value.value("output", json::array())});
    return;
  }
  if (is_symbolic(value)) {
    // Inside {"$concat": [...]} or {"$op": ..., "args": [...]} the path stays the field's.
    for (const auto& [key, item] : value.items()) {
      if (item.is_array()) {
        for (const json& part : item) collect_refs(part, path, out);
      } else {
        collect_refs(item, path, out);
      }
    }
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) collect_refs(item, path.empty() ? key : path + "." + key, out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) collect_refs(value[i], path + "[" + std::to_string(i) + "]", out);
  }
}

// Where a reference was written: the span of its field ("argv[1]" is in "argv").
Span where_written(const IrStep& step, const std::string& field) {
  std::string top = field.substr(0, field.find_first_of(".["));
  auto it = step.field_spans.find(top);
  return it == step.field_spans.end() ? step.span : it->second;
}

class Linker {
 public:
  explicit Linker(CompileContext& ctx) : ctx_(ctx) {
    for (size_t i = 0; i < ctx.ir.phases.size(); ++i) phase_index_[ctx.ir.phases[i].name] = i;
  }

  void link_all() {
    for (auto& [id, step] : ctx_.ir.steps) {
      link(step, nullptr);
      for (IrStep& undo : step.rollback_steps) link(undo, &step);
    }
    if (!ctx_.diags->empty()) return;
    find_cycles();
    for (IrPhase& phase : ctx_.ir.phases) {
      for (const auto& [id, step] : ctx_.ir.steps) {
        if (step.phase == phase.name) phase.steps.push_back(id);
      }
    }
  }

 private:
  // Resolves the references of `step` (a rollback-block step when `owner` is set) into deps.
  void link(IrStep& step, const IrStep* owner) {
    std::vector<Reference> refs;
    collect_refs(step.args, "", &refs);
    collect_refs(step.when, "when", &refs);
    std::set<std::string> deps(step.after.begin(), step.after.end());
    for (const Reference& ref : refs) {
      const IrStep* target = find_target(ref.target, owner);
      if (!target) {
        report_missing(step, ref);
        continue;
      }
      if (!check_output(step, ref, *target)) continue;
      bool sibling = owner && ref.target.starts_with(owner->id + "/");
      if (owner == nullptr || sibling) deps.insert(ref.target);
    }
    if (deps.count(step.id)) {
      ctx_.diags->error(step.span, "step '" + step.id + "' depends on itself");
      deps.erase(step.id);
    }
    if (!owner) {
      for (const std::string& dep : deps) check_phase_order(step, dep);
    }
    step.deps.assign(deps.begin(), deps.end());
  }

  const IrStep* find_target(const std::string& id, const IrStep* owner) {
    if (owner) {
      for (const IrStep& s : owner->rollback_steps) {
        if (s.id == id) return &s;
      }
    }
    return ctx_.ir.find(id);
  }

  void report_missing(const IrStep& step, const Reference& ref) {
    std::string where = "step '" + step.id + "' (field '" + ref.field + "')";
    Span at = where_written(step, ref.field);
    auto instance = ctx_.steps_by_id.find(ref.target);
    if (instance != ctx_.steps_by_id.end() && instance->second->excluded) {
      ctx_.diags->error(at, where + " reads the output of '" + ref.target +
                                       "', which this plan leaves out (its 'when' is false)")
          .notes.push_back({instance->second->stmt->span, "'" + ref.target + "' is declared here"});
    } else if (ctx_.groups.count(ref.target)) {
      ctx_.diags->error(at, where + " refers to '" + ref.target + "', a group of steps; pick one of them (e.g. with [key])");
    } else if (instance != ctx_.steps_by_id.end() && !instance->second->owner.empty()) {
      ctx_.diags->error(at, where + " refers to '" + ref.target + "', a step of a rollback block");
    } else if (instance == ctx_.steps_by_id.end()) {
      ctx_.diags->error(at, where + " refers to an unknown step '" + ref.target + "'");
    }
    // Otherwise the target had errors of its own, already reported.
  }

  bool check_output(const IrStep& step, const Reference& ref, const IrStep& target) {
    const StepSchema* schema = find_step_schema(target.type);
    std::string where = "step '" + step.id + "' (field '" + ref.field + "')";
    Span at = where_written(step, ref.field);
    if (ref.output.empty()) {
      if (step.type == "noop" || !schema->default_output.empty() || ref.field.starts_with("after")) return true;
      std::vector<std::string> names;
      for (const OutputSchema& o : schema->outputs) names.push_back(o.name);
      ctx_.diags->error(at, where + " uses '" + ref.target + "' as a value, but " + with_article(target.type) +
                                       " step has no default output" +
                                       (names.empty() ? "" : "; name one: " + ref.target + "." + names[0]));
      return false;
    }
    std::string name = ref.output[0].is_string() ? ref.output[0].get<std::string>() : "";
    std::vector<std::string> names;
    for (const OutputSchema& o : schema->outputs) {
      if (o.name == name) return true;
      names.push_back(o.name);
    }
    ctx_.diags->error(at, where + " reads '" + name + "' of '" + ref.target + "', but " + with_article(target.type) +
                                     " step has no output '" + name + "'" + did_you_mean(name, names) +
                                     (names.empty() ? " (it has no outputs)" : ""));
    return false;
  }

  void check_phase_order(const IrStep& step, const std::string& dep) {
    const IrStep* target = ctx_.ir.find(dep);
    if (!target || phase_index_[target->phase] <= phase_index_[step.phase]) return;
    ctx_.diags->error(step.span, "step '" + step.id + "' in phase '" + step.phase + "' depends on '" + dep +
                                     "' in the later phase '" + target->phase + "'; phases run in order")
        .notes.push_back({target->span, "'" + dep + "' is declared here"});
  }

  // Depth-first search; a back edge closes a cycle, printed with every step on it.
  void find_cycles() {
    enum class Mark { None, Active, Done };
    std::map<std::string, Mark> marks;
    std::vector<std::string> stack;
    std::function<bool(const std::string&)> visit = [&](const std::string& id) {
      marks[id] = Mark::Active;
      stack.push_back(id);
      for (const std::string& dep : ctx_.ir.steps.at(id).deps) {
        if (marks[dep] == Mark::Active) {
          report_cycle(std::vector<std::string>(std::find(stack.begin(), stack.end(), dep), stack.end()));
          return true;
        }
        if (marks[dep] == Mark::None && visit(dep)) return true;
      }
      stack.pop_back();
      marks[id] = Mark::Done;
      return false;
    };
    for (const auto& [id, step] : ctx_.ir.steps) {
      if (marks[id] == Mark::None && visit(id)) return;  // one cycle at a time is clearer
    }
  }

  // `cycle` runs along dependency edges: each step depends on the next, the last on the first.
  void report_cycle(const std::vector<std::string>& cycle) {
    std::string path;
    for (const std::string& id : cycle) path += id + " -> ";
    path += cycle.front();
    Diagnostic& d = ctx_.diags->error(ctx_.ir.steps.at(cycle.front()).span, "dependency cycle: " + path);
    for (size_t i = 0; i < cycle.size(); ++i) {
      const std::string& next = cycle[(i + 1) % cycle.size()];
      d.notes.push_back({ctx_.ir.steps.at(cycle[i]).span, "'" + cycle[i] + "' depends on '" + next + "'"});
    }
  }

  CompileContext& ctx_;
  std::map<std::string, size_t> phase_index_;
};

}  // namespace

void link_steps(CompileContext& ctx) { Linker(ctx).link_all(); }

}  // namespace ferry::dsl

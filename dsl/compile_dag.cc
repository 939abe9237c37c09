// Phase "link": the DAG. Edges come from `after` and from data references (a field that reads
// another step's output); each reference is checked, phases must only look back, and cycles are
// reported with their path.
#include <algorithm>
#include <string_view>

#include "dsl/compile_context.h"
#include "dsl/spelling.h"
#include "dsl/step_types.h"

namespace ferry::dsl {
namespace {

// Views into the step's args or `when`, which stay put while the step is linked.
struct Reference {
  std::string field;           // where in the step: "args.from", "when"
  const std::string& target;
  const json* output;          // the output path read; nullptr (or []) for the default output

  bool default_output() const { return output == nullptr || output->empty(); }
};

// `path` is where `value` sits ("args.argv[1]"); it is extended in place and restored on return,
// so walking a step's fields builds no strings unless a reference is found.
void collect_refs(const json& value, std::string& path, std::vector<Reference>* out) {
  if (!value.is_structured()) return;
  if (value.is_object()) {
    if (const std::string* target = ref_step(value)) {
      out->push_back(Reference{path, *target, ref_output(value)});
      return;
    }
  }
  size_t length = path.size();
  if (is_symbolic(value)) {
    // Inside a $concat or an $op the path stays the field's.
    if (const json* parts = operands(value)) {
      for (const json& part : *parts) collect_refs(part, path, out);
    }
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (length != 0) path += '.';
      path += unescape_key(it.key());  // as the plan wrote it
      collect_refs(*it, path, out);
      path.resize(length);
    }
  } else {
    for (size_t i = 0; i < value.size(); ++i) {
      path += '[';
      path += std::to_string(i);
      path += ']';
      collect_refs(value[i], path, out);
      path.resize(length);
    }
  }
}

// Where a reference was written: the span of its field ("argv[1]" is in "argv").
Span where_written(const CompileContext& ctx, const IrStep& step, const std::string& field) {
  const StepInstance* instance = ctx.find_step(step.id);
  if (!instance) return step.span;
  return field_span(*instance->stmt, std::string_view(field).substr(0, field.find_first_of(".[")));
}

class Linker {
 public:
  explicit Linker(CompileContext& ctx) : ctx_(ctx) {
    for (size_t i = 0; i < ctx.ir.phases.size(); ++i) phase_index_[ctx.ir.phases[i].name] = i;
    // Numbered on their instances, which the context indexes by id already: no table of its own.
    by_index_.reserve(ctx.ir.steps.size());
    phase_by_index_.reserve(ctx.ir.steps.size());
    for (const auto& [id, step] : ctx.ir.steps) {
      if (StepInstance* instance = ctx.find_step(id)) instance->link_index = by_index_.size();
      by_index_.push_back(&step);
      phase_by_index_.push_back(phase_of(step));
    }
  }

  void link_all() {
    edge_start_.reserve(by_index_.size() + 1);
    for (auto& [id, step] : ctx_.ir.steps) {
      edge_start_.push_back(edges_.size());
      link(step, nullptr);
      for (IrStep& undo : step.rollback_steps) link(undo, &step);
    }
    edge_start_.push_back(edges_.size());
    if (!ctx_.diags->empty()) return;
    find_cycles();
    // One pass over the steps (in id order, so each phase's list comes out sorted).
    for (const auto& [id, step] : ctx_.ir.steps) {
      auto phase = phase_index_.find(step.phase);
      if (phase != phase_index_.end()) ctx_.ir.phases[phase->second].steps.push_back(id);
    }
  }

 private:
  // Resolves the references of `step` (a rollback-block step when `owner` is set) into deps.
  void link(IrStep& step, const IrStep* owner) {
    std::vector<Reference>& refs = refs_;
    refs.clear();
    std::string path;
    collect_refs(step.args, path, &refs);
    path = "when";
    collect_refs(step.when, path, &refs);
    // A sorted vector, deduplicated at the end: cheaper than a set for a handful of edges.
    std::vector<std::string> deps;
    deps.reserve(step.after.size() + refs.size());
    deps.insert(deps.end(), step.after.begin(), step.after.end());
    for (const Reference& ref : refs) {
      const IrStep* target = find_target(ref.target, owner);
      if (!target) {
        report_missing(step, ref);
        continue;
      }
      if (!check_output(step, ref, *target)) continue;
      bool sibling = owner && ref.target.starts_with(owner->id + "/");
      if (owner == nullptr || sibling) deps.push_back(ref.target);
    }
    // `after` comes sorted: a join step over a 5,000-step group often needs no sort at all.
    if (!std::is_sorted(deps.begin(), deps.end())) std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    if (auto self = std::lower_bound(deps.begin(), deps.end(), step.id); self != deps.end() && *self == step.id) {
      ctx_.diags->error(step.span, "step '" + step.id + "' depends on itself");
      deps.erase(self);
    }
    if (!owner) {
      size_t phase = phase_of(step);
      for (const std::string& dep : deps) {
        size_t target = index_of(dep);
        if (target == StepInstance::kNotLinked) continue;
        edges_.push_back(target);
        check_phase_order(step, phase, dep, target);
      }
    }
    step.deps = std::move(deps);
  }

  const IrStep* find_target(const std::string& id, const IrStep* owner) {
    if (owner) {
      for (const IrStep& s : owner->rollback_steps) {
        if (s.id == id) return &s;
      }
    }
    return find(id);
  }

  // Ir::find, hashed: the linker looks up every reference and every edge.
  const IrStep* find(const std::string& id) const {
    size_t index = index_of(id);
    return index == StepInstance::kNotLinked ? nullptr : by_index_[index];
  }
  // The position of top-level step `id` in id order; kNotLinked if there is none.
  size_t index_of(std::string_view id) const {
    const StepInstance* instance = ctx_.find_step(id);
    return instance ? instance->link_index : StepInstance::kNotLinked;
  }

  void report_missing(const IrStep& step, const Reference& ref) {
    std::string where = "step '" + step.id + "' (field '" + ref.field + "')";
    Span at = where_written(ctx_, step, ref.field);
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
    auto where = [&] { return "step '" + step.id + "' (field '" + ref.field + "')"; };
    auto at = [&] { return where_written(ctx_, step, ref.field); };
    if (ref.default_output()) {
      if (step.type == "noop" || !schema->default_output.empty() || ref.field.starts_with("after")) return true;
      std::vector<std::string> names;
      for (const OutputSchema& o : schema->outputs) names.push_back(o.name);
      ctx_.diags->error(at(), where() + " uses '" + ref.target + "' as a value, but " + with_article(target.type) +
                                       " step has no default output" +
                                       (names.empty() ? "" : "; name one: " + ref.target + "." + names[0]));
      return false;
    }
    const std::string empty;
    const json& first = (*ref.output)[0];
    const std::string& name = first.is_string() ? first.get_ref<const std::string&>() : empty;
    for (const OutputSchema& o : schema->outputs) {
      if (o.name == name) return true;
    }
    std::vector<std::string> names;
    for (const OutputSchema& o : schema->outputs) names.push_back(o.name);
    ctx_.diags->error(at(), where() + " reads '" + name + "' of '" + ref.target + "', but " + with_article(target.type) +
                                     " step has no output '" + name + "'" + did_you_mean(name, names) +
                                     (names.empty() ? " (it has no outputs)" : ""));
    return false;
  }

  void check_phase_order(const IrStep& step, size_t step_phase, const std::string& dep, size_t dep_index) {
    if (phase_by_index_[dep_index] <= step_phase) return;
    const IrStep* target = by_index_[dep_index];
    ctx_.diags->error(step.span, "step '" + step.id + "' in phase '" + step.phase + "' depends on '" + dep +
                                     "' in the later phase '" + target->phase + "'; phases run in order")
        .notes.push_back({target->span, "'" + dep + "' is declared here"});
  }

  // Depth-first search; a back edge closes a cycle, printed with every step on it. Iterative,
  // over step indices (ids in order), so a long chain of steps cannot overflow the stack.
  void find_cycles() {
    enum class Mark : unsigned char { None, Active, Done };
    std::vector<Mark> marks(by_index_.size(), Mark::None);
    struct Frame {
      size_t step;
      size_t next;  // the next of its edges to visit
    };
    std::vector<Frame> stack;
    auto enter = [&](size_t i) {
      marks[i] = Mark::Active;
      stack.push_back(Frame{i, edge_start_[i]});
    };
    for (size_t root = 0; root < by_index_.size(); ++root) {
      if (marks[root] != Mark::None) continue;
      enter(root);
      while (!stack.empty()) {
        Frame& top = stack.back();
        if (top.next == edge_start_[top.step + 1]) {
          marks[top.step] = Mark::Done;
          stack.pop_back();
          continue;
        }
        size_t dep = edges_[top.next++];
        if (marks[dep] == Mark::Active) {
          auto from = std::find_if(stack.begin(), stack.end(), [&](const Frame& f) { return f.step == dep; });
          std::vector<std::string> cycle;
          for (; from != stack.end(); ++from) cycle.push_back(by_index_[from->step]->id);
          report_cycle(cycle);
          return;  // one cycle at a time is clearer
        }
        if (marks[dep] == Mark::None) enter(dep);  // invalidates `top`
      }
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
  size_t phase_of(const IrStep& step) {
    auto it = phase_index_.find(step.phase);
    return it == phase_index_.end() ? 0 : it->second;
  }
  std::vector<Reference> refs_;  // the references of the step being linked (reused: no allocation a step)
  std::vector<const IrStep*> by_index_;  // the top-level steps, in id order
  std::vector<size_t> phase_by_index_;    // their phases' places in the run order
  // The DAG's edges between top-level steps as indices, found once while linking: step i's
  // deps are edges_[edge_start_[i]] up to edges_[edge_start_[i + 1]], in the order of `deps`.
  std::vector<size_t> edges_;
  std::vector<size_t> edge_start_;
};

}  // namespace

void link_steps(CompileContext& ctx) { Linker(ctx).link_all(); }

}  // namespace ferry::dsl

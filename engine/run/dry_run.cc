#include "engine/run/dry_run.h"

#include <sstream>

#include "dsl/step_rules.h"
#include "dsl/step_types.h"
#include "engine/run/resolve.h"

namespace ferry::engine {

StepResult DryRunner::attempt(const StepImpl& impl, StepContext& ctx) {
  PlannedStep& p = steps_[ctx.step->id];
  p.id = ctx.step->id;
  p.args = ctx.args;
  p.actions = impl.render(ctx);
  p.rollback = ctx.step->rollback;
  if (p.rollback == dsl::RollbackMode::kAuto && impl.render_inverse) p.rollback_actions = impl.render_inverse(ctx);
  for (const dsl::IrStep& s : ctx.step->rollback_steps) p.rollback_steps.push_back(s.id);
  return StepResult{};
}

PlanReport dry_run(const dsl::Ir& ir, const std::string& hash, const RunOptions& options, const Services& services) {
  DryRunner runner;
  Redactor redactor;
  RunOptions opt = options;
  opt.secrets.clear();
  opt.on_failure = dsl::OnFailure::kStop;  // nothing was done: there is nothing to roll back
  std::map<std::string, std::string> failures;
  EventSink sink = [&](Event event, const json& e) {
    if (event == Event::kStepFailed) failures[e["step"]] = e.value("message", "");
  };
  Executor executor(ir, opt, services, real_clock(), redactor, runner, nullptr, sink);
  executor.run(CancelToken());
  PlanReport report;
  report.ir = &ir;
  report.hash = hash;
  for (const auto& [id, wave] : executor.started_order()) {
    PlannedStep p = runner.steps()[id];
    p.id = id;
    p.wave = wave;
    if (auto f = failures.find(id); f != failures.end()) p.error = f->second;
    p.rollback = ir.steps.at(id).rollback;  // also for a step that failed before its attempt
    report.steps.push_back(std::move(p));
  }
  return report;
}

namespace {

struct Style {
  bool color;
  std::string bold(const std::string& s) const { return color ? "\033[1m" + s + "\033[0m" : s; }
  std::string dim(const std::string& s) const { return color ? "\033[2m" + s + "\033[0m" : s; }
  std::string red(const std::string& s) const { return color ? "\033[31m" + s + "\033[0m" : s; }
};

std::string rollback_words(const PlannedStep& p) {
  if (p.rollback == dsl::RollbackMode::kAuto) return "automatic (restores what the step changed)";
  if (p.rollback == dsl::RollbackMode::kSteps) {
    std::string list;
    for (const auto& s : p.rollback_steps) list += (list.empty() ? "" : ", ") + s;
    return "runs " + list;
  }
  return "none";
}

struct Totals {
  size_t steps = 0, destructive = 0, with_rollback = 0, approvals = 0, unplannable = 0;
};

Totals totals_of(const PlanReport& r) {
  Totals t;
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    ++t.steps;
    t.destructive += dsl::is_destructive(step);
    t.with_rollback += step.rollback != dsl::RollbackMode::kNone;
    t.approvals += step.type == "approve";
    t.unplannable += !p.error.empty();
  }
  return t;
}

std::string short_hash(const std::string& h) { return h.substr(0, 12); }

}  // namespace

std::string plan_text(const PlanReport& r, bool color) {
  Style st{color};
  std::ostringstream out;
  out << st.bold("plan '" + r.ir->plan + "'") << " (ir " << short_hash(r.hash) << ")\n";
  std::string phase;
  int wave = -1;
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    if (step.phase != phase) {
      phase = step.phase;
      wave = -1;
      std::string description;
      for (const auto& ph : r.ir->phases) {
        if (ph.name == phase) description = ph.description;
      }
      out << "\n" << st.bold("phase " + phase) << (description.empty() ? "" : st.dim("  # " + description)) << "\n";
    }
    if (p.wave != wave) {
      wave = p.wave;
      out << "  " << st.dim("-- together:") << "\n";
    }
    std::string head = "    " + st.bold(p.id) + " = " + step.type;
    if (!step.cluster.empty()) head += " on " + step.cluster;
    if (dsl::is_destructive(step)) head += "  " + st.red("[destructive]");
    out << head << "\n";
    if (!step.description.empty()) out << "      " << st.dim(step.description) << "\n";
    if (!step.when.is_null()) out << "      when " << step.when.dump() << "\n";
    if (!p.args.empty()) {
      // The arguments on one line; the JSON output has them whole.
      std::string args = p.args.dump();
      if (args.size() > 160) args = args.substr(0, 157) + "...";
      out << "      " << st.dim("args " + args) << "\n";
    }
    for (const Action& a : p.actions) out << "      $ " << a.text() << "\n";
    if (!p.error.empty()) out << "      " << st.red("error: " + p.error) << "\n";
    out << "      rollback: " << rollback_words(p) << "\n";
    for (const Action& a : p.rollback_actions) out << "        $ " << a.text() << "\n";
  }
  Totals t = totals_of(r);
  out << "\n" << t.steps << " steps, " << t.destructive << " destructive, " << t.with_rollback << " with rollback, "
      << t.approvals << " approval gate" << (t.approvals == 1 ? "" : "s");
  if (t.unplannable) out << ", " << st.red(std::to_string(t.unplannable) + " that cannot run");
  out << "\n";
  return out.str();
}

std::string plan_markdown(const PlanReport& r) {
  std::ostringstream out;
  Totals t = totals_of(r);
  out << "## ferry plan `" << r.ir->plan << "`\n\n"
      << t.steps << " steps, " << t.destructive << " destructive, " << t.with_rollback << " with rollback, "
      << t.approvals << " approval gates. IR `" << short_hash(r.hash) << "`.\n";
  std::string phase;
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    if (step.phase != phase) {
      phase = step.phase;
      out << "\n### phase `" << phase << "`\n\n| wave | step | type | cluster | rollback |\n|---|---|---|---|---|\n";
    }
    out << "| " << p.wave << " | `" << p.id << "`" << (dsl::is_destructive(step) ? " ⚠️" : "") << " | " << step.type << " | "
        << step.cluster << " | " << rollback_words(p) << " |\n";
  }
  out << "\n<details><summary>Commands</summary>\n\n";
  for (const PlannedStep& p : r.steps) {
    if (p.actions.empty()) continue;
    out << "- `" << p.id << "`\n";
    for (const Action& a : p.actions) out << "  ```\n  " << a.text() << "\n  ```\n";
  }
  out << "\n</details>\n";
  return out.str();
}

json plan_json(const PlanReport& r) {
  json steps = json::array();
  for (const PlannedStep& p : r.steps) {
    const dsl::IrStep& step = r.ir->steps.at(p.id);
    json actions = json::array();
    for (const Action& a : p.actions) actions.push_back(a.to_json());
    json rollback_actions = json::array();
    for (const Action& a : p.rollback_actions) rollback_actions.push_back(a.to_json());
    json j = {{"id", p.id},
              {"type", step.type},
              {"phase", step.phase},
              {"wave", p.wave},
              {"args", p.args},
              {"actions", actions},
              {"destructive", dsl::is_destructive(step)},
              {"rollback",
               {{"mode", std::string(dsl::rollback_mode_name(p.rollback))},
                {"actions", rollback_actions},
                {"steps", p.rollback_steps}}}};
    if (!step.cluster.empty()) j["cluster"] = step.cluster;
    if (!step.when.is_null()) j["when"] = step.when;
    if (!p.error.empty()) j["error"] = p.error;
    steps.push_back(j);
  }
  Totals t = totals_of(r);
  return {{"plan", r.ir->plan},
          {"ir_hash", r.hash},
          {"steps", steps},
          {"totals",
           {{"steps", t.steps}, {"destructive", t.destructive}, {"with_rollback", t.with_rollback}, {"approvals", t.approvals},
            {"cannot_run", t.unplannable}}}};
}

}  // namespace ferry::engine

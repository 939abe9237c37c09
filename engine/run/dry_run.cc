#include "engine/run/dry_run.h"

#include "dsl/step_types.h"
#include "engine/base/redactor.h"
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

namespace {

// No secret's value reaches a dry run (secret params resolve to <redacted>, outputs to
// <step.output>), but a presigned URL a plan holds as a plain string does, and the reports show
// args and commands whole: what they show passes the redactor's URL rules, as every sink does.
void redact(const Redactor& redactor, PlannedStep* p) {
  p->args = redactor.redact_json(p->args);
  for (std::vector<Action>* actions : {&p->actions, &p->rollback_actions}) {
    for (Action& a : *actions) {
      for (std::string& arg : a.argv) arg = redactor.redact(arg);
      for (std::string* text : {&a.url, &a.input, &a.note}) *text = redactor.redact(*text);
    }
  }
}

}  // namespace

PlanReport dry_run(const dsl::Ir& ir, const std::string& hash, const RunOptions& options, const Services& services) {
  DryRunner runner;
  Redactor redactor;
  RunOptions opt = options;
  opt.secrets.clear();
  opt.on_failure = dsl::OnFailure::kStop;  // nothing was done: there is nothing to roll back
  opt.holds = nullptr;                      // nor anything to hold: the report lists the holds
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
    redact(redactor, &p);
    report.steps.push_back(std::move(p));
  }
  return report;
}

}  // namespace ferry::engine

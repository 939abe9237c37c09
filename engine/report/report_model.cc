#include "engine/report/report_model.h"

#include <algorithm>
#include <filesystem>

#include "dsl/step_rules.h"
#include "dsl/utf8.h"
#include "engine/report/downtime.h"
#include "engine/report/timeline.h"
#include "engine/run/journal_fields.h"
#include "engine/run/resolve.h"

namespace ferry::report {
namespace {

// Fields of what the run wrote (the journal's header, a step's outputs), read as journal lines are.
using engine::journal_field::integer;
using engine::journal_field::text;

// run_ended's result as a person says it; "" (no run_ended since the last start) is unfinished.
std::string result_text(const std::string& result) {
  if (result.empty()) return "unfinished";
  if (result == "rolled_back") return "rolled back";
  if (result == "rollback_failed") return "rollback failed";
  if (result == "partially_failed") return "partially failed";
  return result;
}

bool reached(const StepTimeline& s) { return !s.attempts.empty() || s.marked_ms; }

// The step's arguments (its type's defaults included: what it ran with) with the outputs they
// read as the run journaled them; what the journal does not hold (a secret output, a step that
// did not run) stays a placeholder, and secrets are "<redacted>" (the dry run's rules:
// engine/run/resolve.h).
json resolved_args(const dsl::Ir& ir, const dsl::IrStep& step, const engine::RunState& state) {
  engine::ResolveScope journaled;
  journaled.ir = &ir;
  journaled.placeholders = true;
  journaled.outputs = [&](const std::string& id) -> const json* {
    auto it = state.steps.find(id);
    return it != state.steps.end() && it->second.state == engine::StepState::kSucceeded ? &it->second.outputs : nullptr;
  };
  engine::ResolveScope unknown = journaled;
  unknown.outputs = [](const std::string&) -> const json* { return nullptr; };
  json out = json::object();
  const json args = dsl::step_args(step);
  for (const auto& [name, value] : args.items()) {
    json v;
    if (!engine::resolve_value(value, journaled, &v).ok()) engine::resolve_value(value, unknown, &v);
    out[name] = v;
  }
  return out;
}

Transfer transfer_of(const StepTimeline& s, const dsl::IrStep& step) {
  Transfer t;
  t.step = s.id;
  t.state = s.state;
  t.start_ms = s.start_ms();
  t.url = text(s.outputs, "url");
  if (t.url.empty()) t.url = text(step.args, "to");
  if (!s.attempts.empty() && s.attempts.back().end == AttemptEnd::kSucceeded) {
    t.bytes = integer(s.outputs, "size", -1);
    t.parts = integer(s.outputs, "parts", 0);
    t.sha256 = text(s.outputs, "sha256");
    t.ms = s.attempts.back().end_ms - s.attempts.back().start_ms;
  }
  return t;
}

DestructiveStep destructive_of(const dsl::Ir& ir, const dsl::IrStep& step, const engine::RunState& state) {
  DestructiveStep d;
  d.id = step.id;
  d.type = step.type;
  d.phase = step.phase;
  d.description = step.description;
  d.cluster = step.cluster;
  d.args = resolved_args(ir, step, state);
  auto it = state.steps.find(step.id);
  const engine::StepRecord record = it == state.steps.end() ? engine::StepRecord{} : it->second;
  d.state = engine::step_state_name(record.state);
  d.attempts = record.attempts;
  if (!record.error.empty()) d.error = record.error_class.empty() ? record.error : record.error_class + ": " + record.error;
  d.undone = engine::undo_state_name(record.undo_state);
  if (record.outputs.is_object()) d.outputs = record.outputs;
  for (const std::string& secret : record.secret_outputs) d.outputs.erase(secret);
  return d;
}

}  // namespace

std::string_view attempt_end_name(AttemptEnd end) {
  switch (end) {
    case AttemptEnd::kSucceeded: return "succeeded";
    case AttemptEnd::kRetried: return "retried";
    case AttemptEnd::kFailed: return "failed";
    case AttemptEnd::kCancelled: return "cancelled";
    case AttemptEnd::kInterrupted: return "interrupted";
    case AttemptEnd::kUnfinished: return "unfinished";
  }
  return "unfinished";
}

int64_t StepTimeline::start_ms() const { return attempts.empty() ? marked_ms : attempts.front().start_ms; }
int64_t StepTimeline::end_ms() const { return attempts.empty() ? marked_ms : std::max(attempts.back().end_ms, marked_ms); }

std::optional<double> Transfer::bytes_per_second() const {
  if (bytes < 0 || ms <= 0) return std::nullopt;
  return bytes * 1000.0 / ms;
}

std::vector<std::pair<const StepTimeline*, const Compensation*>> compensations_in_order(const RunReport& r) {
  std::vector<std::pair<const StepTimeline*, const Compensation*>> out;
  for (const StepTimeline& s : r.steps) {
    for (const Compensation& c : s.compensations) out.emplace_back(&s, &c);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second->start_ms < b.second->start_ms; });
  return out;
}

RunReport build_report(const engine::RunDirContents& run, const std::string& dir) {
  const dsl::Ir& ir = run.ir;
  const engine::RunState& state = run.state;
  RunReport r;
  r.dir = dsl::to_valid_utf8(dir);  // argv's bytes; the JSON output holds only UTF-8
  r.plan = ir.plan;
  r.description = ir.description;
  r.source = text(state.header, "source");
  r.ir_hash = run.hash;
  r.ferry_version = text(state.header, "ferry_version");
  r.user = text(state.header, "user");
  r.host = text(state.header, "host");
  r.result = result_text(state.result);
  r.finished = !state.result.empty();
  r.torn_lines = state.torn_lines;

  Timeline tl = fold_timeline(run.events);
  r.started_ms = tl.first_ms;
  r.ended_ms = tl.last_ms;
  r.invocations = std::move(tl.invocations);
  r.rollbacks = std::move(tl.rollbacks);
  r.not_undone = std::move(tl.not_undone);
  r.downtime = find_downtime(ir, tl.steps);

  auto reached_seq = [&](const std::string& id) {
    auto it = state.steps.find(id);
    return it == state.steps.end() ? INT64_MAX : it->second.reached_seq;
  };
  for (const dsl::IrPhase& phase : ir.phases) {
    r.phases.push_back(phase.name);
    std::vector<std::string> ids = phase.steps;
    std::stable_sort(ids.begin(), ids.end(), [&](const auto& a, const auto& b) { return reached_seq(a) < reached_seq(b); });
    for (const std::string& id : ids) {
      auto it = tl.steps.find(id);
      if (it == tl.steps.end() || !reached(it->second)) {
        r.not_reached.push_back(id);
        continue;
      }
      StepTimeline s = std::move(it->second);
      const dsl::IrStep& step = ir.steps.at(id);
      s.type = step.type;
      s.phase = step.phase;
      s.description = step.description;
      s.destructive = dsl::is_destructive(step);
      auto record = state.steps.find(id);
      s.state = engine::step_state_name(record == state.steps.end() ? engine::StepState::kPending : record->second.state);
      r.steps.push_back(std::move(s));
    }
  }

  for (const StepTimeline& s : r.steps) {
    const dsl::IrStep& step = ir.steps.at(s.id);
    if (step.type == "upload" && !s.attempts.empty()) r.transfers.push_back(transfer_of(s, step));
    if (s.destructive) r.destructive.push_back(destructive_of(ir, step, state));
  }
  std::stable_sort(r.transfers.begin(), r.transfers.end(),
                   [](const Transfer& a, const Transfer& b) { return a.start_ms < b.start_ms; });
  for (const std::string& id : r.not_reached) {
    const dsl::IrStep& step = ir.steps.at(id);
    if (dsl::is_destructive(step)) r.destructive.push_back(destructive_of(ir, step, state));
  }
  return r;
}

std::optional<RunReport> read_report(const std::string& dir, std::string* error) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    const bool missing = !ec || ec == std::errc::no_such_file_or_directory;
    *error = "no run directory at " + dir + (missing ? "" : ": " + ec.message());
    return std::nullopt;
  }
  auto run = engine::read_run_dir(dir, error);
  if (!run) return std::nullopt;
  return build_report(*run, dir);
}

}  // namespace ferry::report

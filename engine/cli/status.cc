// `ferry status DIR`: every step of a run, from its journal.
#include <algorithm>
#include <chrono>
#include <climits>
#include <iostream>
#include <sstream>

#include "dsl/utf8.h"
#include "engine/cli/command.h"
#include "engine/cli/run_setup.h"
#include "engine/report/scope_summary.h"
#include "engine/report/timeline.h"
#include "engine/run/resume.h"
#include "engine/run/scopes.h"

namespace ferry::cli {
namespace {

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  return buf;
}

// A phase's steps in the order the run reached them (started, skipped), then those it did not
// reach, in the plan's order.
std::vector<std::string> run_order(const dsl::IrPhase& phase, const engine::RunState& st) {
  std::vector<std::string> ids = phase.steps;
  auto reached = [&](const std::string& id) {
    auto it = st.steps.find(id);
    return it == st.steps.end() || !it->second.reached_seq ? INT64_MAX : it->second.reached_seq;
  };
  std::stable_sort(ids.begin(), ids.end(), [&](const auto& a, const auto& b) { return reached(a) < reached(b); });
  return ids;
}

// What to do about the failed scopes: finish a compensation that failed, or run one again.
std::vector<std::string> scope_next_steps(const std::string& dir, const engine::RunState& st) {
  std::vector<std::string> next;
  for (const auto& [scope, r] : st.scopes) {
    if (r.state == engine::ScopeState::kRolledBack) {
      next.push_back("scope " + scope + " failed and was rolled back; run it again: ferry resume " + dir +
                     " --retry-scope " + scope);
    } else {
      next.push_back("scope " + scope + " failed and is not rolled back; fix the cause, then: ferry rollback " + dir +
                     " --scope " + scope);
    }
  }
  return next;
}

// What to do about a run that has not succeeded (or had a scope rolled back by hand), as
// commands and choices, from its state.
std::vector<std::string> next_steps(const std::string& dir, const dsl::Ir& ir, const engine::RunState& st) {
  if (st.result == "succeeded" || st.result == "partially_failed") return scope_next_steps(dir, st);
  if (st.result == "rolled_back") return {"nothing to undo: the run was rolled back; start a new one with `ferry apply`"};
  if (st.result == "rollback_failed") {
    return {"fix what stopped the rollback (above), then go on undoing: ferry rollback " + dir};
  }
  std::vector<std::string> next;
  // The steps a resume would ask about (resume.h): which way did each go?
  engine::RunState resumed = st;
  for (const std::string& id : engine::decide_unfinished(ir, &resumed, {}, {}).undecided) {
    next.push_back("step " + id + " started and did not finish: check what it did, then resume with --rerun " + id +
                   " (run it again) or --assume-done " + id + " (it took effect)");
  }
  for (const std::string& line : scope_next_steps(dir, st)) next.push_back(line);
  next.push_back("continue: ferry resume " + dir);
  next.push_back("or undo what it did: ferry rollback " + dir);
  return next;
}

// A step's or scope's name, indented, padded to the column its state starts in.
std::string name_column(const std::string& name) {
  return "  " + name + std::string(name.size() < 40 ? 40 - name.size() : 1, ' ');
}

// Where what is still open ends: the run's end, or now while it has not ended.
int64_t now_for(const engine::RunState& st) {
  if (!st.result.empty()) return st.ended_ms;
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A scope's control-plane downtime in words: "down 45.2s", "down 12.0s so far", or "" when its
// steps have no downtime window or the run has not reached it.
std::string downtime_text(const report::DowntimeWindow& w, int64_t now_ms) {
  if (!w.found) return "";
  return "down " + seconds(w.duration_ms(now_ms)) + (w.end_ms ? "" : " so far");
}

engine::json scope_json(const report::ScopeSummary& s, int64_t now_ms) {
  engine::json j = {{"state", s.state}, {"phase", s.phase}, {"elapsed_ms", s.elapsed_ms}};
  if (!s.at.empty()) j["at"] = s.at;
  if (s.downtime.found) {
    j["downtime"] = {{"start_step", s.downtime.start_step}, {"ms", s.downtime.duration_ms(now_ms)},
                     {"ended", !s.downtime.ended_by.empty()}};
    if (!s.downtime.ended_by.empty()) j["downtime"]["ended_by"] = s.downtime.ended_by;
  }
  return j;
}

// A scope in one line: "NAME  STATE, at STEP, ELAPSED, down D".
std::string scope_line(const report::ScopeSummary& s, int64_t now_ms) {
  std::string state = s.state;
  std::replace(state.begin(), state.end(), '_', ' ');
  std::string line = name_column(s.scope) + state;
  if (!s.at.empty()) line += ", at " + s.at;
  if (s.elapsed_ms) line += ", " + seconds(s.elapsed_ms);
  if (std::string down = downtime_text(s.downtime, now_ms); !down.empty()) line += ", " + down;
  return line;
}

int run_status(const Args& args) {
  int status = kExitOk;
  auto run = open_run(args, args.positionals[0], "", OpenFor::kReading, &status);
  if (!run) return status;
  const dsl::Ir& ir = run->input.ir;
  const engine::RunState& st = run->state;
  std::string result = st.result.empty() ? "unfinished" : st.result;
  auto record = [&](const std::string& id) {
    auto it = st.steps.find(id);
    return it == st.steps.end() ? engine::StepRecord{} : it->second;
  };
  const std::vector<std::string> next = next_steps(run->dir, ir, st);
  const int64_t now_ms = now_for(st);
  const std::vector<report::ScopeSummary> summaries =
      report::summarize_scopes(ir, st, report::fold_timeline(run->events).steps, now_ms);
  if (args.get("--output") == "json") {
    engine::json steps = engine::json::object();
    engine::json order = engine::json::array();
    for (const dsl::IrPhase& phase : ir.phases) {
      for (const std::string& id : run_order(phase, st)) order.push_back(id);
    }
    for (const auto& [id, step] : ir.steps) {
      engine::StepRecord r = record(id);
      engine::json j = {{"state", engine::step_state_name(r.state)}, {"phase", step.phase}, {"attempts", r.attempts}};
      if (r.started_ms) j["started_ms"] = r.started_ms;
      if (r.finished_ms) j["finished_ms"] = r.finished_ms;
      if (!r.error.empty()) j["error"] = {{"class", r.error_class}, {"message", r.error}};
      if (r.undo_state != engine::UndoState::kNone) j["rollback"] = engine::undo_state_name(r.undo_state);
      if (!r.outputs.is_null()) j["outputs"] = r.outputs;
      if (!step.scope.empty()) j["scope"] = step.scope;
      steps[id] = j;
    }
    engine::json scopes = engine::json::object();
    for (const report::ScopeSummary& summary : summaries) {
      const std::string& scope = summary.scope;
      engine::json j = scope_json(summary, now_ms);
      if (auto it = st.scopes.find(scope); it != st.scopes.end()) {
        if (!it->second.step.empty()) j["failed_step"] = it->second.step;
        j["error"] = {{"class", it->second.error_class}, {"message", it->second.error}};
        if (!it->second.not_undone.empty()) j["not_undone"] = it->second.not_undone;
      }
      scopes[scope] = j;
    }
    // The journal is redacted as it is written; the redactor's URL patterns also cover a
    // journal an older ferry wrote.
    engine::Redactor redactor;
    std::cout << redactor
                     .redact_json(engine::json{
                         {"dir", dsl::to_valid_utf8(run->dir)},
                         {"plan", ir.plan},
                         {"result", result},
                         {"steps", steps},
                         {"scopes", scopes},
                         {"order", order},
                         {"next", next}})
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::ostringstream out;
  out << "run " << run->dir << ": plan '" << ir.plan << "', " << result << "\n";
  std::map<std::string, int> counts;
  for (const dsl::IrPhase& phase : ir.phases) {
    out << "\nphase " << phase.name << "\n";
    for (const std::string& id : run_order(phase, st)) {
      engine::StepRecord r = record(id);
      ++counts[std::string(engine::step_state_name(r.state))];
      if (!ir.steps.at(id).scope.empty()) continue;  // a scope's steps: its line below
      out << name_column(id) << engine::step_state_name(r.state);
      if (r.attempts > 1) out << ", " << r.attempts << " attempts";
      if (r.finished_ms && r.started_ms) out << ", " << seconds(r.finished_ms - r.started_ms);
      if (r.undo_state != engine::UndoState::kNone) out << ", " << engine::undo_state_name(r.undo_state);
      out << "\n";
      if (!r.error.empty()) out << "      " << r.error_class << ": " << r.error << "\n";
      if (!r.undo_error.empty() && r.undo_state == engine::UndoState::kFailed) out << "      rollback: " << r.undo_error << "\n";
    }
    for (const report::ScopeSummary& summary : summaries) {
      if (summary.phase == phase.name) out << scope_line(summary, now_ms) << "\n";
    }
  }
  if (!st.scopes.empty()) out << "\nfailed scopes\n";
  for (const auto& [scope, r] : st.scopes) {
    std::string state = engine::scope_state(ir, st, scope);
    std::replace(state.begin(), state.end(), '_', ' ');  // "rolled back", as the steps say it
    out << name_column(scope) << state << "\n";
    if (!r.step.empty()) out << "      at " << r.step << ": " << r.error_class << ": " << r.error << "\n";
    else out << "      " << r.error << "\n";
    if (!r.not_undone.empty()) {
      out << "      not undone:";
      for (const std::string& id : r.not_undone) out << " " << id;
      out << "\n";
    }
  }
  out << "\n";
  for (const auto& [name, n] : counts) out << n << " " << name << "  ";
  out << "\n";
  if (!next.empty()) out << "\nnext:\n";
  for (const std::string& line : next) out << "  " << line << "\n";
  std::cout << engine::Redactor().redact(out.str());
  return kExitOk;
}

}  // namespace

Command status_command() {
  Command c{"status",
          "show a run's steps from its journal",
          "ferry status DIR [--output json]",
          "Shows every step of the run in DIR, phase by phase in the order they ran: its state, attempts,\n"
          "timing, error and rollback state; a failure scope's steps as one line: its state, the step\n"
          "it is at, its elapsed time and its control plane's downtime so far; the failed scopes, with\n"
          "their error; then, for a run that did not succeed, what to do next.",
          {{"--output", true, "text (default) or json", "FORMAT"}},
          run_status};
  c.operands = Operands::kRunDirs;
  return c;
}

}  // namespace ferry::cli

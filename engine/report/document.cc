#include "engine/report/document.h"

#include <algorithm>
#include <map>

#include "engine/report/format.h"

namespace ferry::report {
namespace {

Text plain(std::string text) { return {std::move(text), false, false}; }
Text code(std::string text) { return {std::move(text), true, false}; }
Text strong(std::string text) { return {std::move(text), false, true}; }

Block paragraph(Line line) { return {Block::Kind::kParagraph, {std::move(line)}, {}, {}}; }
Block table(std::vector<std::string> head, std::vector<std::vector<Line>> rows) {
  return {Block::Kind::kTable, {}, std::move(head), std::move(rows)};
}

// `a`, `b`, `c`
Line code_list(const std::vector<std::string>& ids) {
  Line line;
  for (const std::string& id : ids) {
    if (!line.empty()) line.push_back(plain(", "));
    line.push_back(code(id));
  }
  return line;
}

const StepTimeline* find_step(const RunReport& r, const std::string& id) {
  auto it = std::find_if(r.steps.begin(), r.steps.end(), [&](const StepTimeline& s) { return s.id == id; });
  return it == r.steps.end() ? nullptr : &*it;
}

// "13 of 14 reached: 12 succeeded, 1 failed".
std::string step_counts(const RunReport& r) {
  std::map<std::string, int> counts;
  for (const StepTimeline& s : r.steps) ++counts[s.state];
  std::string out = std::to_string(r.steps.size()) + " of " + std::to_string(r.steps.size() + r.not_reached.size()) +
                    " reached";
  std::string parts;
  for (const auto& [state, n] : counts) parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  return parts.empty() ? out : out + ": " + parts;
}

Section facts(const RunReport& r) {
  std::vector<std::vector<Line>> rows;
  Line plan = {code(r.plan)};
  if (!r.description.empty()) plan.push_back(plain(": " + r.description));
  rows.push_back({{plain("Plan")}, plan});
  rows.push_back({{plain("Result")}, {strong(result_sentence(r))}});
  rows.push_back({{plain("Started by")}, {plain(who_where(r.user, r.host))}});
  rows.push_back({{plain("Run directory")}, {code(r.dir)}});
  if (!r.source.empty()) rows.push_back({{plain("Plan source")}, {code(r.source)}});
  rows.push_back({{plain("IR hash")}, {code(r.ir_hash)}});
  rows.push_back({{plain("ferry version")}, {plain(r.ferry_version.empty() ? "not recorded" : r.ferry_version)}});
  rows.push_back({{plain("Started")}, {plain(utc_time(r.started_ms))}});
  rows.push_back({{plain(r.finished ? "Ended" : "Last event")},
                  {plain(utc_time(r.ended_ms) + " (" + duration_text(r.ended_ms - r.started_ms) + " after the start)")}});
  // The commands that ran steps and the rollbacks, in the order they came.
  std::vector<std::pair<int64_t, std::string>> events;
  for (const Invocation& i : r.invocations) events.emplace_back(i.t_ms, invocation_text(i));
  for (const RollbackStart& b : r.rollbacks) events.emplace_back(b.t_ms, "rollback (" + b.reason + ") at " + utc_time(b.t_ms));
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string commands;
  for (const auto& [t, text] : events) commands += (commands.empty() ? "" : "; ") + text;
  if (!commands.empty()) rows.push_back({{plain("Commands")}, {plain(commands)}});
  const DowntimeWindow& w = r.downtime;
  rows.push_back({{plain("Control-plane downtime")},
                  {w.found ? strong((w.end_ms ? "" : "at least ") + seconds_text(w.duration_ms(r.ended_ms))) : plain("none")}});
  rows.push_back({{plain("Steps")}, {plain(step_counts(r))}});
  Section s{"", {table({"", ""}, std::move(rows))}};
  if (!r.torn_lines.empty()) {
    s.blocks.push_back(paragraph({plain("Note: the journal's last line (" + std::to_string(r.torn_lines.back()) +
                                        ") was cut short by a crash and is ignored.")}));
  }
  return s;
}

Section downtime(const RunReport& r) {
  Section s{"Control-plane downtime", {paragraph({plain(downtime_sentence(r) + ".")})}};
  s.blocks.push_back(paragraph({plain(
      "The window runs from the start of the step that stops the control plane (a scale of kube-apiserver to 0 "
      "replicas) to the success of the first wait after it for condition Available on the HostedCluster.")}));
  return s;
}

Section failed_attempts(const RunReport& r) {
  Block list{Block::Kind::kList, {}, {}, {}};
  for (const StepTimeline& s : r.steps) {
    for (const Attempt& a : s.attempts) {
      if (a.end == AttemptEnd::kSucceeded) continue;
      std::string what = " attempt " + std::to_string(a.number) + ", " + std::string(attempt_end_name(a.end)) + ", at " +
                         utc_time(a.start_ms) + " for " + duration_text(a.end_ms - a.start_ms);
      if (a.end == AttemptEnd::kUnfinished) what += " (no end in the journal: still running, or the run crashed)";
      list.lines.push_back({code(s.id), plain(what + (a.error.empty() ? "" : ": " + a.error))});
    }
  }
  if (list.lines.empty()) return {"Failed attempts", {paragraph({plain("None: every attempt succeeded.")})}};
  return {"Failed attempts", {list}};
}

Section rollback(const RunReport& r) {
  Section s{"Rollback", {}};
  for (const RollbackStart& b : r.rollbacks) {
    s.blocks.push_back(paragraph({plain("Started at " + utc_time(b.t_ms) + ": " + b.reason + ".")}));
  }
  const auto undone = compensations_in_order(r);
  std::vector<std::vector<Line>> rows;
  std::map<std::string, std::vector<std::string>> skipped;  // by reason ("rollback = none"): a list, not a row each
  for (const auto& [st, c] : undone) {
    if (c->result == "skipped") {
      skipped[c->message].push_back(st->id);
      continue;
    }
    rows.push_back({{code(st->id)}, {plain(c->result)}, {plain(utc_time(c->start_ms))},
                    {plain(duration_text(c->end_ms - c->start_ms))}, {plain(c->message)}});
  }
  if (!rows.empty()) s.blocks.push_back(table({"Step undone", "Result", "Started", "Took", "Note"}, std::move(rows)));
  for (const auto& [reason, ids] : skipped) {
    Line line = {plain("Not undone (" + reason + "): ")};
    for (Text& t : code_list(ids)) line.push_back(std::move(t));
    line.push_back(plain("."));
    s.blocks.push_back(paragraph(line));
  }
  if (!r.not_undone.empty()) {
    Line line = {plain("The rollback stopped before undoing ")};
    for (Text& t : code_list(r.not_undone)) line.push_back(std::move(t));
    line.push_back(plain("; fix its cause, then "));
    line.push_back(code("ferry rollback " + r.dir));
    line.push_back(plain(" goes on from there."));
    s.blocks.push_back(paragraph(line));
  }
  if (s.blocks.empty()) s.blocks.push_back(paragraph({plain("No rollback ran.")}));
  return s;
}

Section transfers(const RunReport& r) {
  std::vector<std::vector<Line>> rows;
  for (const Transfer& t : r.transfers) {
    auto rate = t.bytes_per_second();
    rows.push_back({{code(t.step)},
                    {code(t.url)},
                    {plain(t.bytes < 0 ? "unknown" : bytes_text(t.bytes))},
                    {plain(t.bytes < 0 ? "" : duration_text(t.ms))},
                    {plain(rate ? rate_text(*rate) : "")},
                    {plain(t.state + (t.parts ? ", " + std::to_string(t.parts) + " parts" : "") +
                           (t.sha256.empty() ? "" : ", sha256 " + t.sha256))}});
  }
  if (rows.empty()) return {"S3 transfers", {paragraph({plain("No "), code("upload"), plain(" step ran.")})}};
  return {"S3 transfers",
          {table({"Step", "Object", "Size", "Time", "Rate", "Result"}, std::move(rows)),
           paragraph({plain("Time is the successful attempt's; the rate is the size over that time.")})}};
}

Section destructive(const RunReport& r) {
  std::vector<std::vector<Line>> rows;
  for (const DestructiveStep& d : r.destructive) {
    std::string result = d.state;
    if (const StepTimeline* s = find_step(r, d.id); s && !s->attempts.empty()) {
      result += ", " + std::to_string(d.attempts) + (d.attempts == 1 ? " attempt" : " attempts") + ", " +
                duration_text(s->end_ms() - s->start_ms());
    } else if (d.state == "pending") {
      result = "not reached";
    }
    if (!d.error.empty()) result += "; " + d.error;
    if (!d.undone.empty()) result += "; " + d.undone;
    if (!d.outputs.empty()) result += "; outputs: " + args_summary(d.outputs);
    rows.push_back({{code(d.id)}, {plain(d.type)}, {plain(d.cluster)}, {code(args_summary(d.args))}, {plain(result)}});
  }
  if (rows.empty()) return {"Destructive steps", {paragraph({plain("The plan has no destructive step.")})}};
  return {"Destructive steps",
          {paragraph({plain("The steps that remove or stop something, with their arguments as the run resolved "
                            "them (secrets redacted).")}),
           table({"Step", "Type", "Cluster", "Arguments", "Result"}, std::move(rows))}};
}

}  // namespace

Document report_document(const RunReport& r) {
  Document d;
  d.title = {plain("ferry report: plan "), code(r.plan), plain(", " + r.result)};
  d.sections.push_back(facts(r));
  d.sections.push_back(downtime(r));
  d.sections.push_back({"Timeline", {{Block::Kind::kTimeline, {}, {}, {}}}});
  d.sections.push_back(failed_attempts(r));
  d.sections.push_back(rollback(r));
  d.sections.push_back(transfers(r));
  d.sections.push_back(destructive(r));
  if (!r.not_reached.empty()) d.sections.push_back({"Not reached", {paragraph(code_list(r.not_reached))}});
  return d;
}

}  // namespace ferry::report

// The report model as JSON (render.h): the same data as the other outputs, for machines.
#include "engine/report/render.h"

namespace ferry::report {
namespace {

json attempt_json(const Attempt& a) {
  json j = {{"attempt", a.number}, {"start_ms", a.start_ms}, {"end_ms", a.end_ms}, {"end", attempt_end_name(a.end)}};
  if (!a.error.empty()) j["error"] = a.error;
  return j;
}

json step_json(const StepTimeline& s) {
  json j = {{"id", s.id},       {"type", s.type},   {"phase", s.phase},           {"state", s.state},
            {"destructive", s.destructive}, {"attempts", json::array()}, {"outputs", s.outputs}};
  for (const Attempt& a : s.attempts) j["attempts"].push_back(attempt_json(a));
  if (s.marked_ms) j["marked"] = {{"t_ms", s.marked_ms}, {"note", s.note}};
  if (!s.compensations.empty()) {
    j["compensations"] = json::array();
    for (const Compensation& c : s.compensations) {
      json cj = {{"start_ms", c.start_ms}, {"end_ms", c.end_ms}, {"result", c.result}};
      if (!c.message.empty()) cj["message"] = c.message;
      j["compensations"].push_back(cj);
    }
  }
  return j;
}

json downtime_json(const RunReport& r) {
  const DowntimeWindow& w = r.downtime;
  if (!w.found) return {{"found", false}, {"absent", w.absent}};
  json j = {{"found", true},
            {"start_step", w.start_step},
            {"end_step", w.end_step},
            {"start_ms", w.start_ms},
            {"seconds", w.duration_ms(r.ended_ms) / 1000.0},
            {"ended", !w.ended_by.empty()}};
  if (w.end_ms) j["end_ms"] = w.end_ms;
  if (!w.ended_by.empty()) j["ended_by"] = w.ended_by;
  return j;
}

}  // namespace

std::string render_json(const RunReport& r) {
  json j = {{"dir", r.dir},
            {"plan", r.plan},
            {"source", r.source},
            {"ir_hash", r.ir_hash},
            {"ferry_version", r.ferry_version},
            {"user", r.user},
            {"host", r.host},
            {"result", r.result},
            {"finished", r.finished},
            {"started_ms", r.started_ms},
            {"ended_ms", r.ended_ms},
            {"invocations", json::array()},
            {"rollbacks", json::array()},
            {"phases", r.phases},
            {"steps", json::array()},
            {"not_reached", r.not_reached},
            {"not_undone", r.not_undone},
            {"downtime", downtime_json(r)},
            {"transfers", json::array()},
            {"destructive", json::array()}};
  for (const Invocation& i : r.invocations) {
    j["invocations"].push_back({{"mode", i.mode}, {"t_ms", i.t_ms}, {"user", i.user}, {"host", i.host}});
  }
  for (const RollbackStart& b : r.rollbacks) j["rollbacks"].push_back({{"t_ms", b.t_ms}, {"reason", b.reason}});
  for (const StepTimeline& s : r.steps) j["steps"].push_back(step_json(s));
  for (const Transfer& t : r.transfers) {
    json tj = {{"step", t.step}, {"url", t.url}, {"state", t.state}, {"start_ms", t.start_ms}};
    if (t.bytes >= 0) tj.update({{"bytes", t.bytes}, {"ms", t.ms}, {"parts", t.parts}, {"sha256", t.sha256}});
    if (auto rate = t.bytes_per_second()) tj["bytes_per_second"] = *rate;
    j["transfers"].push_back(tj);
  }
  for (const DestructiveStep& d : r.destructive) {
    json dj = {{"id", d.id},       {"type", d.type},         {"phase", d.phase},   {"cluster", d.cluster},
               {"args", d.args},   {"state", d.state},       {"attempts", d.attempts}, {"outputs", d.outputs}};
    if (!d.error.empty()) dj["error"] = d.error;
    if (!d.undone.empty()) dj["rollback"] = d.undone;
    j["destructive"].push_back(dj);
  }
  if (!r.torn_lines.empty()) j["torn_lines"] = r.torn_lines;
  return j.dump(2) + "\n";
}

}  // namespace ferry::report

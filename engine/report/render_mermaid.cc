// The timeline as a Mermaid Gantt chart (render.h). Tags: `done` an attempt that succeeded,
// `crit` one that failed (retried, failed for good, cancelled or interrupted), `active` one with
// no end yet, `milestone` a step skipped or assumed done; compensations in their own section,
// the downtime window in the first.
#include <cctype>
#include <string>

#include "engine/report/format.h"
#include "engine/report/render.h"

namespace ferry::report {
namespace {

std::string attempt_tag(AttemptEnd end) {
  switch (end) {
    case AttemptEnd::kSucceeded: return "done";
    case AttemptEnd::kUnfinished: return "active";
    default: return "crit";
  }
}

std::string compensation_tag(const std::string& result) {
  if (result == "succeeded") return "done";
  if (result == "unfinished") return "active";
  if (result == "skipped") return "milestone";
  return "crit";
}

class Chart {
 public:
  void section(const std::string& name) { out_ += "  section " + mermaid_text(name) + "\n"; }
  void task(const std::string& name, const std::string& tag, int64_t start_ms, int64_t end_ms) {
    out_ += "  " + mermaid_text(name) + " :" + tag + ", t" + std::to_string(++tasks_) + ", " + std::to_string(start_ms) +
            ", " + std::to_string(end_ms) + "\n";
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
  int tasks_ = 0;
};

// What Mermaid's gantt lexer reads as a statement where a name starts, case aside, whatever
// follows (gantt.jison's rules): a step named `title` would become the chart's title.
bool starts_like_a_statement(std::string_view text) {
  static const char* const kKeywords[] = {"gantt", "dateformat", "inclusiveenddates", "topaxis", "axisformat",
                                          "tickinterval", "includes", "excludes", "todaymarker", "weekday",
                                          "weekend", "title", "accdescription", "accdescr", "acctitle", "section",
                                          "click", "call", "href"};
  std::string lower;
  for (char c : text.substr(0, 20)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* k : kKeywords) {
    if (lower.rfind(k, 0) == 0) return true;
  }
  // A date (yyyy-mm-dd), a comment (%), a string (").
  return !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '%' || text[0] == '"');
}

}  // namespace

std::string mermaid_text(std::string_view text) {
  std::string out;
  if (starts_like_a_statement(text)) {
    out = "#" + std::to_string(static_cast<unsigned char>(text[0])) + ";";
    text.remove_prefix(1);
  }
  for (char c : text) {
    switch (c) {
      case ':': out += "#58;"; break;
      case '#': out += "#35;"; break;
      case ';': out += "#59;"; break;
      case '<': out += "#60;"; break;
      case '>': out += "#62;"; break;
      case '`': out += "#96;"; break;  // would end the ```mermaid fence around the chart
      case '\n':
      case '\r':
      case '\t': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

std::string mermaid_gantt(const RunReport& r) {
  Chart chart;
  chart.text() = "gantt\n  title " + mermaid_text(r.plan + ", " + r.result) +
                 "\n  dateFormat x\n  axisFormat %H:%M:%S\n";
  const DowntimeWindow& w = r.downtime;
  if (w.found) {
    chart.section("control-plane downtime");
    const int64_t end = w.end_ms ? w.end_ms : r.ended_ms;
    chart.task("control plane down, " + std::string(w.end_ms ? "" : "at least ") + seconds_text(end - w.start_ms),
               "crit", w.start_ms, end);
  }
  std::string phase;
  for (const StepTimeline& s : r.steps) {
    if (s.phase != phase) chart.section(phase = s.phase);
    for (const Attempt& a : s.attempts) {
      std::string name = s.id;
      if (s.attempts.size() > 1 || a.end != AttemptEnd::kSucceeded) {
        name += " (attempt " + std::to_string(a.number) + ", " + std::string(attempt_end_name(a.end)) + ")";
      }
      chart.task(name, attempt_tag(a.end), a.start_ms, a.end_ms);
    }
    if (s.marked_ms) chart.task(s.id + " (" + s.note + ")", "milestone", s.marked_ms, s.marked_ms);
  }
  const auto undone = compensations_in_order(r);
  if (!undone.empty()) chart.section("rollback");
  for (const auto& [s, c] : undone) {
    chart.task("undo " + s->id + " (" + c->result + ")", compensation_tag(c->result), c->start_ms, c->end_ms);
  }
  return chart.text();
}

}  // namespace ferry::report

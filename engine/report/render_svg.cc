// The timeline as an SVG picture (render.h). Every mark carries the times it stands for
// (data-start-ms, data-end-ms) and a <title> a browser shows on hover; its color says how it
// ended (the legend at the bottom). Colors are CSS classes in the SVG's own <style>, so the
// picture is whole when cut out of the page.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/report/format.h"
#include "engine/base/markup.h"
#include "engine/report/render.h"

namespace ferry::report {

using engine::xml_escape;
namespace {

constexpr int kWidth = 1000;
constexpr int kLabelWidth = 300;  // the step ids, left of the plot
constexpr int kRightMargin = 24;
constexpr int kTop = 44;          // the window's label and the time axis
constexpr int kRow = 20;
constexpr int kBar = 12;
constexpr double kMinBar = 2;     // a step of a millisecond is still seen
constexpr size_t kLabelChars = 44;

const char* const kStyle = R"(
    .timeline { font: 12px sans-serif; }
    .timeline .label { fill: #222; }
    .timeline .phase { font-weight: bold; fill: #444; }
    .timeline .tick line { stroke: #ddd; }
    .timeline .tick text { fill: #666; font-size: 10px; }
    .timeline .succeeded { fill: #2e8b57; }
    .timeline .retried { fill: #e69f00; }
    .timeline .failed { fill: #c0392b; }
    .timeline .cancelled { fill: #7f8c8d; }
    .timeline .interrupted { fill: #8e44ad; }
    .timeline .unfinished { fill: #3498db; stroke: #1a5276; stroke-dasharray: 3 2; }
    .timeline .marker { fill: #b0b7bb; }
    .timeline .compensation.succeeded { fill: #1f6fb2; }
    .timeline .compensation.failed { fill: #7b1010; }
    .timeline .compensation.skipped { fill: #b0b7bb; }
    .timeline .compensation.interrupted { fill: #8e44ad; }
    .timeline .downtime { fill: #e74c3c; fill-opacity: 0.13; stroke: #e74c3c; stroke-dasharray: 4 3; }
    .timeline .downtime-label { fill: #c0392b; font-weight: bold; }
)";

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string short_label(const std::string& id) {
  if (id.size() <= kLabelChars) return id;
  size_t end = kLabelChars - 3;
  while (end > 0 && (static_cast<unsigned char>(id[end]) & 0xC0) == 0x80) --end;
  return id.substr(0, end) + "...";
}

class Picture {
 public:
  explicit Picture(const RunReport& r) : t0_(r.started_ms), t1_(std::max(r.ended_ms, r.started_ms + 1)) {}

  double x(int64_t t) const {
    return kLabelWidth + static_cast<double>(t - t0_) * (kWidth - kLabelWidth - kRightMargin) / (t1_ - t0_);
  }
  int next_row() { return kTop + kRow * rows_++; }
  int rows_height() const { return kRow * rows_; }

  // A bar from start to end in the row at y, with what it is as its class and title.
  std::string bar(const std::string& cls, int y, int64_t start, int64_t end, const std::string& title,
                  const std::string& extra = "") const {
    double left = x(start);
    double width = std::max(kMinBar, x(end) - left);
    return "<rect class=\"" + cls + "\" x=\"" + number(left) + "\" y=\"" + std::to_string(y + (kRow - kBar) / 2) +
           "\" width=\"" + number(width) + "\" height=\"" + std::to_string(kBar) + "\" data-start-ms=\"" +
           std::to_string(start) + "\" data-end-ms=\"" + std::to_string(end) + "\"" + extra + "><title>" +
           xml_escape(title) + "</title></rect>";
  }

  // Ticks at a round step, at most about eight of them; the labels are UTC.
  std::string axis(int height) const {
    static const int64_t steps[] = {1,     2,     5,      10,     20,     50,      100,     200,     500,
                                    1000,  2000,  5000,   10000,  15000,  30000,   60000,   120000,  300000,
                                    600000, 900000, 1800000, 3600000, 7200000, 21600000, 43200000, 86400000};
    const int64_t span = t1_ - t0_;
    const int64_t day = steps[std::size(steps) - 1];
    int64_t step = (span / 8 / day + 1) * day;  // longer than the table: whole days, still about eight ticks
    for (int64_t s : steps) {
      if (span / s <= 8) {
        step = s;
        break;
      }
    }
    std::string out = "<g class=\"axis\">";
    for (int64_t t = (t0_ + step - 1) / step * step; t <= t1_; t += step) {
      std::string label = clock_time(t);
      if (step >= 1000) label = label.substr(0, 8);
      out += "<g class=\"tick\" data-t-ms=\"" + std::to_string(t) + "\"><line x1=\"" + number(x(t)) + "\" x2=\"" +
             number(x(t)) + "\" y1=\"" + std::to_string(kTop - 4) + "\" y2=\"" + std::to_string(kTop + height) +
             "\"/><text x=\"" + number(x(t)) + "\" y=\"" + std::to_string(kTop - 8) + "\" text-anchor=\"middle\">" +
             label + "</text></g>";
    }
    return out + "</g>";
  }

 private:
  int64_t t0_;
  int64_t t1_;
  int rows_ = 0;
};

std::string row_label(int y, const std::string& text, const std::string& cls = "label") {
  return "<text class=\"" + cls + "\" x=\"4\" y=\"" + std::to_string(y + kRow - 6) + "\">" + xml_escape(text) + "</text>";
}

std::string attempt_title(const StepTimeline& s, const Attempt& a) {
  std::string title = s.id + ", attempt " + std::to_string(a.number) + ": " + std::string(attempt_end_name(a.end)) +
                      ", " + clock_time(a.start_ms) + " to " + clock_time(a.end_ms) + " UTC (" +
                      duration_text(a.end_ms - a.start_ms) + ")";
  return a.error.empty() ? title : title + "; " + a.error;
}

std::string legend(int y) {
  const std::pair<const char*, const char*> keys[] = {
      {"bar succeeded", "succeeded"},   {"bar retried", "failed, retried"}, {"bar failed", "failed"},
      {"bar cancelled", "cancelled"},   {"bar interrupted", "interrupted (crash)"},
      {"bar unfinished", "no end yet"}, {"bar marker", "skipped / assumed done"},
      {"bar compensation succeeded", "undone"}, {"bar compensation failed", "undo failed"},
      {"downtime", "control plane down"}};
  std::string out = "<g class=\"legend\">";
  int x = 4;
  int line = 0;
  for (const auto& [cls, text] : keys) {
    int width = 24 + 7 * static_cast<int>(std::string(text).size());
    if (x + width > kWidth) {
      x = 4;
      ++line;
    }
    int top = y + line * kRow;
    out += "<rect class=\"swatch " + std::string(cls) + "\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(top + 4) +
           "\" width=\"14\" height=\"" + std::to_string(kBar) + "\"/><text x=\"" + std::to_string(x + 18) + "\" y=\"" +
           std::to_string(top + 14) + "\">" + xml_escape(text) + "</text>";
    x += width;
  }
  return out + "</g>";
}

// The downtime window: a band behind the rows, and its length above them. Its label starts at the
// band's left edge, or ends at its right one when the band starts past the middle (it would run
// off the picture).
std::string window_marks(const RunReport& r, const Picture& p, int height) {
  const DowntimeWindow& w = r.downtime;
  const int64_t end = w.end_ms ? w.end_ms : r.ended_ms;
  const double left = p.x(w.start_ms);
  const double right = std::max(left + kMinBar, p.x(end));
  const bool late = left > (kLabelWidth + kWidth) / 2.0;
  return "<rect class=\"downtime" + std::string(w.end_ms ? "" : " open") + "\" x=\"" + number(left) + "\" y=\"" +
         std::to_string(kTop) + "\" width=\"" + number(right - left) + "\" height=\"" + std::to_string(height) +
         "\" data-start-ms=\"" + std::to_string(w.start_ms) + "\" data-end-ms=\"" + std::to_string(end) + "\"><title>" +
         xml_escape(downtime_sentence(r)) + "</title></rect><text class=\"downtime-label\" x=\"" +
         number(late ? right : left) + "\" y=\"14\" text-anchor=\"" + (late ? "end" : "start") +
         "\">control plane down, " + (w.end_ms ? "" : "at least ") + seconds_text(end - w.start_ms) + "</text>";
}

}  // namespace

std::string svg_timeline(const RunReport& r) {
  Picture p(r);
  std::string rows;
  std::string phase;
  for (const StepTimeline& s : r.steps) {
    if (s.phase != phase) rows += row_label(p.next_row(), "phase " + (phase = s.phase), "phase");
    int y = p.next_row();
    rows += "<g class=\"step\" data-step=\"" + xml_escape(s.id) + "\" data-state=\"" + xml_escape(s.state) + "\">" +
            row_label(y, short_label(s.id) + (s.destructive ? " (destructive)" : ""));
    for (const Attempt& a : s.attempts) {
      rows += p.bar("bar attempt " + std::string(attempt_end_name(a.end)), y, a.start_ms, a.end_ms, attempt_title(s, a),
                    " data-attempt=\"" + std::to_string(a.number) + "\"");
    }
    if (s.marked_ms) rows += p.bar("bar marker", y, s.marked_ms, s.marked_ms, s.id + ": " + s.note);
    rows += "</g>";
  }
  const auto undone = compensations_in_order(r);
  if (!undone.empty()) rows += row_label(p.next_row(), "rollback", "phase");
  for (const auto& [s, c] : undone) {
    int y = p.next_row();
    std::string title = "undo " + s->id + ": " + c->result + ", " + clock_time(c->start_ms) + " to " +
                        clock_time(c->end_ms) + " UTC" + (c->message.empty() ? "" : "; " + c->message);
    rows += "<g class=\"compensation\" data-step=\"" + xml_escape(s->id) + "\">" + row_label(y, "undo " + short_label(s->id)) +
            p.bar("bar compensation " + c->result, y, c->start_ms, c->end_ms, title) + "</g>";
  }

  const int height = p.rows_height();
  const std::string window = r.downtime.found ? window_marks(r, p, height) : "";
  const int legend_top = kTop + height + 12;
  const int total = legend_top + 2 * kRow + 8;
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"" + std::to_string(kWidth) +
         "\" height=\"" + std::to_string(total) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " +
         std::to_string(total) + "\" role=\"img\" aria-label=\"" + xml_escape("timeline of the run of plan " + r.plan) +
         "\"><style>" + kStyle + "</style>" + p.axis(height) + window + rows + legend(legend_top) + "</svg>\n";
}

}  // namespace ferry::report

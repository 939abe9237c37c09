// The report in Markdown (render.h), for a change ticket, a pull request or a wiki page; GitHub
// and GitLab draw the ```mermaid block as a chart.
#include <algorithm>
#include <string>

#include "engine/report/document.h"
#include "engine/report/render.h"

namespace ferry::report {
namespace {

// Plain text that Markdown would read as markup is escaped; a line break would end a table row.
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|#").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A code span long enough to hold any run of backticks in `text`. In a table a `|` ends the
// cell even inside a code span, unless escaped.
std::string code_span(const std::string& text, bool in_table) {
  size_t longest = 0;
  size_t run = 0;
  std::string body;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '\n' || c == '\r') {
      body += ' ';
    } else if (c == '|' && in_table) {
      body += "\\|";
    } else {
      body += c;
    }
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string line_text(const Line& line, bool in_table = false) {
  std::string out;
  for (const Text& t : line) {
    if (t.code) {
      out += code_span(t.text, in_table);
    } else if (t.strong) {
      out += "**" + escaped(t.text) + "**";
    } else {
      out += escaped(t.text);
    }
  }
  return out;
}

const char* const kLegend =
    "Each bar is an attempt of a step. `done`: it succeeded; `crit` (red): it failed (retried, failed for good, "
    "cancelled, or interrupted by a crash); `active`: it has no end in the journal (still running, or the run "
    "crashed); a diamond: a step skipped or assumed done. The rollback's compensations have their own section, and "
    "the control-plane downtime window is the first bar. The axis is in your browser's time zone; the times in the "
    "text are UTC.";

std::string block_text(const Block& b, const RunReport& r) {
  std::string out;
  switch (b.kind) {
    case Block::Kind::kParagraph:
      return line_text(b.lines.front()) + "\n";
    case Block::Kind::kList:
      for (const Line& item : b.lines) out += "- " + line_text(item) + "\n";
      return out;
    case Block::Kind::kTable:
      out += "|";
      for (const std::string& h : b.head) out += " " + escaped(h) + " |";
      out += "\n|";
      for (size_t i = 0; i < b.head.size(); ++i) out += "---|";
      out += "\n";
      for (const auto& row : b.rows) {
        out += "|";
        for (const Line& cell : row) out += " " + line_text(cell, true) + " |";
        out += "\n";
      }
      return out;
    case Block::Kind::kTimeline:
      return "```mermaid\n" + mermaid_gantt(r) + "```\n\n" + kLegend + "\n";
  }
  return out;
}

}  // namespace

std::string render_markdown(const RunReport& r) {
  Document d = report_document(r);
  std::string out = "# " + line_text(d.title) + "\n";
  for (const Section& s : d.sections) {
    if (!s.title.empty()) out += "\n## " + escaped(s.title) + "\n";
    for (const Block& b : s.blocks) out += "\n" + block_text(b, r);
  }
  return out;
}

}  // namespace ferry::report

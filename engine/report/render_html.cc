// The report as one self-contained HTML page (render.h): inline CSS, the timeline as inline
// SVG, no script and nothing fetched, so it can be attached to a ticket or mailed as it is.
#include <string>

#include "engine/report/document.h"
#include "engine/base/markup.h"
#include "engine/report/render.h"

namespace ferry::report {

using engine::xml_escape;
namespace {

const char* const kStyle = R"(
    body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 2em auto; max-width: 1040px; padding: 0 1em; }
    h1 { font-size: 1.5em; }
    h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
    code { font: 12px ui-monospace, monospace; background: #f4f4f4; padding: 0 .2em; overflow-wrap: anywhere; }
    table { border-collapse: collapse; }
    th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: left; vertical-align: top; }
    th { background: #f4f4f4; }
    figure { margin: 0; overflow-x: auto; }
    footer { margin-top: 2em; color: #777; font-size: 12px; }
)";

std::string line_html(const Line& line) {
  std::string out;
  for (const Text& t : line) {
    if (t.code) {
      out += "<code>" + xml_escape(t.text) + "</code>";
    } else if (t.strong) {
      out += "<strong>" + xml_escape(t.text) + "</strong>";
    } else {
      out += xml_escape(t.text);
    }
  }
  return out;
}

std::string block_html(const Block& b, const RunReport& r) {
  std::string out;
  switch (b.kind) {
    case Block::Kind::kParagraph:
      return "<p>" + line_html(b.lines.front()) + "</p>\n";
    case Block::Kind::kList:
      out = "<ul>\n";
      for (const Line& item : b.lines) out += "<li>" + line_html(item) + "</li>\n";
      return out + "</ul>\n";
    case Block::Kind::kTable: {
      out = "<table>\n";
      bool head = false;
      for (const std::string& h : b.head) head = head || !h.empty();
      if (head) {
        out += "<thead><tr>";
        for (const std::string& h : b.head) out += "<th>" + xml_escape(h) + "</th>";
        out += "</tr></thead>\n";
      }
      out += "<tbody>\n";
      for (const auto& row : b.rows) {
        out += "<tr>";
        for (const Line& cell : row) out += "<td>" + line_html(cell) + "</td>";
        out += "</tr>\n";
      }
      return out + "</tbody></table>\n";
    }
    case Block::Kind::kTimeline:
      return "<figure>\n" + svg_timeline(r) + "</figure>\n";
  }
  return out;
}

}  // namespace

std::string render_html(const RunReport& r) {
  Document d = report_document(r);
  std::string title;
  for (const Text& t : d.title) title += t.text;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    xml_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<h1>" +
                    line_html(d.title) + "</h1>\n";
  for (const Section& s : d.sections) {
    if (!s.title.empty()) out += "<h2>" + xml_escape(s.title) + "</h2>\n";
    for (const Block& b : s.blocks) out += block_html(b, r);
  }
  return out + "<footer>Made by <code>ferry report</code> from the run directory " + xml_escape(r.dir) +
         ". Times are UTC.</footer>\n</body>\n</html>\n";
}

}  // namespace ferry::report

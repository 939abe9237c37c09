// `ferry report`'s outputs, each made from the report model (report_model.h) alone.
#pragma once

#include <string>
#include <string_view>

#include "engine/report/report_model.h"

namespace ferry::report {

// For a change ticket or a pull request: the facts, a Mermaid Gantt chart of the timeline, the
// downtime window, retries, the rollback, S3 transfers and the destructive steps.
std::string render_markdown(const RunReport& r);
// The same as one self-contained HTML page (inline CSS, the timeline as inline SVG; nothing
// fetched from the network).
std::string render_html(const RunReport& r);
// The model as JSON, for machines.
std::string render_json(const RunReport& r);

// The Gantt chart alone (what goes inside the ```mermaid fence), written to Mermaid's gantt
// grammar: `dateFormat x` (Unix ms), a section per phase, one task line per attempt
// (`NAME :TAGS, ID, START, END`), then the rollback and the downtime window as sections.
std::string mermaid_gantt(const RunReport& r);
// Text made safe for a Mermaid task or section name: the characters Mermaid's gantt grammar
// reads as syntax (`:` ends the name, `#` and `;` start a comment or end a statement), `<` and
// `>` (Mermaid renders names as HTML) and the backtick (which could close the Markdown fence)
// become Mermaid entity codes (`#58;`), which it shows as the character; line breaks become
// spaces. So does the first character of a name that Mermaid would read as a statement (`title`,
// `section`, `click`, ... or a date).
std::string mermaid_text(std::string_view text);

// The timeline as an SVG picture: a row per step reached (a bar per attempt, colored by how it
// ended), a row per compensation, the downtime window behind them, a time axis and a legend.
std::string svg_timeline(const RunReport& r);

}  // namespace ferry::report

// What the Markdown and HTML reports say, decided once: sections of paragraphs, lists and
// tables of text runs, and where the timeline goes. render_markdown and render_html only spell
// it in their markup.
#pragma once

#include <string>
#include <vector>

#include "engine/report/report_model.h"

namespace ferry::report {

struct Text {
  std::string text;
  bool code = false;    // an id, a path, a hash: `code` / <code>
  bool strong = false;  // the headline numbers
};
using Line = std::vector<Text>;  // a paragraph, a list item or a table cell

struct Block {
  enum class Kind { kParagraph, kList, kTable, kTimeline };
  Kind kind = Kind::kParagraph;
  std::vector<Line> lines;             // the paragraph (one line), or the list's items
  std::vector<std::string> head;       // a table's column titles
  std::vector<std::vector<Line>> rows;  // a table's rows
};

struct Section {
  std::string title;
  std::vector<Block> blocks;
};

struct Document {
  Line title;
  std::vector<Section> sections;  // the first, untitled, holds the facts table
};

Document report_document(const RunReport& r);

}  // namespace ferry::report

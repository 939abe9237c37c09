// Text for a terminal: help and `ferry explain` fill long lines the same way.
#pragma once

#include <sstream>
#include <string>

namespace ferry::cli {

// `text` filled into lines of at most `width` columns, each starting with `indent`; the first
// line's indent is `first` when given (a table's left column is already there).
inline std::string wrapped(const std::string& text, const std::string& indent, size_t width = 100,
                           const std::string* first = nullptr) {
  std::istringstream words(text);
  std::string out, line, word;
  const std::string* lead = first ? first : &indent;
  while (words >> word) {
    if (!line.empty() && lead->size() + line.size() + 1 + word.size() > width) {
      out += *lead + line + "\n";
      lead = &indent;
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += *lead + line + "\n";
  return out;
}

}  // namespace ferry::cli

#include "dsl/source.h"

#include <algorithm>

namespace ferry::dsl {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::string_view SourceFile::line(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  size_t begin = line_starts_[line - 1];
  size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  std::string_view view(text_.data() + begin, end - begin);
  if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
  return view;
}

size_t SourceFile::offset(uint32_t line, uint32_t col) const {
  if (line == 0 || line > line_starts_.size()) return text_.size();
  return std::min(text_.size(), line_starts_[line - 1] + (col > 0 ? col - 1 : 0));
}

std::string Span::str() const {
  if (!valid()) return "<unknown>";
  return file->path() + ":" + std::to_string(line) + ":" + std::to_string(col);
}

const SourceFile* SourceSet::add(std::string path, std::string text) {
  files_.push_back(std::make_unique<SourceFile>(std::move(path), std::move(text)));
  return files_.back().get();
}

}  // namespace ferry::dsl
